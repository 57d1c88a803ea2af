"""REST API for teams, employees and departures (recording one starts the handover).
Teams and employees also take bulk upserts from an HR system (staff/imports/)."""

from __future__ import annotations

import django_filters
from django.db.models import Case, CharField, DateField, F, Q, Value, When
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from customers.api import BulkUpsertMixin
from handover.models import HandoverPlan
from retention.api.auth import DEPARTURES, api_employee, api_role, role_in
from retention.api.params import refuse_unknown_query_parameters
from retention.api.strict import RejectUnknownFields
from retention.text_limits import limit_of
from staff.access import departure_scope
from staff.filters import EmployeeEmail, EmployeeNamed
from staff.models import Employee, Team


class TeamSerializer(RejectUnknownFields, serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "external_id", "name", "region", "manager", "parent", "updated_at"]
        read_only_fields = fields


class EmployeeSerializer(RejectUnknownFields, serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=Employee.Status.choices,
        source="shown_status",
        read_only=True,
        help_text=_(
            "An upcoming departure shows only to HR, admins, integrations and the "
            "person's managers; to others a departing employee is active."
        ),
    )
    departure_date = serializers.DateField(
        source="shown_departure_date",
        read_only=True,
        allow_null=True,
        help_text=_("The last day, where the departure shows (see status)."),
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "external_id",
            "name",
            "email",
            "team",
            "manager",
            "role",
            "is_key_employee",
            "hired_on",
            "status",
            "departure_date",
        ]
        read_only_fields = fields


TEAMS_BULK = _(
    'Teams from the HR system: {"rows": [{"external_id", "name", "region", "parent", '
    '"manager"}]}, keyed by the HR system\'s id (a team made by hand is matched by name); '
    "`parent` is a team's external id or name (possibly a row further down the same "
    "request), `manager` an employee's external id or e-mail. All or nothing; every bad "
    "row named by index and field."
)
EMPLOYEES_BULK = _(
    'Employees from the HR system: {"rows": [{"external_id", "name", "email", "team", '
    '"role", "manager", "start_date", "leaving_date", "leaving_reason", '
    '"leaving_voluntary"}]}, keyed by the HR system\'s id (an employee made by hand is '
    "matched by e-mail). `team`: a team's external id or name; `manager`: an employee's "
    "external id or e-mail, possibly a row further down. A leaving date records the "
    "departure as HR does (the employee becomes departing and the handover starts; "
    "`leaving_voluntary` is then required); sending it again changes nothing, and a "
    "recorded departure is never moved or cancelled by this endpoint. No login is "
    "created; `role` cannot be admin."
)


class TeamFilter(django_filters.FilterSet):
    manager = EmployeeNamed(field_name="manager")

    class Meta:
        model = Team
        fields = ["region", "manager", "parent"]


@extend_schema_view(bulk=extend_schema(description=TEAMS_BULK))
class TeamViewSet(BulkUpsertMixin, viewsets.ReadOnlyModelViewSet):
    """Teams; POST bulk/ takes them from the HR system."""

    bulk_kind = "teams"
    serializer_class = TeamSerializer
    queryset = Team.objects.order_by("id")
    filterset_class = TeamFilter


class EmployeeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        field_name="shown_status", choices=Employee.Status.choices, label="Status (as shown)"
    )
    email = EmployeeEmail(label="E-mail address, in any case")
    manager = EmployeeNamed(field_name="manager")

    class Meta:
        model = Employee
        fields = ["team", "role", "is_key_employee", "email", "external_id"]


def departures_shown(request) -> Q | None:
    """The employees whose departure the caller sees (None: all): HR, admins and
    integrations all; a manager the people of their teams and direct reports
    (staff/access.py); anyone else only their own."""
    role = api_role(request)
    if role in ("admin", "hr", "integration"):
        return None
    if role == "manager":
        return departure_scope(role, api_employee(request))
    me = api_employee(request)
    return Q(pk=me.pk) if me else Q(pk__in=[])


@extend_schema_view(bulk=extend_schema(description=EMPLOYEES_BULK))
class EmployeeViewSet(BulkUpsertMixin, viewsets.ReadOnlyModelViewSet):
    """Employees; POST bulk/ takes them from the HR system."""

    bulk_kind = "employees"
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter

    def get_queryset(self):
        employees = Employee.objects.order_by("id")
        shown = departures_shown(self.request)
        if shown is None:
            return employees.annotate(
                shown_status=F("status"), shown_departure_date=F("departure_date")
            )
        departed = Q(status=Employee.Status.DEPARTED)
        return employees.annotate(
            shown_status=Case(
                When(shown, then=F("status")),
                When(departed, then=Value(Employee.Status.DEPARTED)),
                default=Value(Employee.Status.ACTIVE),
                output_field=CharField(),
            ),
            shown_departure_date=Case(
                When(shown | departed, then=F("departure_date")),
                default=None,
                output_field=DateField(),
            ),
        )


class DepartureSerializer(RejectUnknownFields, serializers.Serializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    last_day = serializers.DateField()
    reason = serializers.CharField(max_length=200)
    voluntary = serializers.BooleanField()
    exit_interview_notes = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limit_of(HandoverPlan, "exit_interview_notes"),
    )
    plan = serializers.IntegerField(read_only=True, help_text=_("The handover plan it opened."))


class DepartureViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """POST records that an employee is leaving and opens their handover plan; the
    handover tasks are raised right after (see /handover-plans/)."""

    serializer_class = DepartureSerializer
    permission_classes = [role_in(*DEPARTURES)]

    def create(self, request, *args, **kwargs):
        from handover.services import start_departure

        refuse_unknown_query_parameters(request, self, filtered=False)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = start_departure(by=api_employee(request), **serializer.validated_data)
        return Response({**serializer.data, "plan": plan.pk}, status=201)
