"""The admin site, gated by the same rules as the app.

- Only people who may act now (staff/auth.py) get in; the session and sign-in already ask.
- Roles and people, grants, API tokens, webhooks, signal rules, plays, the audit trail,
  logins, schedules: every model not listed in CUSTOMER_RECORDS is for admins only, whatever
  model permissions a staff account was given. Registrations by other apps (auth, axes,
  celery beat) are gated the same way, because the site wraps every ModelAdmin it is given.
- The customer records in CUSTOMER_RECORDS follow staff/access.py for reading and writing
  (staff.access.VisibleInAdmin): a staff account lists, opens, changes and links to only
  what it sees in the app. Their autocomplete answers (the customers offered when a
  record's customer is picked) are reads too: audited and within a leaver's allowance."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

# Models a staff account that is not an admin may reach (with the model permissions it was
# given), always narrowed by staff/access.py.
CUSTOMER_RECORDS = {
    "customers.customer",
    "customers.contact",
    "customers.contract",
    "customers.interaction",
    "customers.ownershipperiod",
    "customers.riskscore",
    "alerts.alert",
    "handover.handoverplan",
    "handover.handovertask",
}


def is_admin(user) -> bool:
    from staff.access import Role, role_of

    return role_of(user) == Role.ADMIN


class AdminOnly:
    """ModelAdmin mixin: nothing of this model for anyone but admins."""

    def has_module_permission(self, request) -> bool:
        return is_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return is_admin(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin(request.user) and super().has_delete_permission(request, obj)


class AuditedAutocomplete(AutocompleteJsonView):
    """The admin's autocomplete: the records it offers of a model narrowed by
    staff/access.py are a read like a list page (one audit event with the rows offered,
    counted towards a leaver's daily allowance, staff/reads.py)."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        read = getattr(self.model_admin, "_read", None)
        if response.status_code != 200 or read is None:
            return response
        rows = len(json.loads(response.content)["results"])
        refused = read(request, rows, detail={"admin": request.path, "term": self.term})
        return refused or response


class RetentionAdminSite(admin.AdminSite):
    site_header = "Retention CRM administration"

    @property
    def login_form(self):
        from staff.auth import AdminSignInForm

        return AdminSignInForm

    def has_permission(self, request) -> bool:
        from staff.auth import access_refused

        return super().has_permission(request) and access_refused(request.user) is None

    def autocomplete_view(self, request):
        return AuditedAutocomplete.as_view(admin_site=self)(request)

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            cls = admin_class or admin.ModelAdmin
            if model._meta.label_lower not in CUSTOMER_RECORDS and not issubclass(cls, AdminOnly):
                cls = type(cls.__name__, (AdminOnly, cls), {"__module__": cls.__module__})
            super().register(model, cls, **options)
