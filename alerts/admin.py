from django.contrib import admin

from alerts.models import Alert, SignalRule, TierPlay, Webhook, WebhookDelivery
from staff.access import VisibleInAdmin


@admin.register(SignalRule)
class SignalRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "enabled", "thresholds", "play")
    list_editable = ("enabled",)


@admin.register(TierPlay)
class TierPlayAdmin(admin.ModelAdmin):
    list_display = ("tier", "segment", "text")


@admin.register(Alert)
class AlertAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
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


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "active", "created_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "webhook", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status", "event", "webhook")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["send_again"]

    @admin.action(description="Send the selected deliveries again")
    def send_again(self, request, queryset):
        from alerts.webhooks import resend

        self.message_user(request, f"{resend(queryset)} deliveries will be sent again now.")
