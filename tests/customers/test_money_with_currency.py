"""Money keeps its currency: dated exchange rates into the reporting currency (admin,
API, file import), every contract's value converted when it is written, every sum and
figure in the reporting currency, and a currency without a rate refused at every door."""

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
from customers.models import Contract, ExchangeRate, RiskScore
from customers.services import roll_contracts
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
CASES = Path(__file__).parent / "data_doors"
NO_JPY = (
    "There is no exchange rate for JPY into EUR; add one (admin: Exchange rates, the API's "
    "exchange-rates, or an import) first."
)


def post(kind, rows):
    return integration_client()[0].post(f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json")


@pytest.fixture
def case():
    EmployeeFactory(email="ben.berg.2@demo.example")
    body = json.loads((CASES / "mixed_currency.json").read_text())
    assert post("customers", body["customers"]["rows"]).status_code == 200
    return body


def test_handed_case_a_jpy_contract_without_a_rate_is_refused_naming_the_currency(case):
    response = post("contracts", case["contracts"]["rows"])
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [
        {"index": 0, "field": "currency", "message": NO_JPY}
    ]
    assert not Contract.objects.exists()


def test_handed_case_the_jpy_contract_counts_at_its_value_in_the_reporting_currency(case):
    rates = [
        {"currency": "JPY", "day": "2026-01-01", "rate": "0.0058"},
        {"currency": "JPY", "day": "2026-03-31", "rate": "0.0061"},  # in force on 2026-04-01
        {"currency": "JPY", "day": "2026-05-01", "rate": "0.0070"},
    ]
    assert post("exchange-rates", rates).status_code == 200
    assert post("contracts", case["contracts"]["rows"]).status_code == 200
    values = dict(Contract.objects.values_list("external_id", "annual_value_reporting"))
    assert values == {"QA-FX-JP-2026": Decimal("30500.00"), "QA-FX-EU-2026": Decimal("30000.00")}
    call_command("score_customers", as_of="2026-06-01", stdout=io.StringIO())
    scores = dict(
        RiskScore.objects.filter(day=dt.date(2026, 6, 1)).values_list(
            "customer__external_id", "annual_value"
        )
    )
    assert scores == {"QA-FX-JP": Decimal("30500.00"), "QA-FX-EU": Decimal("30000.00")}
    listed = integration_client()[0].get("/api/v1/contracts/").json()["results"]
    assert sorted(
        (c["currency"], c["annual_value"], c["annual_value_reporting"]) for c in listed
    ) == [
        ("EUR", "30000.00", "30000.00"),
        ("JPY", "5000000.00", "30500.00"),
    ]


def test_a_new_rate_reconverts_the_contracts_of_its_currency(case):
    post("exchange-rates", [{"currency": "JPY", "day": "2026-05-01", "rate": "0.0070"}])
    post("contracts", case["contracts"]["rows"])
    # starts before the first rate: takes the first rate
    assert Contract.objects.get(currency="JPY").annual_value_reporting == Decimal("35000.00")
    ExchangeRate.objects.create(currency="JPY", day=dt.date(2026, 3, 1), rate=Decimal("0.006"))
    assert Contract.objects.get(currency="JPY").annual_value_reporting == Decimal("30000.00")


def test_rates_import_from_a_file_with_the_file_s_decimal_mark(case, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("currency;day;rate\nJPY;2026-03-31;0,0061\nUSD;2026-03-31;0,92\n")
    mapping = csv_io.default_mapping("exchange_rates", csv_io.sniff(path)[1])
    report = csv_io.import_file("exchange_rates", path, mapping)
    assert (report.problem_count, report.created) == (0, 2)
    again = csv_io.import_file("exchange_rates", path, mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert ExchangeRate.objects.get(currency="USD").rate == Decimal("0.92")
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(
        "external_id;customer;start_date;end_date;annual_value;currency\n"
        "K-1;QA-FX-JP;2026-04-01;2027-03-31;5.000.000;JPY\n"
        "K-2;QA-FX-JP;2026-04-01;2027-03-31;100;CHF\n"
    )
    report = csv_io.check(
        "contracts", contracts, csv_io.default_mapping("contracts", csv_io.sniff(contracts)[1])
    )
    assert [(p["line"], p["column"]) for p in report.problems] == [(3, "currency")]
    assert "no exchange rate for CHF" in report.problems[0]["message"]


def test_the_reporting_currency_takes_no_rate_and_the_admin_refuses_a_contract_without_one(
    case,
):
    response = post("exchange-rates", [{"currency": "EUR", "day": "2026-01-01", "rate": "1"}])
    assert response.json()["error"]["rows"][0]["field"] == "currency"
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    form = admin.site._registry[Contract].get_form(request)(
        {
            "customer": CustomerFactory().pk,
            "external_id": "K-9",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "annual_value": "100",
            "currency": "JPY",
            "kind": "subscription",
            "status": "active",
        }
    )
    assert not form.is_valid() and form.errors["currency"] == [NO_JPY]


def test_a_renewal_is_converted_at_the_rate_of_its_own_start(case):
    post(
        "exchange-rates",
        [
            {"currency": "JPY", "day": "2025-01-01", "rate": "0.0060"},
            {"currency": "JPY", "day": "2026-01-01", "rate": "0.0050"},
        ],
    )
    row = dict(case["contracts"]["rows"][0], start_date="2025-01-01", end_date="2025-12-31")
    row["auto_renew"] = True
    assert post("contracts", [row]).status_code == 200
    roll_contracts(as_of=dt.date(2026, 1, 2))
    follow_on = Contract.objects.get(renewal_of__isnull=False)
    assert (follow_on.start_date, follow_on.annual_value_reporting) == (
        dt.date(2026, 1, 1),
        Decimal("25000.00"),
    )


def test_exchange_rates_export_and_import_back_unchanged(case, tmp_path, client):
    post("exchange-rates", [{"currency": "JPY", "day": "2026-03-31", "rate": "0.0061"}])
    boss = EmployeeFactory(role="admin", user=UserFactory(username="boss"))
    client.force_login(boss.user)
    response = client.post("/exports/exchange_rates.csv", {"reason": "Rates for finance"})
    raw = b"".join(response.streaming_content)
    assert raw.decode("utf-8-sig").splitlines() == [
        "currency,day,rate",
        "JPY,2026-03-31,0.0061000000",
    ]
    path = tmp_path / "rates.csv"
    path.write_bytes(raw)
    report = csv_io.import_file(
        "exchange_rates", path, csv_io.default_mapping("exchange_rates", csv_io.sniff(path)[1])
    )
    assert (report.problem_count, report.unchanged) == (0, 1)


def test_a_rate_given_twice_is_refused_at_both_doors(case, tmp_path):
    rows = [{"currency": "JPY", "day": "2026-03-31", "rate": r} for r in ("0.0061", "0.0062")]
    response = post("exchange-rates", rows)
    assert response.status_code == 400
    assert [(r["index"], r["field"]) for r in response.json()["error"]["rows"]] == [(1, "day")]
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,day,rate\nJPY,2026-03-31,0.0061\nUSD,2026-03-31,0.9\nJPY,2026-03-31,0.0062\n"
    )
    report = csv_io.check(
        "exchange_rates", path, {"currency": "currency", "day": "day", "rate": "rate"}
    )
    assert [(p["line"], p["column"]) for p in report.problems] == [(4, "day")]
    assert "is also on line 2" in report.problems[0]["message"]
    assert not ExchangeRate.objects.exists()
