"""The demo company's exchange rates: a rate on the first of every month of the history
for a few currencies, so contracts in them can be sent to the demo at once (API, file
import, admin). The demo's own contracts stay in the reporting currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from django.conf import settings

from customers.currency import ExchangeRate, rate_external_id

# Units of EUR for one unit of each currency: round reference rates of 2025-26.
DEMO_RATES_IN_EUR = {
    "EUR": "1",
    "USD": "0.92",
    "GBP": "1.17",
    "CHF": "1.06",
    "JPY": "0.0061",
    "CNY": "0.128",
    "SEK": "0.087",
}


def seed_exchange_rates(start: dt.date, as_of: dt.date) -> int:
    """Rates into the reporting currency (cross rates through EUR) on the first of each
    month from `start` to `as_of`; none when the reporting currency is not among them.
    Rates already there are kept. Returns how many were written."""
    reporting = settings.REPORTING_CURRENCY
    if reporting not in DEMO_RATES_IN_EUR:
        return 0
    per_reporting = Decimal(DEMO_RATES_IN_EUR[reporting])
    months = pd.date_range(start.replace(day=1), as_of, freq="MS").date
    rates = [
        ExchangeRate(
            currency=currency,
            day=day,
            rate=(Decimal(in_eur) / per_reporting).quantize(Decimal("1e-10")),
            external_id=rate_external_id(currency, day),
        )
        for currency, in_eur in DEMO_RATES_IN_EUR.items()
        if currency != reporting
        for day in months
    ]
    return len(ExchangeRate.objects.bulk_create(rates, ignore_conflicts=True))
