"""REST API for handover plans and their tasks (read; departures start them)."""

from __future__ import annotations

from django.db.models import Q
from rest_framework import serializers, viewsets

from handover.models import HandoverPlan, HandoverTask
from retention.api.auth import READ_ALL, api_employee, api_role
from retention.api.views import AuditedRetrieve


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


class HandoverPlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HandoverPlanSerializer
    filterset_fields = ["status", "employee"]

    def get_queryset(self):
        plans = HandoverPlan.objects.order_by("id")
        if api_role(self.request) in READ_ALL:
            return plans
        me = api_employee(self.request)  # account managers: plans they have tasks in
        return plans.filter(tasks__successor=me).distinct() if me else plans.none()


class HandoverTaskViewSet(AuditedRetrieve, viewsets.ReadOnlyModelViewSet):
    serializer_class = HandoverTaskSerializer
    filterset_fields = ["plan", "status", "successor", "customer"]

    def get_queryset(self):
        tasks = HandoverTask.objects.select_related("customer").order_by("id")
        if api_role(self.request) in READ_ALL:
            return tasks
        me = api_employee(self.request)
        if me is None:
            return tasks.none()
        return tasks.filter(Q(successor=me) | Q(plan__employee=me))
