"""REST API for teams, employees and departures (recording one starts the handover)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from retention.api.auth import DEPARTURES, api_employee, role_in
from staff.models import Employee, Team


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "region", "manager", "parent", "updated_at"]
        read_only_fields = fields


class EmployeeSerializer(serializers.ModelSerializer):
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


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    queryset = Team.objects.order_by("id")
    filterset_fields = ["region", "manager", "parent"]


class EmployeeFilter(django_filters.FilterSet):
    class Meta:
        model = Employee
        fields = ["team", "role", "status", "is_key_employee", "email", "external_id"]


class EmployeeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EmployeeSerializer
    queryset = Employee.objects.order_by("id")
    filterset_class = EmployeeFilter


class DepartureSerializer(serializers.Serializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    last_day = serializers.DateField()
    reason = serializers.CharField(max_length=200)
    voluntary = serializers.BooleanField()
    exit_interview_notes = serializers.CharField(required=False, allow_blank=True, default="")
    plan = serializers.IntegerField(read_only=True, help_text=_("The handover plan it opened."))


class DepartureViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """POST records that an employee is leaving and opens their handover plan; the
    handover tasks are raised right after (see /handover-plans/)."""

    serializer_class = DepartureSerializer
    permission_classes = [role_in(*DEPARTURES)]

    def create(self, request, *args, **kwargs):
        from handover.services import start_departure

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = start_departure(by=api_employee(request), **serializer.validated_data)
        return Response({**serializer.data, "plan": plan.pk}, status=201)
