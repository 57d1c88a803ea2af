from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerts.models import Alert, SignalRule, TierPlay, Webhook, WebhookDelivery
from staff.access import VisibleInAdmin
from staff.admin_site import is_admin


class AlertAdminForm(forms.ModelForm):
    """The admin's alert form (its model and fields come from AlertAdmin)."""

    def clean_snoozed_until(self):
        from alerts.services import snooze_too_long

        until = self.cleaned_data.get("snoozed_until")
        if until is not None and until != self.initial.get("snoozed_until"):
            too_long = snooze_too_long(until, timezone.localdate())
            if too_long:
                raise ValidationError(too_long)
        return until

    def clean(self):
        """The rules of acting on an alert (alerts.services._act) where an admin changes
        its status: a snooze runs to a later day, a resolution says what was done (and
        closes the alert today, if no day is given)."""
        from django.utils.translation import gettext as _

        cleaned = super().clean()
        status = cleaned.get("status")
        moved = status != self.initial.get("status")
        until = cleaned.get("snoozed_until")
        today = timezone.localdate()
        if (
            status == Alert.Status.SNOOZED
            and "snoozed_until" in cleaned  # not refused already (a snooze too long)
            and (moved or until != self.initial.get("snoozed_until"))
            and (until is None or until <= today)
        ):
            self.add_error("snoozed_until", _("Snooze until a day after today."))
        if status == Alert.Status.RESOLVED and moved:
            if not (cleaned.get("note") or "").strip():
                self.add_error("note", _("Say what was done when resolving an alert."))
            elif "closed_on" in self.fields and not cleaned.get("closed_on"):
                cleaned["closed_on"] = today
        return cleaned


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
    form = AlertAdminForm

    # Acting on an alert (acknowledge, snooze, resolve) is done where it is routed, on the
    # alert page or the API (alerts.services.act_on_alert: routed people only, a snooze
    # of at most ALERT_SNOOZE_MAX_DAYS). For staff who are not admins the admin only shows
    # alerts; admins may correct one, within the same snooze maximum.
    def has_add_permission(self, request) -> bool:
        return is_admin(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin(request.user) and super().has_delete_permission(request, obj)


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
