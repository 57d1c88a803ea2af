from django.contrib import admin

from alerts.models import Alert, SignalRule


@admin.register(SignalRule)
class SignalRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "enabled", "play")
    list_editable = ("enabled",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "customer",
        "signal",
        "status",
        "revenue_at_risk",
        "owner",
        "manager",
        "opened_on",
    )
    list_filter = ("status", "signal")
    search_fields = ("customer__name",)
    raw_id_fields = ("customer", "owner", "manager")
    show_full_result_count = False
