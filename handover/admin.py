from django.contrib import admin

from handover.models import HandoverPlan, HandoverStep, HandoverTask
from staff.access import VisibleInAdmin, employee_scope


class HandoverTaskInline(admin.TabularInline):
    model = HandoverTask
    extra = 0
    fields = ("customer", "role", "priority", "recommended_successor", "successor", "status")
    readonly_fields = ("customer", "role", "priority", "recommended_successor")
    raw_id_fields = ("successor",)
    show_change_link = True


@admin.register(HandoverPlan)
class HandoverPlanAdmin(admin.ModelAdmin):
    list_display = ("employee", "last_day", "voluntary", "status", "created_at")
    list_filter = ("status", "voluntary")
    search_fields = ("employee__name", "reason")
    readonly_fields = ("tasks_raised_at", "last_day_processed_at", "closed_at", "log")
    raw_id_fields = ("employee", "created_by")
    inlines = [HandoverTaskInline]

    def get_queryset(self, request):
        # The plans of the people whose departure the person sees (staff/access.py).
        scope = employee_scope(request.user, "employee__")
        queryset = super().get_queryset(request)
        return queryset if scope is None else queryset.filter(scope)


class HandoverStepInline(admin.TabularInline):
    model = HandoverStep
    extra = 0
    fields = (
        "kind",
        "days_after_last_day",
        "due_on",
        "assignee",
        "done_at",
        "satisfaction",
        "escalated_on",
    )
    raw_id_fields = ("assignee",)


@admin.register(HandoverTask)
class HandoverTaskAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
    list_display = ("customer", "plan", "priority", "successor", "status")
    list_filter = ("status", "role")
    search_fields = ("customer__name", "plan__employee__name")
    raw_id_fields = ("plan", "customer", "recommended_successor", "successor", "accepted_by")
    inlines = [HandoverStepInline]
