"""Money with its currency: the company's reporting currency, dated exchange rates, and
each contract's annual value converted into the reporting currency when it is written.

Every sum, feature and figure (scoring, revenue at risk, alerts, dashboard, exposure)
reads one column, `Contract.annual_value_reporting`, so a JPY 5,000,000 contract counts
as what it is worth next to a EUR 30,000 one. The rule:

- the reporting currency is settings.REPORTING_CURRENCY (EUR unless set); its rate is 1;
- an ExchangeRate says how many units of the reporting currency one unit of a currency
  was worth on a day;
- a contract converts at the latest rate on or before the day it starts (a contract
  starting before the first known rate of its currency takes that first rate);
- a contract in a currency with no rate at all is refused at every door, naming the
  currency; rates written later reconvert the contracts of their currency, set-based.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from retention.days import on_or_after_earliest_day
from retention.wording import Worded

CENT = Decimal("0.01")


def reporting_currency() -> str:
    return settings.REPORTING_CURRENCY


def rate_external_id(currency: str, day: dt.date) -> str:
    return f"{currency}-{day.isoformat()}"


class CurrencyFieldsChecked:
    """Model mixin: `clean_fields()` adds the problems of the model's currency code
    (`currency_field_errors`: not ISO, no rate) to Django's own field errors, so every
    door that runs `full_clean()` names them by field."""

    def clean_fields(self, exclude=None) -> None:
        from django.core.exceptions import ValidationError

        errors = currency_field_errors(self)
        try:
            super().clean_fields(exclude)
        except ValidationError as invalid:
            errors = {**invalid.message_dict, **errors}
        if errors:
            raise ValidationError(errors)


class ExchangeRate(CurrencyFieldsChecked, models.Model):
    """One unit of `currency` was worth `rate` units of the reporting currency on `day`."""

    currency = models.CharField(
        max_length=3,
        validators=[
            RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO currency code, e.g. JPY.")
        ],
    )
    day = models.DateField(
        validators=[on_or_after_earliest_day], help_text=_("The day the rate is for.")
    )
    rate = models.DecimalField(
        max_digits=20,
        decimal_places=10,
        validators=[MinValueValidator(Decimal("0.0000000001"))],
        help_text=_("Units of the reporting currency for one unit of this currency."),
    )
    # "<currency>-<day>", kept by save() and the import, so rates upsert like the rest.
    external_id = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        app_label = "customers"
        ordering = ["currency", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="one_rate_per_currency_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {Decimal(self.rate).normalize()} {reporting_currency()} on {self.day}"

    def save(self, *args, **kwargs):
        self.external_id = rate_external_id(self.currency, self.day)
        super().save(*args, **kwargs)
        reconvert([self.currency])

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        reconvert([self.currency])
        return result

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.currency == reporting_currency():
            raise ValidationError(
                {
                    "currency": Worded(
                        gettext_noop(
                            "%(currency)s is the reporting currency; its rate is always 1."
                        ),
                        currency=self.currency,
                    )
                }
            )
        if self.currency and self.rate is not None:
            problems = rate_rows_errors(
                [
                    (
                        0,
                        {
                            "currency": self.currency,
                            "day": self.day,
                            "rate": self.rate,
                            "id": self.pk,
                        },
                    )
                ]
            )
            if problems:
                raise ValidationError({"rate": problems[0][2]})


class Rates:
    """The rates of some currencies, loaded with one query, to convert many amounts."""

    def __init__(self, currencies: Iterable[str]):
        wanted = set(currencies) - {reporting_currency()}
        self.by_currency: dict[str, tuple[list[dt.date], list[Decimal]]] = {}
        for currency, day, rate in (
            ExchangeRate.objects.filter(currency__in=wanted)
            .order_by("currency", "day")
            .values_list("currency", "day", "rate")
        ):
            days, rates = self.by_currency.setdefault(currency, ([], []))
            days.append(day)
            rates.append(rate)

    def known(self, currency: str) -> bool:
        return currency == reporting_currency() or currency in self.by_currency

    def rate(self, currency: str, day: dt.date) -> Decimal | None:
        if currency == reporting_currency():
            return Decimal(1)
        if currency not in self.by_currency:
            return None
        days, rates = self.by_currency[currency]
        at = bisect.bisect_right(days, day) - 1
        return rates[max(at, 0)]

    def convert(self, amount: Decimal | None, currency: str, day: dt.date) -> Decimal | None:
        rate = self.rate(currency, day)
        if amount is None or rate is None:
            return None
        return (Decimal(amount) * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def currency_field_errors(instance: models.Model) -> dict[str, str]:
    """A record's `currency` as the import takes it (trimmed, capitals), or why it is no
    ISO 4217 code: for the clean_fields() of the models with a currency, so the admin
    and forms read "jpy" as JPY and refuse "ZZZ" as the API and the file import do."""
    from customers.row_values import RowError, currency_code

    if not isinstance(instance.currency, str) or not instance.currency.strip():
        return {}
    try:
        instance.currency = currency_code(instance.currency)
    except RowError as problem:
        return {"currency": str(problem)}
    return {}


def no_rate_message(currency: str) -> str:
    return Worded(
        gettext_noop(
            "There is no exchange rate for %(currency)s into %(reporting)s; add one (admin: "
            "Exchange rates, the API's exchange-rates, or an import) first."
        ),
        currency=currency,
        reporting=reporting_currency(),
    )


# The largest value a contract holds in the reporting currency (numeric(14, 2)).
MOST_REPORTING_VALUE = Decimal("999999999999.99")


def too_large_message(amount, currency: str, converted: Decimal) -> Worded:
    return Worded(
        gettext_noop(
            "%(amount)s %(currency)s is %(converted)s %(reporting)s; a contract's annual value "
            "in the reporting currency is at most 999,999,999,999.99. Check the amount, the "
            "currency and its exchange rate."
        ),
        amount=f"{Decimal(amount):,.2f}",
        currency=currency,
        converted=f"{converted:,.2f}",
        reporting=reporting_currency(),
    )


def minor_unit_message(amount, currency: str) -> Worded | None:
    """Why `amount` cannot be an amount of `currency`, or None: it has more decimals
    than the currency's minor unit (0 for JPY and KRW; the precision of Unicode CLDR's
    currency data, through Babel, which follows ISO 4217). The column keeps two."""
    from babel.numbers import get_currency_precision

    if amount is None or not currency:
        return None
    places = get_currency_precision(currency)
    number = Decimal(amount)
    if (
        places >= 2
        or not number.is_finite()
        or number == number.quantize(Decimal(1).scaleb(-places))
    ):
        return None
    return Worded(
        gettext_noop("%(amount)s has more decimals than %(currency)s amounts have (%(places)s)."),
        amount=format(number.normalize(), "f"),  # as written: 1200.5, not the column's 1200.50
        currency=currency,
        places=places,
    )


def contract_rows_errors(rows: list[tuple[int, dict]]) -> list[tuple[int, str, str]]:
    """The bulk upsert's check and conversion of contracts: fills each row's
    annual_value_reporting, or refuses a currency without a rate, or a value the
    reporting currency's column cannot hold (a JPY amount sent as EUR, a rate entered
    upside down), or an amount with decimals its currency has not (JPY 5000000.55),
    naming the amount. One query."""
    rates = Rates({row["currency"] for _, row in rows})
    kept = _stored_as_sent(
        [row for _, row in rows if minor_unit_message(row["annual_value"], row["currency"])]
    )
    errors = []
    for index, row in rows:
        if not rates.known(row["currency"]):
            errors.append((index, "currency", no_rate_message(row["currency"])))
            continue
        problem = minor_unit_message(row["annual_value"], row["currency"])
        if problem and _key(row) not in kept:
            errors.append((index, "annual_value", problem))
            continue
        converted = rates.convert(row["annual_value"], row["currency"], row["start_date"])
        if converted is not None and converted > MOST_REPORTING_VALUE:
            errors.append(
                (
                    index,
                    "annual_value",
                    too_large_message(row["annual_value"], row["currency"], converted),
                )
            )
            continue
        row["annual_value_reporting"] = converted
    return errors


def _key(row: dict) -> tuple:
    return ("id", row["id"]) if row.get("id") else ("external_id", row.get("external_id"))


def _stored_as_sent(rows: list[dict]) -> set[tuple]:
    """Of `rows` (contracts by `id` or `external_id`), those whose amount and currency are
    stored as they are sent: an amount stored before its currency's decimals were checked
    (JPY 5000000.55) is not refused again when it comes back unchanged. One query, for
    the few rows with such an amount."""
    from django.db.models import Q

    from customers.models import Contract

    if not rows:
        return set()
    ids = [row["id"] for row in rows if row.get("id")]
    keys = [row["external_id"] for row in rows if not row.get("id") and row.get("external_id")]
    stored = {}
    for pk, key, value, currency in Contract.objects.filter(
        Q(pk__in=ids) | Q(external_id__in=keys)
    ).values_list("pk", "external_id", "annual_value", "currency"):
        stored[("id", pk)] = stored[("external_id", key)] = (value, currency)
    return {
        _key(row)
        for row in rows
        if stored.get(_key(row)) == (Decimal(row["annual_value"]), row["currency"])
    }


def rate_rows_errors(rows: list[tuple[int, dict]]) -> list[tuple[int, str, str]]:
    """A rate that would make a contract it converts worth more than the reporting
    currency's column holds (a JPY rate entered as 160 instead of 1/160) is refused
    naming the largest such contract, before the contracts are converted again.

    A rate converts the contracts of its currency that start on or after its day and
    before the currency's next rate, and the first rate also those that start before it
    (`reconvert`). So the rows are judged against the rates as they will stand: the
    stored ones, with each row in place of a stored rate of the same currency and day
    (and of the stored rate `id` names: an edit that moves a rate to another day). A
    rate that converts no contract past the limit passes, however large (an old rate
    re-sent unchanged beside a large contract of today). `rows`: (index, {"currency",
    "day", "rate", optional "id"}). Two queries for the batch, and one per refusal."""
    from django.db.models import Max

    from customers.models import Contract

    judged = [
        (index, row)
        for index, row in rows
        if row.get("currency") and row.get("day") is not None and row.get("rate") is not None
    ]
    currencies = {row["currency"] for _, row in judged}
    if not currencies:
        return []
    # currency -> day -> (rate, index of the row that sets it, or None if stored)
    standing: dict[str, dict[dt.date, tuple[Decimal, int | None]]] = {c: {} for c in currencies}
    stored_days: dict[str, list[dt.date]] = {c: [] for c in currencies}
    moved = {row["id"] for _, row in judged if row.get("id") is not None}
    for pk, currency, day, rate in ExchangeRate.objects.filter(currency__in=currencies).values_list(
        "pk", "currency", "day", "rate"
    ):
        stored_days[currency].append(day)
        if pk not in moved:
            standing[currency][day] = (rate, None)
    for index, row in judged:
        standing[row["currency"]][row["day"]] = (Decimal(row["rate"]), index)
    days = {currency: sorted(by_day) for currency, by_day in standing.items()}
    stored_days = {currency: sorted(found) for currency, found in stored_days.items()}
    # The row that moves a stored rate to another day (the admin's edit): a stored rate
    # that takes over contracts the moved rate converted is that row's doing.
    mover = {row["currency"]: index for index, row in judged if row.get("id") is not None}
    # The largest contract of each currency and start day, each converted by the rate
    # that will govern its start: the largest value a row's rate converts.
    worst: dict[int, tuple[Decimal, Decimal, str, dt.date, dt.date | None]] = {}
    for currency, start, most in (
        Contract.objects.filter(currency__in=currencies)
        .values_list("currency", "start_date")
        .annotate(most=Max("annual_value"))
        .order_by()
    ):
        governing = _governing(days[currency], start)
        rate, index = standing[currency][governing]
        if index is None:
            governed_before = _governing(stored_days[currency], start)
            if governed_before == governing or currency not in mover:
                continue  # the stored rate converted it before the batch too
            index, fallback = mover[currency], governing
        else:
            fallback = None
        converted = (Decimal(most) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        if converted > MOST_REPORTING_VALUE and converted > worst.get(index, (0,))[0]:
            worst[index] = (converted, most, currency, start, fallback)
    errors = []
    for index, (converted, most, currency, start, fallback) in sorted(worst.items()):
        external_id = (  # for the message only: which contract
            Contract.objects.filter(currency=currency, start_date=start, annual_value=most)
            .values_list("external_id", flat=True)
            .first()
        )
        figures = {
            "contract": external_id,
            "converted": f"{converted:,.2f}",
            "reporting": reporting_currency(),
            "currency": currency,
        }
        message = (
            Worded(
                gettext_noop(
                    "At this rate contract %(contract)s would be worth %(converted)s "
                    "%(reporting)s, more than a contract's value can be "
                    "(999,999,999,999.99); check the rate (one %(currency)s in "
                    "%(reporting)s)."
                ),
                **figures,
            )
            if fallback is None
            else Worded(
                gettext_noop(
                    "Moved to this day, the rate leaves contract %(contract)s to the "
                    "%(currency)s rate of %(day)s, at which it would be worth "
                    "%(converted)s %(reporting)s, more than a contract's value can be "
                    "(999,999,999,999.99); correct that rate first."
                ),
                day=fallback.isoformat(),
                **figures,
            )
        )
        errors.append((index, "rate", message))
    return errors


def _governing(days: list[dt.date], start: dt.date) -> dt.date | None:
    """Of a currency's rate days (sorted), the one whose rate converts a contract starting
    on `start`: the latest on or before it, else the first (None: no rate)."""
    return days[max(bisect.bisect_right(days, start) - 1, 0)] if days else None


def fill_reporting_values(contracts: Iterable) -> None:
    """Set annual_value_reporting on Contract objects about to be saved (one query)."""
    contracts = list(contracts)
    rates = Rates({c.currency for c in contracts})
    for contract in contracts:
        contract.annual_value_reporting = rates.convert(
            contract.annual_value, contract.currency, contract.start_date
        )


def reconvert(currencies: Iterable[str]) -> int:
    """Convert again every contract in these currencies (after their rates changed),
    with one UPDATE per currency set: the latest rate on or before the start, else the
    first rate."""
    from customers.models import Contract

    currencies = set(currencies)
    if not currencies:
        return 0
    rates = ExchangeRate.objects.filter(currency=OuterRef("currency"))
    on_or_before = rates.filter(day__lte=OuterRef("start_date")).order_by("-day")
    first = rates.order_by("day")
    rate = Coalesce(Subquery(on_or_before.values("rate")[:1]), Subquery(first.values("rate")[:1]))
    value = Round(
        ExpressionWrapper(
            F("annual_value") * rate, output_field=DecimalField(max_digits=30, decimal_places=10)
        ),
        2,
    )
    changed = 0
    others = currencies - {reporting_currency()}
    if others:
        changed += Contract.objects.filter(currency__in=others).update(annual_value_reporting=value)
    if reporting_currency() in currencies:
        changed += Contract.objects.filter(currency=reporting_currency()).update(
            annual_value_reporting=F("annual_value")
        )
    return changed
