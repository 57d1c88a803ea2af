"""REST API for handover plans and their tasks (read; departures start them)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from handover.models import HandoverPlan, HandoverTask
from handover.plan_log import recommendation_reasons
from retention.api.auth import api_employee, api_role
from retention.api.views import AuditedList, AuditedRetrieve
from staff.access import departure_scope, managed_team_ids
from staff.filters import EmployeeNamed


class HandoverPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoverPlan
        fields = [
            "id",
            "employee",
            "last_day",
            "reason",
            "voluntary",
            "status",
            "created_at",
            "tasks_raised_at",
            "closed_at",
        ]
        read_only_fields = fields


class HandoverTaskSerializer(serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)
    recommendation_reasons = serializers.SerializerMethodField(
        help_text=_(
            "Why the successor is recommended, in the request's language (Accept-Language), "
            "amounts with the reporting currency."
        )
    )

    class Meta:
        model = HandoverTask
        fields = [
            "id",
            "plan",
            "customer",
            "customer_external_id",
            "role",
            "annual_value",
            "risk",
            "dependence",
            "priority",
            "recommended_successor",
            "recommendation_reasons",
            "successor",
            "successor_over_capacity",
            "ownership_changed_on",
            "status",
        ]
        read_only_fields = fields

    def get_recommendation_reasons(self, task: HandoverTask) -> list[str]:
        return recommendation_reasons(task.recommendation_reasons)

    # What is read from the customer's interactions and scores: HR sees a task's customer,
    # value and successor, not its risk or the leaver's share of its contact (the plan
    # page hides them from HR alike; staff.access.HR_CUSTOMER_RECORDS).
    NOT_FOR_HR = ("risk", "dependence", "priority", "recommendation_reasons")

    def to_representation(self, task: HandoverTask) -> dict:
        data = super().to_representation(task)
        request = self.context.get("request")
        if request is not None and api_role(request) == "hr":
            for name in self.NOT_FOR_HR:
                data.pop(name, None)
        return data


class HandoverPlanFilter(django_filters.FilterSet):
    employee = EmployeeNamed(field_name="employee", label="The leaver")

    class Meta:
        model = HandoverPlan
        fields = ["status", "employee"]


class HandoverTaskFilter(django_filters.FilterSet):
    successor = EmployeeNamed(field_name="successor")

    class Meta:
        model = HandoverTask
        fields = ["plan", "status", "successor", "customer"]


class HandoverPlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HandoverPlanSerializer
    filterset_class = HandoverPlanFilter

    def get_queryset(self):
        # Whose departure the caller sees, as on the plan pages (staff/access.py): an
        # account manager sees their handover tasks (handover-tasks/), not a plan's
        # last day, reason or whether it was voluntary.
        plans = HandoverPlan.objects.order_by("id")
        me = api_employee(self.request)
        scope = departure_scope(api_role(self.request), me, "employee__")
        plans = plans if scope is None else plans.filter(scope)
        # Nobody reads their own plan (its successors, the reason as recorded).
        return plans.exclude(employee=me) if me is not None else plans


class HandoverTaskViewSet(AuditedList, AuditedRetrieve, viewsets.ReadOnlyModelViewSet):
    serializer_class = HandoverTaskSerializer
    filterset_class = HandoverTaskFilter

    def get_queryset(self):
        tasks = HandoverTask.objects.select_related("customer").order_by("id")
        role, me = api_role(self.request), api_employee(self.request)
        # Nobody reads the tasks of their own plan (who takes their customers over).
        if role in ("admin", "integration", "hr"):
            return tasks.exclude(plan__employee=me) if me is not None else tasks
        if me is None:
            return tasks.none()
        mine = Q(successor=me)
        if role == "manager":
            teams = managed_team_ids(me)
            mine |= Q(plan__employee__team__in=teams) | Q(plan__employee__manager=me)
        return tasks.filter(mine).exclude(plan__employee=me)
