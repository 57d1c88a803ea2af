"""REST API for customers, contacts, contracts, interactions, risk scores and models,
with bulk upserts keyed by external_id (see customers/upsert/)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import decorators, mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from customers import upsert
from customers.currency import reporting_currency
from customers.models import (
    Contact,
    Contract,
    Customer,
    ExchangeRate,
    Interaction,
    RiskModel,
    RiskScore,
    UsageDay,
)
from retention.api.auth import IMPORTERS, api_employee, api_role, role_in
from retention.api.errors import BulkRowsInvalid
from retention.api.filters import IsoDateFilter, MomentFilter
from retention.api.params import refuse_unknown_query_parameters
from retention.api.strict import RejectUnknownFields
from retention.api.sync import SyncFilter
from retention.api.views import AuditedList, AuditedRetrieve
from staff.access import customer_scope, sees_records
from staff.filters import EmployeeNamed

# --- who sees which customer ----------------------------------------------------------


def visible(request, queryset: QuerySet, customer_path: str = "customer") -> QuerySet:
    """Only what the caller may see (staff/access.py decides): the customers in their
    scope, and of those only the kinds of record their role sees (HR: the customer and
    its contracts, not its contacts, interactions or scores)."""
    role = api_role(request)
    if not sees_records(role, queryset.model._meta.model_name):
        return queryset.none()
    prefix = f"{customer_path}__" if customer_path else ""
    scope = customer_scope(role, api_employee(request), prefix)
    return queryset if scope is None else queryset.filter(scope)


# --- serializers -------------------------------------------------------------------------


class CustomerSerializer(RejectUnknownFields, serializers.ModelSerializer):
    churn_reason = serializers.CharField(read_only=True, help_text=_("Empty while active."))
    primary_owner_email = serializers.EmailField(
        source="primary_owner.email", read_only=True, allow_null=True, default=None
    )
    secondary_owner_email = serializers.EmailField(
        source="secondary_owner.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "name",
            "segment",
            "industry",
            "region",
            "customer_since",
            "primary_owner",
            "primary_owner_email",
            "secondary_owner",
            "secondary_owner_email",
            "status",
            "churned_on",
            "churn_reason",
            "churn_reason_detail",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactSerializer(RejectUnknownFields, serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text=_("May be empty."))
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "external_id",
            "customer",
            "customer_external_id",
            "name",
            "role",
            "email",
            "phone",
            "is_decision_maker",
            "status",
            "known_since",
            "left_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContractSerializer(RejectUnknownFields, serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "external_id",
            "customer",
            "customer_external_id",
            "start_date",
            "end_date",
            "annual_value",
            "currency",
            "annual_value_reporting",
            "kind",
            "status",
            "auto_renew",
            "renewal_of",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InteractionSerializer(RejectUnknownFields, serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "external_id",
            "customer",
            "customer_external_id",
            "employee",
            "contact",
            "kind",
            "direction",
            "happened_at",
            "satisfaction",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class ExchangeRateSerializer(RejectUnknownFields, serializers.ModelSerializer):
    reporting_currency = serializers.SerializerMethodField(
        help_text=_("The currency `rate` converts into (the company's reporting currency).")
    )

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "day", "rate", "reporting_currency", "updated_at"]
        read_only_fields = fields

    def get_reporting_currency(self, rate) -> str:
        return reporting_currency()


class UsageDaySerializer(RejectUnknownFields, serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)

    class Meta:
        model = UsageDay
        fields = ["id", "customer", "customer_external_id", "day", "event", "quantity"]
        read_only_fields = fields


class RiskScoreSerializer(serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)
    tier_label = serializers.CharField(source="get_tier_display", read_only=True)
    reasons = serializers.SerializerMethodField(
        help_text=_(
            'Top reasons, most important first: [{"signal", "params", "text"}]; the code '
            "and figures as stored, the text in the caller's language (Accept-Language)."
        )
    )
    signals = serializers.SerializerMethodField(
        help_text=_("Every warning sign that fired, in the same shape as the reasons.")
    )

    def _worded(self, score: RiskScore, reasons: list[dict]) -> list[dict]:
        from customers.scoring.wording import reasons_for_reader
        from staff.access import sees_departure_of

        request = self.context.get("request")
        owner = score.customer.primary_owner_id if _names_departure(reasons) else None
        visible = request is not None and sees_departure_of(request.user, owner)
        return reasons_for_reader(reasons, departure_visible=visible)

    def get_reasons(self, score: RiskScore) -> list[dict]:
        return self._worded(score, score.reasons)

    def get_signals(self, score: RiskScore) -> list[dict]:
        return self._worded(score, score.signals)

    class Meta:
        model = RiskScore
        fields = [
            "id",
            "customer",
            "customer_external_id",
            "day",
            "valid_until",
            "model",
            "probability",
            "tier",
            "tier_label",
            "annual_value",
            "revenue_at_risk",
            "reasons",
            "signals",
            "single_threaded",
            "active_contacts",
        ]
        read_only_fields = fields


def _names_departure(reasons: list[dict]) -> bool:
    from customers.scoring.wording import DEPARTURE_DAY_SIGNALS

    return any(reason.get("signal") in DEPARTURE_DAY_SIGNALS for reason in reasons or [])


class RiskModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskModel
        exclude = ["artifact"]  # the fitted model itself stays inside


# --- filters -----------------------------------------------------------------------------


class UpdatedSince(SyncFilter):
    updated_since = MomentFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Changed at or after (ISO 8601)")
    )


class WholeNumberFilter(django_filters.NumberFilter):
    """An id or a tier: a whole number, refused otherwise (django-filter's NumberFilter
    reads a decimal, and `?tier=1.5` answered tier 1)."""

    field_class = forms.IntegerField


class CustomerFilter(UpdatedSince):
    owner = EmployeeNamed(
        field_names=("primary_owner", "secondary_owner"),
        label=_("Primary or secondary owner: id, e-mail or HR external id"),
    )
    team = WholeNumberFilter(field_name="primary_owner__team", label=_("Owner's team id"))
    tier = WholeNumberFilter(
        method="by_tier", label=_("Current risk tier (1-5)"), min_value=1, max_value=5
    )

    class Meta:
        model = Customer
        fields = ["segment", "status", "region", "external_id"]

    def by_tier(self, queryset, name, value):
        """Refused to a caller who reads no risk scores (HR): the customers of each tier
        would tell their scores (README "Who sees what")."""
        if not sees_records(api_role(self.request), "riskscore"):
            raise serializers.ValidationError(
                {name: [_("Your role does not read risk scores, so it cannot filter by tier.")]}
            )
        current = RiskScore.objects.current().filter(tier=value)
        return queryset.filter(pk__in=current.values("customer_id"))


class ContactFilter(UpdatedSince):
    class Meta:
        model = Contact
        fields = ["customer", "status", "is_decision_maker", "external_id"]


class ContractFilter(UpdatedSince):
    ends_after = IsoDateFilter(field_name="end_date", lookup_expr="gte")
    ends_before = IsoDateFilter(field_name="end_date", lookup_expr="lte")

    class Meta:
        model = Contract
        fields = ["customer", "status", "kind", "external_id"]


class InteractionFilter(SyncFilter):
    created_since = MomentFilter(
        field_name="created_at", lookup_expr="gte", label=_("Recorded at or after (ISO 8601)")
    )
    happened_after = MomentFilter(field_name="happened_at", lookup_expr="gte")
    happened_before = MomentFilter(field_name="happened_at", lookup_expr="lt")
    employee = EmployeeNamed(field_name="employee", label=_("Who handled it"))

    class Meta:
        model = Interaction
        fields = ["customer", "kind", "employee", "external_id"]


class ExchangeRateFilter(UpdatedSince):
    day = IsoDateFilter(field_name="day")
    day_after = IsoDateFilter(field_name="day", lookup_expr="gte")
    day_before = IsoDateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = ExchangeRate
        fields = ["currency", "day"]


class RiskScoreFilter(django_filters.FilterSet):
    day = IsoDateFilter(
        method="as_of_day",
        help_text=_(
            "The scores as they stood on a day (each row holds from its day until "
            "valid_until); default: the current ones."
        ),
    )
    owner = EmployeeNamed(field_name="customer__primary_owner")
    team = WholeNumberFilter(field_name="customer__primary_owner__team")
    segment = django_filters.CharFilter(field_name="customer__segment")

    class Meta:
        model = RiskScore
        fields = ["customer", "tier"]

    def as_of_day(self, queryset, name, value):
        """A day after the latest scored day has no scores yet: refused, not answered
        with the current ones (which would read as that day's)."""
        from customers.selectors import latest_scoring_run

        run = latest_scoring_run()
        if run is not None and value > run.day:
            raise serializers.ValidationError(
                {
                    name: [
                        _("No scores for %(day)s yet: the latest scored day is %(latest)s.")
                        % {"day": value.isoformat(), "latest": run.day.isoformat()}
                    ]
                }
            )
        return queryset.on_day(value)


# --- views -------------------------------------------------------------------------------

BULK_REQUEST = inline_serializer(
    "BulkRequest",
    {
        "rows": serializers.ListField(child=serializers.DictField(), max_length=upsert.MAX_ROWS),
        "dry_run": serializers.BooleanField(required=False, default=False),
    },
)
BULK_RESPONSE = inline_serializer(
    "BulkResult",
    {
        "received": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "dry_run": serializers.BooleanField(),
    },
)


class BulkUpsertMixin:
    """POST <resource>/bulk/ {"rows": [...], "dry_run": false}: up to 10,000 rows keyed by
    external_id; all or nothing; every bad row reported by index, field and message."""

    bulk_kind: str = ""

    @extend_schema(
        request=BULK_REQUEST,
        responses={
            200: BULK_RESPONSE,
            400: OpenApiResponse(description=_("Bad rows; nothing written.")),
        },
    )
    @decorators.action(detail=False, methods=["post"], permission_classes=[role_in(*IMPORTERS)])
    def bulk(self, request):
        refuse_unknown_query_parameters(request, self, filtered=False)
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise BulkRowsInvalid(
                [{"index": None, "field": "rows", "message": _('Send {"rows": [ ... ]}.')}]
            )
        unknown = sorted(set(body) - {"rows", "dry_run"})
        if unknown:  # a misspelt dry_run must not write for real
            raise BulkRowsInvalid(
                [
                    {
                        "index": None,
                        "field": key,
                        "message": _("Unknown field: the body takes rows and dry_run."),
                    }
                    for key in unknown
                ]
            )
        dry_run = body.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise BulkRowsInvalid(
                [{"index": None, "field": "dry_run", "message": _("must be true or false.")}]
            )
        outcome = upsert.upsert(self.bulk_kind, body["rows"], dry_run=dry_run)
        if outcome.errors:
            raise BulkRowsInvalid(outcome.errors)
        return Response(
            {
                "received": outcome.received,
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "dry_run": dry_run,
            }
        )


class CustomerViewSet(BulkUpsertMixin, AuditedList, AuditedRetrieve, viewsets.ReadOnlyModelViewSet):
    audit_kind = "customers"
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["id", "name", "updated_at", "customer_since"]
    syncs = True
    bulk_kind = "customers"

    def get_queryset(self):
        queryset = Customer.objects.select_related("primary_owner", "secondary_owner")
        return visible(self.request, queryset, customer_path="")


class ContactViewSet(BulkUpsertMixin, AuditedList, AuditedRetrieve, viewsets.ReadOnlyModelViewSet):
    audit_kind = "contacts"
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["id", "updated_at", "name"]
    syncs = True
    bulk_kind = "contacts"

    def get_queryset(self):
        return visible(self.request, Contact.objects.select_related("customer"))


class ContractViewSet(BulkUpsertMixin, AuditedList, AuditedRetrieve, viewsets.ReadOnlyModelViewSet):
    audit_kind = "contracts"
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["id", "updated_at", "end_date"]
    syncs = True
    bulk_kind = "contracts"

    def get_queryset(self):
        return visible(self.request, Contract.objects.select_related("customer"))


class InteractionViewSet(
    BulkUpsertMixin, AuditedList, AuditedRetrieve, viewsets.ReadOnlyModelViewSet
):
    audit_kind = "interactions"
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    ordering_fields = ["id", "happened_at"]
    syncs = True
    bulk_kind = "interactions"

    def get_queryset(self):
        return visible(self.request, Interaction.objects.select_related("customer"))


class ExchangeRateViewSet(BulkUpsertMixin, viewsets.ReadOnlyModelViewSet):
    """Dated exchange rates into the reporting currency. Bulk rows: currency, day, rate
    (keyed by currency and day); contracts in a currency reconvert when its rates change."""

    serializer_class = ExchangeRateSerializer
    filterset_class = ExchangeRateFilter
    ordering_fields = ["id", "day", "currency", "updated_at"]
    syncs = True
    bulk_kind = "exchange_rates"
    queryset = ExchangeRate.objects.all()


class UsageDayFilter(django_filters.FilterSet):
    customer = WholeNumberFilter(field_name="customer_id")
    event = django_filters.CharFilter()
    day_from = IsoDateFilter(field_name="day", lookup_expr="gte")
    day_to = IsoDateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = UsageDay
        fields = ["customer", "event", "day_from", "day_to"]


class UsageDayViewSet(BulkUpsertMixin, AuditedList, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Product usage as daily totals per customer and event name. POST usage/bulk/
    {"rows": [{"customer", "day", "event", "quantity"}]}: each row replaces the stored
    total of its customer, day and event, so a day can be sent again safely."""

    serializer_class = UsageDaySerializer
    filterset_class = UsageDayFilter
    ordering_fields = ["id", "day"]
    bulk_kind = "usage"

    def get_queryset(self):
        return visible(self.request, UsageDay.objects.select_related("customer").order_by("id"))


class RiskScoreViewSet(AuditedList, AuditedRetrieve, viewsets.ReadOnlyModelViewSet):
    """Current scores by default; ?day= for the scores as they stood on a past day, or
    ?customer= for one customer's history: a row per change, each holding from its
    `day` until the day before `valid_until` (empty: still current)."""

    serializer_class = RiskScoreSerializer
    filterset_class = RiskScoreFilter
    ordering_fields = ["id", "probability", "revenue_at_risk", "day"]

    def get_queryset(self):
        queryset = RiskScore.objects.select_related("customer")
        params = self.request.query_params
        if self.action == "list" and not params.get("day") and not params.get("customer"):
            queryset = RiskScore.objects.current().select_related("customer")
        return visible(self.request, queryset)

    @extend_schema(
        responses={
            200: inline_serializer(
                "ScoreChange",
                {
                    "score": serializers.IntegerField(),
                    "change": serializers.JSONField(
                        allow_null=True,
                        help_text=_(
                            "day, since, probability and previous (the stored scores that "
                            "held on the two days), points, unchanged_since (the day the "
                            "stored score began when it held on both), text and "
                            "contributions [{feature, label, was, now, points}], largest "
                            "first; null when the customer had no stored score 7 days "
                            "before."
                        ),
                    ),
                },
            )
        }
    )
    @decorators.action(detail=True)
    def change(self, request, pk=None):
        """What moved this score over the 7 days before the day it is told for: the latest
        scored day while the row holds (as the customer page), else the row's last day."""
        from customers.scoring.explain import day_of, explain_changes
        from customers.selectors import latest_scoring_run

        score = self.get_audited_object()
        run = latest_scoring_run()
        day = day_of(score, run.day if run else None)
        change = explain_changes(day=day, customer_ids=[score.customer_id]).get(score.customer_id)
        return Response({"score": score.pk, "change": change.as_dict() if change else None})


class RiskModelViewSet(viewsets.ReadOnlyModelViewSet):
    """The trained (or rules-based) models with their metrics; /current/ is the one in use."""

    serializer_class = RiskModelSerializer
    queryset = RiskModel.objects.defer("artifact").order_by("id")

    @decorators.action(detail=False)
    def current(self, request):
        refuse_unknown_query_parameters(request, self, filtered=False)
        model = self.get_queryset().filter(is_active=True).order_by("-version").first()
        if model is None:
            raise NotFound("No model has been trained yet.")
        return Response(self.get_serializer(model).data)
