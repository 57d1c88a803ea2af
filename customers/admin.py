from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import DataError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from customers.currency import reconvert
from customers.forms import PLAIN_DECIMALS
from customers.models import (
    Contact,
    Contract,
    Customer,
    ExchangeRate,
    Interaction,
    OwnershipPeriod,
    OwnershipReason,
    RiskModel,
    RiskScore,
    ScoringRun,
)
from customers.tasks import train_risk_model
from staff.access import VisibleInAdmin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = (
        "name",
        "role",
        "email",
        "phone",
        "is_decision_maker",
        "status",
        "known_since",
        "left_on",
    )


class ContractInline(admin.TabularInline):
    model = Contract
    formfield_overrides = PLAIN_DECIMALS
    fk_name = "customer"
    extra = 0
    fields = (
        "external_id",
        "start_date",
        "end_date",
        "annual_value",
        "currency",
        "kind",
        "status",
        "auto_renew",
    )


class OwnershipInline(admin.TabularInline):
    model = OwnershipPeriod
    extra = 0
    fields = ("employee", "role", "started_on", "ended_on", "changed_by", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # History is written by owner changes, never typed in.
        return False


@admin.register(Customer)
class CustomerAdmin(VisibleInAdmin, admin.ModelAdmin):
    list_display = (
        "name",
        "external_id",
        "segment",
        "region",
        "primary_owner",
        "secondary_owner",
        "status",
    )
    list_filter = ("status", "segment", "region", "industry", "churn_reason")
    search_fields = ("name", "external_id")
    autocomplete_fields = ("primary_owner", "secondary_owner")
    list_select_related = ("primary_owner", "secondary_owner")
    inlines = [ContactInline, ContractInline, OwnershipInline]

    def save_model(self, request, obj, form, change):
        changed_by = getattr(request.user, "employee", None)
        obj.save(changed_by=changed_by, change_reason=OwnershipReason.ADMIN)


@admin.register(Contact)
class ContactAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
    list_display = ("name", "customer", "role", "is_decision_maker", "status", "left_on")
    list_filter = ("status", "is_decision_maker")
    search_fields = ("name", "email", "customer__name", "external_id")
    autocomplete_fields = ("customer",)
    list_select_related = ("customer",)


@admin.register(Contract)
class ContractAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
    formfield_overrides = PLAIN_DECIMALS
    list_display = (
        "external_id",
        "customer",
        "start_date",
        "end_date",
        "annual_value",
        "currency",
        "annual_value_reporting",
        "status",
        "auto_renew",
    )
    list_filter = ("status", "kind", "auto_renew", "currency")
    search_fields = ("external_id", "customer__name")
    autocomplete_fields = ("customer", "renewal_of")
    list_select_related = ("customer",)
    date_hierarchy = "end_date"


@admin.register(Interaction)
class InteractionAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
    list_display = ("happened_at", "customer", "kind", "direction", "employee", "satisfaction")
    list_filter = ("kind", "direction")
    search_fields = ("customer__name", "external_id", "notes")
    autocomplete_fields = ("customer", "employee", "contact")
    list_select_related = ("customer", "employee")
    date_hierarchy = "happened_at"
    show_full_result_count = False


@admin.register(OwnershipPeriod)
class OwnershipPeriodAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
    list_display = ("customer", "employee", "role", "started_on", "ended_on", "changed_by")
    list_filter = ("role",)
    search_fields = ("customer__name", "employee__name")
    list_select_related = ("customer", "employee", "changed_by")
    readonly_fields = (
        "customer",
        "employee",
        "role",
        "started_on",
        "ended_on",
        "changed_by",
        "reason",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RiskModel)
class RiskModelAdmin(admin.ModelAdmin):
    list_display = ("version", "kind", "as_of", "roc_auc", "churners", "is_active", "trained_at")
    list_filter = ("kind", "is_active")
    readonly_fields = [field.name for field in RiskModel._meta.fields if field.name != "artifact"]
    exclude = ("artifact",)
    actions = ["train_now"]

    @admin.display(description=_("Validation ROC AUC"))
    def roc_auc(self, model: RiskModel):
        return model.metrics.get("roc_auc")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Train a new model now (the selection does not matter)"))
    def train_now(self, request, queryset):
        result = train_risk_model.delay(as_of=timezone.localdate().isoformat())
        self.message_user(
            request,
            gettext("Training started (%(task)s); the new model appears here when done.")
            % {"task": result.id},
        )


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = ("day", "status", "progress_shown", "customers_scored", "model", "finished_at")
    list_filter = ("status",)
    readonly_fields = [field.name for field in ScoringRun._meta.fields]
    actions = ["score_again"]

    @admin.display(description=_("Progress"))
    def progress_shown(self, run: ScoringRun) -> str:
        return gettext("%(done)s/%(total)s chunks (%(percent)s)") % {
            "done": run.chunks_done,
            "total": run.chunks_total,
            "percent": f"{run.progress:.0%}",
        }

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Score the selected days again now"))
    def score_again(self, request, queryset):
        from django.core.exceptions import ValidationError

        from customers.tasks import score_day

        for day in queryset.values_list("day", flat=True):
            try:
                score_day(day)
            except ValidationError as error:  # already running: not started twice
                self.message_user(request, " ".join(error.messages), level="warning")
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Scoring queued for %(count)d day.", "Scoring queued for %(count)d days.", count
            )
            % {"count": count},
        )


@admin.register(RiskScore)
class RiskScoreAdmin(VisibleInAdmin, admin.ModelAdmin):
    customer_prefix = "customer__"
    list_display = (
        "customer",
        "day",
        "valid_until",
        "tier",
        "probability",
        "revenue_at_risk",
        "top_reason",
    )
    list_filter = ("tier", "day")
    search_fields = ("customer__name", "customer__external_id")
    raw_id_fields = ("customer",)
    readonly_fields = [field.name for field in RiskScore._meta.fields]
    show_full_result_count = False
    list_select_related = ("customer",)

    @admin.display(description=_("Top reason"))
    def top_reason(self, score: RiskScore) -> str:
        return score.reason_texts[0] if score.reasons else "No warning signs"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Dated rates into the reporting currency; saving one reconverts its contracts."""

    list_display = ("currency", "day", "rate", "updated_at")
    formfield_overrides = PLAIN_DECIMALS
    list_filter = ("currency",)
    date_hierarchy = "day"

    def get_readonly_fields(self, request, obj=None):
        """A rate's currency is what it is a rate of: moving it to another currency would
        leave the old one's contracts without a rate. Delete it and add the right one."""
        return ("currency",) if obj is not None else ()

    def get_deleted_objects(self, objs, request):
        """A currency's last rates cannot go while contracts are in it: they would be
        left with no value in the reporting currency (every door refuses a contract in a
        currency without a rate). Listed as protected, Django's own refusal, for the
        delete page and the list's "Delete selected" alike."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        doomed = list(objs)
        currencies = {rate.currency for rate in doomed}
        for currency in _left_without_a_rate(currencies, [rate.pk for rate in doomed]):
            contracts = Contract.objects.filter(currency=currency)
            count = contracts.count()
            protected.append(
                ngettext(
                    "%(count)s contract in %(currency)s (%(contract)s): the last rate "
                    "of a currency goes only when no contract is in it.",
                    "%(count)s contracts in %(currency)s (such as %(contract)s): the "
                    "last rate of a currency goes only when no contract is in it.",
                    count,
                )
                % {
                    "count": count,
                    "currency": currency,
                    "contract": contracts.order_by("pk").first(),
                }
            )
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        try:
            with transaction.atomic():
                _keep_a_rate_for_contracts({obj.currency}, exclude=[obj.pk])
                super().delete_model(request, obj)
        except DataError:
            raise PermissionDenied(_overflow_refusal({obj.currency})) from None

    def delete_queryset(self, request, queryset):
        """Delete selected reconverts the contracts of the rates' currencies, as deleting
        one rate does (a queryset's delete does not call each rate's delete())."""
        currencies = set(queryset.values_list("currency", flat=True))
        try:
            with transaction.atomic():
                _keep_a_rate_for_contracts(
                    currencies, exclude=list(queryset.values_list("pk", flat=True))
                )
                super().delete_queryset(request, queryset)
                reconvert(currencies)
        except DataError:
            raise PermissionDenied(_overflow_refusal(currencies)) from None


def _overflow_refusal(currencies: set[str]) -> str:
    """A deletion whose reconversion the database refused (numeric overflow): the older
    rate the contracts fall back to makes a value too large to store. Nothing deleted."""
    return gettext(
        "Without this rate, contracts in %(currency)s would be converted at an older rate "
        "into a value too large to store in the reporting currency; nothing was deleted. "
        "Correct the older rate first."
    ) % {"currency": ", ".join(sorted(currencies))}


def _left_without_a_rate(currencies: set[str], exclude: list[int], *, lock=False) -> list[str]:
    """The currencies that contracts are in and that would keep no rate without the rates
    `exclude`; `lock`: with the currencies' rates locked, inside the deleting transaction
    (two admins deleting a currency's last two rates at once: the second waits, then
    finds none left)."""
    rates = ExchangeRate.objects.filter(currency__in=currencies).order_by("pk")
    if lock:
        rates = rates.select_for_update()
    excluded = set(exclude)
    kept = {c for pk, c in rates.values_list("pk", "currency") if pk not in excluded}
    return [
        currency
        for currency in sorted(currencies - kept)
        if Contract.objects.filter(currency=currency).exists()
    ]


def _keep_a_rate_for_contracts(currencies: set[str], exclude: list[int]) -> None:
    """Refuse (403) a deletion that leaves a currency with contracts without a rate."""
    for currency in _left_without_a_rate(currencies, exclude, lock=True):
        raise PermissionDenied(
            gettext(
                "Contracts are in %(currency)s: the last rate of a currency goes only "
                "when no contract is in it."
            )
            % {"currency": currency}
        )
