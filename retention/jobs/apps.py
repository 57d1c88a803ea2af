from django.apps import AppConfig


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "retention.jobs"
    label = "jobs"  # tables, migrations and templates keep the short name
    verbose_name = "Nightly jobs"
