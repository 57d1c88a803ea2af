"""A contract's value in the reporting currency is held in numeric(14, 2): at most
999,999,999,999.99. A contract, or a rate, that would pass it (a JPY amount sent with the
currency EUR, a JPY rate entered as 160 instead of 1/160) is refused by field at every
door, with the amounts, instead of failing in the database (a 500 in the admin, "numeric
field overflow" in an import)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory

from customers.models import Contract, ExchangeRate
from tests.api.helpers import integration_client
from tests.factories import ContractFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


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
        external_id="K-JP", annual_value=Decimal("50000000000"), currency="JPY"
    )  # 50 billion yen: 300 million euros at 0.006
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
    contract = ContractFactory(annual_value=Decimal("50000000000"), currency="JPY")
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
