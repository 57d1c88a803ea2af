"""REST API for alerts (acknowledge, snooze, resolve), retention actions and webhooks."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import decorators, mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from alerts.actions import record_action
from alerts.models import Alert, RetentionAction, Webhook, webhook_url_problem
from alerts.services import act_on_alert, routed_to
from customers.api import visible
from customers.models import Customer
from retention.api.auth import api_employee, api_role, role_in
from retention.api.filters import IsoDateFilter
from retention.api.strict import RejectUnknownFields
from retention.api.views import AuditedList, AuditedRetrieve
from retention.text_limits import limit_of
from staff.access import customer_scope, sees_records
from staff.filters import EmployeeNamed


class AlertSerializer(serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)
    text = serializers.SerializerMethodField(
        help_text=_("The figures that triggered it, in the caller's language (Accept-Language).")
    )
    play = serializers.SerializerMethodField(help_text=_("The suggested play, as text."))
    note = serializers.CharField(
        source="note_text",
        read_only=True,
        help_text=_(
            "What was done when it was resolved; an automatic close is worded in the caller's "
            "language (Accept-Language)."
        ),
    )

    def get_text(self, alert: Alert) -> str:
        from customers.scoring.wording import alert_text

        return alert_text(alert, departure_visible=_sees_departure(self, alert))

    def get_params(self, alert: Alert) -> dict:
        params = dict(alert.params or {})
        if alert.signal == "owner_departing" and not _sees_departure(self, alert):
            params.pop("day", None)
        return params

    def get_play(self, alert: Alert) -> str:
        from customers.scoring.wording import play_text

        return play_text(alert.play)

    params = serializers.SerializerMethodField(
        help_text=_("The figures of the text by name (machine-readable, as stored).")
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "customer",
            "customer_external_id",
            "signal",
            "status",
            "text",
            "params",
            "play",
            "tier",
            "annual_value",
            "probability",
            "revenue_at_risk",
            "owner",
            "manager",
            "opened_on",
            "figures_on",
            "snoozed_until",
            "closed_on",
            "note",
        ]
        read_only_fields = fields


def _sees_departure(serializer, alert: Alert) -> bool:
    from staff.access import sees_departure_of

    request = serializer.context.get("request")
    owner = alert.customer.primary_owner_id if alert.signal == "owner_departing" else None
    return request is not None and sees_departure_of(request.user, owner)


class AlertActionSerializer(RejectUnknownFields, serializers.Serializer):
    until = serializers.DateField(required=False, help_text=_("Snooze: the day it wakes up."))
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limit_of(Alert, "note")
    )


class AlertFilter(django_filters.FilterSet):
    opened_since = IsoDateFilter(field_name="opened_on", lookup_expr="gte")
    owner = EmployeeNamed(field_name="owner")
    manager = EmployeeNamed(field_name="manager")

    class Meta:
        model = Alert
        fields = ["status", "signal", "customer", "owner", "manager", "tier"]


class AlertViewSet(AuditedList, AuditedRetrieve, viewsets.ReadOnlyModelViewSet):
    """Alerts on the customers the caller sees (staff/access.py), and any routed to them."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self):
        alerts = Alert.objects.select_related("customer").order_by("id")
        me = api_employee(self.request)
        scope = customer_scope(api_role(self.request), me, "customer__")
        if scope is None:
            return alerts
        if not sees_records(api_role(self.request), "alert"):
            return alerts.none()  # HR: names, values and handover status only
        routed = Q(owner=me) | Q(manager=me) if me else Q(pk__in=[])
        return alerts.filter(scope | routed)

    def _act(self, request, action: str):
        alert = self.get_audited_object()  # it answers with the alert: a read of it too
        # As on the page: only the people an alert is routed to act on it.
        if not routed_to(api_employee(request), alert):
            raise PermissionDenied(_("This alert is not routed to you."))
        body = AlertActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        act_on_alert(alert=alert, action=action, **body.validated_data)
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=None, responses=AlertSerializer)
    @decorators.action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._act(request, "acknowledge")

    @extend_schema(request=AlertActionSerializer, responses=AlertSerializer)
    @decorators.action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        return self._act(request, "snooze")

    @extend_schema(request=AlertActionSerializer, responses=AlertSerializer)
    @decorators.action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._act(request, "resolve")


class RetentionActionSerializer(RejectUnknownFields, serializers.ModelSerializer):
    signal = serializers.CharField(read_only=True, help_text=_("The alert's sign, if any."))
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    alert = serializers.PrimaryKeyRelatedField(
        queryset=Alert.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = RetentionAction
        fields = [
            "id",
            "customer",
            "alert",
            "kind",
            "play",
            "signal",
            "tier",
            "team",
            "owner",
            "notes",
            "taken_on",
            "outcome",
            "outcome_on",
            "outcome_reason",
        ]
        read_only_fields = [
            "id",
            "play",
            "signal",
            "tier",
            "team",
            "owner",
            "outcome",
            "outcome_on",
            "outcome_reason",
        ]
        extra_kwargs = {"taken_on": {"required": False}}


class RetentionActionFilter(django_filters.FilterSet):
    owner = EmployeeNamed(field_name="owner", label=_("Who took the action"))

    class Meta:
        model = RetentionAction
        fields = ["customer", "kind", "outcome", "signal", "owner"]


class RetentionActionViewSet(
    AuditedList,
    AuditedRetrieve,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """What was done to keep a customer; the outcome (saved / lost) is settled nightly."""

    serializer_class = RetentionActionSerializer
    filterset_class = RetentionActionFilter

    def get_queryset(self):
        return visible(self.request, RetentionAction.objects.order_by("id"))

    def get_serializer(self, *args, **kwargs):
        """A customer or alert the caller does not see is "does not exist", as an id that
        was never used is: a 403 would say that it exists."""
        serializer = super().get_serializer(*args, **kwargs)
        if getattr(self, "swagger_fake_view", False) or not hasattr(serializer, "fields"):
            return serializer
        serializer.fields["customer"].queryset = visible(self.request, Customer.objects.all(), "")
        serializer.fields["alert"].queryset = AlertViewSet(request=self.request).get_queryset()
        return serializer

    def create(self, request, *args, **kwargs):
        # HR reads the save rate but takes no retention actions (README, roles): said
        # before the body is read, whatever it names.
        if api_role(request) == "hr":
            raise PermissionDenied(_("HR does not record retention actions."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        alert = data.get("alert")
        if alert is not None and not routed_to(api_employee(self.request), alert):
            raise PermissionDenied(_("This alert is not routed to you."))
        if (
            not visible(self.request, Customer.objects.all(), "")
            .filter(pk=data["customer"].pk)
            .exists()
        ):
            raise PermissionDenied(_("You do not look after this customer."))
        serializer.instance = record_action(
            customer=data["customer"],
            kind=data["kind"],
            by=api_employee(self.request),
            alert=data.get("alert"),
            notes=data.get("notes", ""),
            taken_on=data.get("taken_on"),
        )


class WebhookSerializer(RejectUnknownFields, serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Webhook.EVENTS), required=False
    )

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "secret", "events", "active", "created_at"]
        read_only_fields = ["id", "secret", "created_at"]

    def validate_url(self, url: str) -> str:
        problem = webhook_url_problem(url)
        if problem:
            raise serializers.ValidationError(problem)
        return url


class WebhookViewSet(viewsets.ModelViewSet):
    """Admins register receivers; the secret signs every delivery (docs/WEBHOOKS.md)."""

    serializer_class = WebhookSerializer
    permission_classes = [role_in("admin")]
    queryset = Webhook.objects.order_by("id")
