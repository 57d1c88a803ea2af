from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from customers import upsert
        from retention import (
            checks,  # noqa: F401  (registers the start-up checks)
            text_input,
        )
        from staff import (
            auth,  # noqa: F401  (counts failed sign-ins per address)
            imports,
        )

        # Teams and employees come in through the same doors as customers (files, API).
        upsert.KINDS.update(imports.KINDS)
        # One text rule in every form and serializer text field (invisible-only text is
        # empty; direction controls are refused).
        text_input.install()


class RetentionAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on a site that asks the same rules as the app (staff/admin_site.py)."""

    default = False  # named in INSTALLED_APPS; StaffConfig stays this module's default
    default_site = "staff.admin_site.RetentionAdminSite"
