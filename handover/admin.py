from django.contrib import admin

from handover.models import HandoverPlan, HandoverStep, HandoverTask
from staff.access import VisibleInAdmin, employee_scope
from staff.admin_site import is_admin


class HandoverTaskInline(admin.TabularInline):
    model = HandoverTask
    extra = 0
    fields = ("customer", "role", "priority", "recommended_successor", "successor", "status")
    readonly_fields = ("customer", "role", "priority", "recommended_successor")
    raw_id_fields = ("successor",)
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        # Choosing a successor (an owner to be) in the admin is for admins.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if is_admin(request.user) else [*fields, "successor"]


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

    def has_add_permission(self, request) -> bool:
        # A departure is started by HR or an admin on the departure page (or the API's
        # departures), through handover.services.start_departure: its checks, the
        # employee marked departing, the plan's log and the tasks job. A plan added here
        # would skip all of that, and the last-day job would still lock the person out.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "employee", "created_by"]
        if not is_admin(request.user):
            # Who leaves, when, and whether the plan still runs: HR and admins decide.
            fields += ["last_day", "status"]
        return fields


class HandoverStepInline(admin.TabularInline):
    model = HandoverStep
    extra = 0
    fields = (
        "kind",
        "days_after_last_day",
        "due_on",
        "assignee",
        "done_at",
        "note",
        "satisfaction",
        "escalated_on",
    )
    raw_id_fields = ("assignee",)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if is_admin(request.user) else [*fields, "assignee"]


@admin.register(HandoverTask)
class HandoverTaskAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
    list_display = ("customer", "plan", "priority", "successor", "status")
    list_filter = ("status", "role")
    search_fields = ("customer__name", "plan__employee__name")
    raw_id_fields = ("plan", "customer", "recommended_successor", "successor", "accepted_by")
    inlines = [HandoverStepInline]

    def has_add_permission(self, request) -> bool:
        # Tasks are raised from a plan (handover.services.raise_tasks), never by hand.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Its employees (successor, who accepted) are read-only to staff who are not
        # admins through VisibleInAdmin, like every owner field.
        return [*super().get_readonly_fields(request, obj), "plan", "customer"]
