"""A currency code reads the same at every door: "jpy" and " JPY " are JPY in the API,
the file import and the admin; a code that is no ISO 4217 currency is refused naming the
row (or line) and the field; a real currency without a rate is refused the same way. The
demo company brings rates, so the handed mixed-currency case works there as it is."""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory

from customers import csv_io
from customers.currency import ExchangeRate
from customers.demo.rates import seed_exchange_rates
from customers.models import Contract, RiskScore
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
CASES = Path(__file__).parent / "data_doors"
ROW = {
    "customer": "C-1",
    "start_date": "2026-04-01",
    "end_date": "2027-03-31",
    "annual_value": "1000000",
}


def post(kind, rows):
    return integration_client()[0].post(f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json")


@pytest.fixture
def jpy():
    CustomerFactory(external_id="C-1")
    ExchangeRate.objects.create(currency="JPY", day=dt.date(2026, 3, 31), rate=Decimal("0.0061"))


def admin_contract_form(currency: str):
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    data = {
        "customer": CustomerFactory().pk,
        "external_id": "K-ADMIN",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "annual_value": "1000000",
        "currency": currency,
        "kind": "subscription",
        "status": "active",
    }
    return admin.site._registry[Contract].get_form(request)(data)


def test_lower_case_and_spaced_codes_are_the_currency_at_every_door(jpy, tmp_path):
    rows = [
        dict(ROW, external_id="K-1", currency="jpy"),
        dict(ROW, external_id="K-2", currency=" JPY "),
        dict(ROW, external_id="K-3", currency=" eur"),
    ]
    assert post("contracts", rows).status_code == 200
    path = tmp_path / "contracts.csv"
    path.write_text(
        "external_id,customer,start_date,end_date,annual_value,currency\n"
        "K-4,C-1,2026-04-01,2027-03-31,1000000, Jpy \n"
    )
    report = csv_io.import_file(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )
    assert (report.problem_count, report.created) == (0, 1)
    form = admin_contract_form(" jpy ")
    assert form.is_valid(), form.errors
    form.save()
    stored = dict(Contract.objects.values_list("external_id", "currency"))
    assert stored == {"K-1": "JPY", "K-2": "JPY", "K-3": "EUR", "K-4": "JPY", "K-ADMIN": "JPY"}
    # 1,000,000 x 0.0061 = 6,100.00; EUR at par
    values = dict(Contract.objects.values_list("external_id", "annual_value_reporting"))
    assert values["K-1"] == values["K-4"] == values["K-ADMIN"] == Decimal("6100.00")
    assert values["K-3"] == Decimal("1000000.00")


def test_a_code_that_is_no_currency_is_refused_naming_row_and_field_at_every_door(jpy, tmp_path):
    rows = [
        dict(ROW, external_id="K-1", currency="JPY"),
        dict(ROW, external_id="K-2", currency="zzz"),
        dict(ROW, external_id="K-3", currency="YEN!"),
        dict(ROW, external_id="K-4", currency="AUD"),  # a currency, but no rate
    ]
    response = post("contracts", rows)
    assert response.status_code == 400
    assert [(r["index"], r["field"], r["message"]) for r in response.json()["error"]["rows"]] == [
        (1, "currency", "ZZZ is not an ISO 4217 currency code."),
        (2, "currency", "'YEN!' is not a three-letter ISO currency code, e.g. EUR."),
        (
            3,
            "currency",
            "There is no exchange rate for AUD into EUR; add one (admin: Exchange rates, "
            "the API's exchange-rates, or an import) first.",
        ),
    ]
    path = tmp_path / "contracts.csv"
    path.write_text(
        "external_id,customer,start_date,end_date,annual_value,currency\n"
        "K-1,C-1,2026-04-01,2027-03-31,1000000,JPY\n"
        "K-2,C-1,2026-04-01,2027-03-31,1000000,zzz\n"
    )
    report = csv_io.check(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (3, "currency", "ZZZ is not an ISO 4217 currency code.")
    ]
    form = admin_contract_form("zzz")
    assert not form.is_valid()
    assert form.errors["currency"] == ["ZZZ is not an ISO 4217 currency code."]
    rate = post("exchange-rates", [{"currency": "zzz", "day": "2026-01-01", "rate": "2"}])
    assert rate.json()["error"]["rows"] == [
        {"index": 0, "field": "currency", "message": "ZZZ is not an ISO 4217 currency code."}
    ]
    assert not Contract.objects.exists()
    assert not ExchangeRate.objects.filter(currency="ZZZ").exists()


def test_handed_case_in_the_demo_company_the_jpy_contract_counts_about_eur_30k():
    EmployeeFactory(email="ben.berg.2@demo.example")
    assert seed_exchange_rates(dt.date(2024, 12, 1), dt.date(2026, 11, 30)) == 6 * 24
    body = json.loads((CASES / "mixed_currency.json").read_text())
    assert post("customers", body["customers"]["rows"]).status_code == 200
    assert post("contracts", body["contracts"]["rows"]).status_code == 200
    call_command("score_customers", as_of="2026-06-01", stdout=io.StringIO())
    scores = dict(
        RiskScore.objects.filter(day=dt.date(2026, 6, 1)).values_list(
            "customer__external_id", "annual_value"
        )
    )
    # JPY 5,000,000 at the demo's 0.0061 EUR a yen
    assert scores == {"QA-FX-JP": Decimal("30500.00"), "QA-FX-EU": Decimal("30000.00")}
