from django.contrib import admin
from django.core.exceptions import ValidationError

from handover.models import HandoverPlan, HandoverStep, HandoverTask
from staff.access import VisibleInAdmin, employee_of
from staff.admin_site import is_admin

# How HR's lists of handover tasks are ordered: by value, as on the plan page, not by
# priority (which would tell the risk it leaves out).
HR_ORDER = ("-annual_value", "customer__name", "pk")


class HandoverTaskInline(admin.TabularInline):
    model = HandoverTask
    extra = 0
    fields = ("customer", "role", "priority", "recommended_successor", "successor", "status")
    readonly_fields = ("customer", "role", "priority", "recommended_successor")
    raw_id_fields = ("successor",)
    show_change_link = True

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f != "priority"] if _is_hr(request) else fields

    def get_queryset(self, request):
        # By priority, as the tasks are ordered, tells HR the risk: by value for HR.
        queryset = super().get_queryset(request)
        return queryset.order_by(*HR_ORDER) if _is_hr(request) else queryset

    def get_readonly_fields(self, request, obj=None):
        # Choosing a successor (an owner to be) in the admin is for admins.
        fields = list(super().get_readonly_fields(request, obj))
        if _is_hr(request):
            fields = [f for f in fields if f != "priority"]
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
        # Nobody opens their own plan, as on its page and in the API.
        from handover.selectors import plans_seen_by

        return plans_seen_by(request.user, super().get_queryset(request))

    def has_add_permission(self, request) -> bool:
        # A departure is started by HR or an admin on the departure page (or the API's
        # departures), through handover.services.start_departure: its checks, the
        # employee marked departing, the plan's log and the tasks job. A plan added here
        # would skip all of that, and the last-day job would still lock the person out.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A departure that is not happening is cancelled on its plan page (the person
        # stays active, their tasks close); a deleted plan would leave them departing
        # with nothing to hand their customers over.
        return False

    def get_readonly_fields(self, request, obj=None):
        # The status follows what happens (cancelled on the plan page through
        # handover.services.cancel_departure, which closes the tasks and steps and keeps
        # the person; complete when every step is done), never a choice in a form.
        fields = [*super().get_readonly_fields(request, obj), "employee", "created_by", "status"]
        if not is_admin(request.user):
            # When someone leaves: admins move a last day.
            fields += ["last_day"]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or "last_day" not in form.base_fields:
            return form

        class LastDayForm(form):
            def clean_last_day(self):
                from handover.last_day import last_day_change_problems

                day = self.cleaned_data["last_day"]
                if day != obj.last_day:
                    problems = last_day_change_problems(obj, day)
                    if problems:
                        raise ValidationError(problems["last_day"])
                return day

        return LastDayForm

    def save_model(self, request, obj, form, change):
        """A moved last day goes through handover.services.change_last_day: the
        employee's departure date and the open steps' due days move with it."""
        if not (change and "last_day" in form.changed_data):
            return super().save_model(request, obj, form, change)
        from handover.last_day import change_last_day

        new_day = obj.last_day
        obj.last_day = form.initial["last_day"]
        super().save_model(request, obj, form, change)
        change_last_day(plan=obj, last_day=new_day, by=employee_of(request.user))
        obj.refresh_from_db()


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
        # A step is done on the handover pages (handover.services.complete_step: the
        # ownership change performed, done once, nobody's own handover but its knowledge
        # transfer), never by ticking a date here.
        fields = [*super().get_readonly_fields(request, obj), "done_at", "note", "satisfaction"]
        return fields if is_admin(request.user) else [*fields, "assignee"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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

    # What is read from the customer's interactions and scores: not HR's to read (the
    # plan page and the API leave them out for HR alike).
    NOT_FOR_HR = ("risk", "dependence", "interaction_share", "priority", "recommendation_reasons")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        me = employee_of(request.user)
        # Nobody reads the tasks of their own plan (who takes their customers over).
        return queryset.exclude(plan__employee=me) if me is not None else queryset

    def get_ordering(self, request):
        # Tasks are ordered by priority (risk x dependence x value): HR's by value.
        return HR_ORDER if _is_hr(request) else super().get_ordering(request)

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # Nor filtered on by HR through the address (?risk__gte=0.05 would tell by steps).
        if request is not None and _is_hr(request) and lookup.split("__")[0] in self.NOT_FOR_HR:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_list_display(self, request):
        fields = super().get_list_display(request)
        return [f for f in fields if f not in self.NOT_FOR_HR] if _is_hr(request) else fields

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        return [*excluded, *self.NOT_FOR_HR] if _is_hr(request) else excluded

    def get_readonly_fields(self, request, obj=None):
        # Its employees (successor, who accepted) are read-only to staff who are not
        # admins through VisibleInAdmin, like every owner field.
        fields = [*super().get_readonly_fields(request, obj), "plan", "customer"]
        return [f for f in fields if f not in self.NOT_FOR_HR] if _is_hr(request) else fields


def _is_hr(request) -> bool:
    from staff.access import role_of

    return role_of(request.user) == "hr"
