"""A contract's value in the reporting currency is held in numeric(14, 2): at most
999,999,999,999.99. A contract, or a rate, that would pass it (a JPY amount sent with the
currency EUR, a JPY rate entered as 160 instead of 1/160) is refused by field at every
door, with the amounts, instead of failing in the database (a 500 in the admin, "numeric
field overflow" in an import)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from customers.models import Contract, ExchangeRate
from tests.api.helpers import integration_client
from tests.factories import ContractFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def admin_form(model, data, instance=None):
    """The admin's change form of `model` as a superuser fills it in with `data`."""
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    return admin.site._registry[model].get_form(request, instance)(data, instance=instance)


def bulk(kind, rows):
    return integration_client()[0].post(
        f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json", **EN
    )


def test_a_contract_past_the_limit_in_the_reporting_currency_is_refused_by_the_api():
    CustomerFactory(external_id="C-1")
    ExchangeRate.objects.create(currency="GBP", day=dt.date(2020, 1, 1), rate=Decimal("1.17"))
    row = {
        "external_id": "K-1",
        "customer": "C-1",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "annual_value": "999999999999.99",
        "currency": "GBP",
    }
    response = bulk("contracts", [row])
    assert response.status_code == 400
    # 999,999,999,999.99 x 1.17 = 1,169,999,999,999.9883, rounded to the cent.
    assert response.json()["error"]["rows"] == [
        {
            "index": 0,
            "field": "annual_value",
            "message": "999,999,999,999.99 GBP is 1,169,999,999,999.99 EUR; a contract's annual "
            "value in the reporting currency is at most 999,999,999,999.99. Check the amount, "
            "the currency and its exchange rate.",
        }
    ]
    assert not Contract.objects.exists()
    row["annual_value"] = "854700854700.85"  # x 1.17 = 999,999,999,999.9945 -> .99
    assert bulk("contracts", [row]).status_code == 200
    assert Contract.objects.get().annual_value_reporting == Decimal("999999999999.99")


def test_a_rate_that_would_push_a_stored_contract_past_the_limit_is_refused():
    ExchangeRate.objects.create(currency="JPY", day=dt.date(2020, 1, 1), rate=Decimal("0.006"))
    ContractFactory(
        external_id="K-JP",
        annual_value=Decimal("50000000000"),
        currency="JPY",
        start_date=dt.date(2026, 2, 1),
        end_date=dt.date(2027, 1, 31),
    )  # 50 billion yen: 300 million euros at 0.006
    # The new rate governs the contract: it starts after the rate's day.
    response = bulk("exchange-rates", [{"currency": "JPY", "day": "2026-01-01", "rate": "160"}])
    assert response.status_code == 400
    # 50,000,000,000 x 160 = 8,000,000,000,000.
    assert response.json()["error"]["rows"] == [
        {
            "index": 0,
            "field": "rate",
            "message": "At this rate contract K-JP would be worth 8,000,000,000,000.00 EUR, more "
            "than a contract's value can be (999,999,999,999.99); check the rate (one JPY in "
            "EUR).",
        }
    ]
    assert ExchangeRate.objects.filter(currency="JPY").count() == 1
    assert Contract.objects.get().annual_value_reporting == Decimal("300000000.00")


def test_the_admin_says_the_same_for_a_rate_and_a_contract():
    ExchangeRate.objects.create(currency="JPY", day=dt.date(2020, 1, 1), rate=Decimal("0.006"))
    contract = ContractFactory(
        annual_value=Decimal("50000000000"),
        currency="JPY",
        start_date=dt.date(2026, 2, 1),
        end_date=dt.date(2027, 1, 31),
    )
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    rate_form = admin.site._registry[ExchangeRate].get_form(request)(
        {"currency": "JPY", "day": "2026-01-01", "rate": "160"}
    )
    assert not rate_form.is_valid()
    assert rate_form.errors["rate"][0].startswith(
        f"At this rate contract {contract.external_id} would be worth 8,000,000,000,000.00 EUR"
    )
    ExchangeRate.objects.create(currency="GBP", day=dt.date(2020, 1, 1), rate=Decimal("1.17"))
    contract_form = admin.site._registry[Contract].get_form(request, contract)(
        {
            "customer": contract.customer_id,
            "external_id": contract.external_id,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "annual_value": "999999999999",
            "currency": "GBP",
            "kind": "subscription",
            "status": "active",
        },
        instance=contract,
    )
    assert not contract_form.is_valid()
    # 999,999,999,999 x 1.17 = 1,169,999,999,998.83.
    assert contract_form.errors["annual_value"] == [
        "999,999,999,999.00 GBP is 1,169,999,999,998.83 EUR; a contract's annual value in the "
        "reporting currency is at most 999,999,999,999.99. Check the amount, the currency and "
        "its exchange rate."
    ]


def nok_world():
    """NOK rates of 2000 (1,000 EUR, a slip nobody corrected) and 2020 (0.09), and a
    contract of 500 billion kroner that starts in 2026: the 2020 rate converts it
    (45 billion euros); the 2000 rate converts no contract at all."""
    ExchangeRate.objects.create(currency="NOK", day=dt.date(2000, 1, 1), rate=Decimal("1000"))
    ExchangeRate.objects.create(currency="NOK", day=dt.date(2020, 1, 1), rate=Decimal("0.09"))
    return ContractFactory(
        external_id="K-NO",
        annual_value=Decimal("500000000000"),
        currency="NOK",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )


def test_a_rate_that_converts_no_large_contract_passes_at_every_door(tmp_path):
    nok_world()
    unchanged = {"currency": "NOK", "day": "2000-01-01", "rate": "1000"}
    # The API: the stored row re-sent unchanged, and the same day at another rate.
    response = bulk("exchange-rates", [unchanged])
    assert response.status_code == 200, response.json()
    assert bulk("exchange-rates", [{**unchanged, "rate": "2000"}]).status_code == 200
    # The file import.
    path = tmp_path / "rates.csv"
    path.write_text("currency,day,rate\nNOK,2000-01-01,1000\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_csv", "exchange_rates", str(path), stdout=out)
    assert "1 row" in out.getvalue()
    assert ExchangeRate.objects.get(currency="NOK", day=dt.date(2000, 1, 1)).rate == Decimal("1000")
    # The admin's form, editing the stored rate.
    old = ExchangeRate.objects.get(currency="NOK", day=dt.date(2000, 1, 1))
    form = admin_form(ExchangeRate, {"currency": "NOK", "day": "2000-01-01", "rate": "1500"}, old)
    assert form.is_valid(), form.errors
    # 500,000,000,000 x 0.09: still the 2020 rate's.
    assert Contract.objects.get().annual_value_reporting == Decimal("45000000000.00")


def test_a_rate_is_judged_on_the_contracts_it_will_convert_at_every_door(tmp_path):
    nok_world()
    refusal = (
        "At this rate contract K-NO would be worth 500,000,000,000,000.00 EUR, more than a "
        "contract's value can be (999,999,999,999.99); check the rate (one NOK in EUR)."
    )
    # A rate of 2025-06-01 at 1,000 governs the 2026 contract (500e9 x 1000 = 5e14).
    late = {"currency": "NOK", "day": "2025-06-01", "rate": "1000"}
    response = bulk("exchange-rates", [late])
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [{"index": 0, "field": "rate", "message": refusal}]
    # In one batch with a later rate of 2025-12-01 that takes the contract over, it passes:
    # the rows are judged together, as they will stand.
    later = {"currency": "NOK", "day": "2025-12-01", "rate": "0.1"}
    assert bulk("exchange-rates", [late, later]).status_code == 200
    assert Contract.objects.get().annual_value_reporting == Decimal("50000000000.00")
    # The file import refuses a 2026-01-01 rate of 1,000 by line and column.
    path = tmp_path / "rates.csv"
    path.write_text("currency,day,rate\nNOK,2026-01-01,1000\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 problem in 1 row; nothing written."):
        call_command("import_csv", "exchange_rates", str(path), stdout=out, stderr=err)
    said = out.getvalue() + err.getvalue()
    assert "line 2" in said and refusal in said, said
    assert not ExchangeRate.objects.filter(day=dt.date(2026, 1, 1)).exists()
    # The admin: moving the 2000 rate (1,000) to 2025-12-15 makes it govern the contract.
    old = ExchangeRate.objects.get(currency="NOK", day=dt.date(2000, 1, 1))
    form = admin_form(ExchangeRate, {"currency": "NOK", "day": "2025-12-15", "rate": "1000"}, old)
    assert not form.is_valid()
    assert form.errors["rate"] == [refusal]


def test_a_first_rate_converts_the_contracts_that_start_before_it():
    # Only a 2020 rate of 0.09; a contract of 2010. A new first rate of 2015 at 1,000
    # governs the 2010 contract too (before the first rate, the first rate applies).
    ExchangeRate.objects.create(currency="SEK", day=dt.date(2020, 1, 1), rate=Decimal("0.09"))
    ContractFactory(
        external_id="K-SE",
        annual_value=Decimal("500000000000"),
        currency="SEK",
        start_date=dt.date(2010, 1, 1),
        end_date=dt.date(2010, 12, 31),
    )
    response = bulk("exchange-rates", [{"currency": "SEK", "day": "2015-01-01", "rate": "1000"}])
    assert response.status_code == 400
    assert response.json()["error"]["rows"][0]["message"].startswith(
        "At this rate contract K-SE would be worth 500,000,000,000,000.00 EUR"
    )


def test_moving_a_rate_in_the_admin_is_refused_when_a_contract_falls_back_to_a_huge_rate():
    """NOK at 1,000 in 2000 (a slip) and 0.09 from 2020-01-01; NOK-1 (500 billion kroner)
    starts in 2026, so the 0.09 rate converts it. Moving that rate to 2026-08-01 would
    leave NOK-1 to the 2000 rate: 500 trillion euros. The admin refuses the move, naming
    the contract and the rate it would fall back to; nothing changes."""
    nok_world()
    current = ExchangeRate.objects.get(currency="NOK", day=dt.date(2020, 1, 1))
    form = admin_form(
        ExchangeRate, {"currency": "NOK", "day": "2026-08-01", "rate": "0.09"}, current
    )
    assert not form.is_valid()
    assert form.errors["rate"] == [
        "Moved to this day, the rate leaves contract K-NO to the NOK rate of 2000-01-01, at "
        "which it would be worth 500,000,000,000,000.00 EUR, more than a contract's value "
        "can be (999,999,999,999.99); correct that rate first."
    ]
    # Moved to a day that still converts it (2025-12-01): fine.
    form = admin_form(
        ExchangeRate, {"currency": "NOK", "day": "2025-12-01", "rate": "0.09"}, current
    )
    assert form.is_valid(), form.errors
    assert Contract.objects.get().annual_value_reporting == Decimal("45000000000.00")
