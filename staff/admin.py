from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from staff.models import AccessGrant, AccessWarning, ApiToken, AuditEvent, Employee, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "manager", "parent")
    list_filter = ("region",)
    search_fields = ("name", "region", "manager__name")
    autocomplete_fields = ("manager", "parent")


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "team",
        "role",
        "status",
        "is_key_employee",
        "hired_on",
        "departure_date",
    )
    list_filter = ("status", "role", "is_key_employee", "team", "departure_voluntary")
    search_fields = ("name", "email", "external_id")
    autocomplete_fields = ("user", "team", "manager")
    date_hierarchy = "hired_on"
    # A departure is recorded where its rules hold and its handover starts (the
    # Departures page, the API's departures, the employees import), and cancelled on its
    # plan; here it is shown only. Set here, a past last day ended the person's access at
    # once and left their customers with nobody.
    readonly_fields = (
        "departure_recorded_where",
        "status",
        "departure_date",
        "departure_announced_on",
        "departure_reason",
        "departure_voluntary",
    )

    @admin.display(description=_("Departure"))
    def departure_recorded_where(self, obj) -> str:
        return format_html(
            '{} <a href="{}">{}</a>',
            gettext(
                "A departure is recorded on the Departures page, which starts the handover of "
                "every customer, and cancelled on its handover plan."
            ),
            reverse("handover:start"),
            gettext("Record a departure"),
        )

    #: The fields whose employee becomes a customer's owner: their search offers only
    #: the people who may own customers (Employee.may_own_customers), as the plan page.
    OWNER_FIELDS = {("customer", "primary_owner"), ("customer", "secondary_owner")}

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        field = (request.GET.get("model_name"), request.GET.get("field_name"))
        if request.path.endswith("/autocomplete/") and field in self.OWNER_FIELDS:
            queryset = queryset.filter(Employee.may_own_customers())
        return queryset, may_have_duplicates


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins make and revoke API tokens. The key is shown once, right after saving."""

    list_display = ("name", "prefix", "user", "role", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    autocomplete_fields = ("user",)
    actions = ["revoke"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    has_view_permission = has_change_permission = has_add_permission = (
        lambda self, request, obj=None: request.user.is_superuser
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead, so the record of who had access stays

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            key = obj.set_new_key()
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            messages.warning(
                request,
                gettext(
                    "The key of “%(name)s” is %(key)s — copy it now: it is not stored and will "
                    "not be shown again."
                )
                % {"name": obj.name, "key": key},
            )
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(
            request,
            ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", count)
            % {"count": count},
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Admins search and export the audit trail; nobody edits or deletes it."""

    list_display = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "customer_id",
        "rows",
        "ip",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor", "object_id", "reason", "ip")
    date_hierarchy = "at"
    actions = ["export_csv"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Export the selected events as CSV"))
    def export_csv(self, request, queryset):
        import json

        from django.http import StreamingHttpResponse

        from customers.csv_io import csv_lines  # BOM, and no free text runs as a formula

        fields = [
            "at",
            "actor",
            "ip",
            "action",
            "object_type",
            "object_id",
            "customer_id",
            "rows",
            "reason",
            "detail",
        ]

        def cell(value):
            if value is None or isinstance(value, int | float):
                return value
            if isinstance(value, dict | list):
                return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
            return value.isoformat() if hasattr(value, "isoformat") else str(value)

        events = queryset.order_by("at", "pk").iterator(chunk_size=2000)
        response = StreamingHttpResponse(
            csv_lines(fields, ([cell(getattr(e, f)) for f in fields] for e in events)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        return response


@admin.register(AccessWarning)
class AccessWarningAdmin(admin.ModelAdmin):
    list_display = ("day", "employee", "kind", "touched", "daily_average", "exports")
    list_filter = ("kind",)
    search_fields = ("employee__name",)
    date_hierarchy = "day"
    readonly_fields = [f.name for f in AccessWarning._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    """Admins see and revoke grants here. Grants are made only on the customer page, by a
    manager who sees the customer, for at most 90 days, and recorded in the audit trail;
    so nobody adds or edits one here."""

    list_display = ("customer", "grantee", "until", "granted_by", "reason", "revoked_at")
    list_filter = ("until",)
    search_fields = ("customer__name", "grantee__name", "reason")
    raw_id_fields = ("customer", "grantee", "granted_by")
    readonly_fields = ("created_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the record of who had access stays

    @admin.action(description=_("Revoke the selected grants now"))
    def revoke(self, request, queryset):
        from staff import audit

        live = list(queryset.filter(revoked_at__isnull=True))
        AccessGrant.objects.filter(pk__in=[g.pk for g in live]).update(revoked_at=timezone.now())
        audit.record_many(
            AuditEvent.Action.ACCESS_REVOKE,
            "customer",
            [
                (g.customer_id, g.customer_id, {"grant": g.pk, "grantee": g.grantee_id})
                for g in live
            ],
        )
        self.message_user(
            request,
            ngettext("%(count)d grant revoked.", "%(count)d grants revoked.", len(live))
            % {"count": len(live)},
            messages.SUCCESS,
        )
