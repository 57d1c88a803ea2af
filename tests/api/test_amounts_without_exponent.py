"""Amounts, exchange rates and usage quantities are read as written: exponent notation
("1e5" as text, 1E5 as a JSON number) is refused naming the row and field, at the API and
in the file import, never taken as 100000."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory

from customers import csv_io
from customers.models import Contract, Customer, ExchangeRate, UsageDay
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/{}/bulk/"
HINT = "is written with an exponent; write the number in plain digits, e.g. 100000 or 1234.50."
CONTRACT = (
    '{{"rows": [{{"external_id": "K-1", "customer": "C-1", "start_date": "2025-01-01", '
    '"end_date": "2025-12-31", "annual_value": {}}}]}}'
)


@pytest.fixture
def api():
    CustomerFactory(external_id="C-1")
    return integration_client()[0]


def post_raw(api, kind: str, body: str):
    return api.post(URL.format(kind), data=body, content_type="application/json")


@pytest.mark.parametrize(
    ("sent", "named"),
    [
        ('"1e5"', "'1e5'"),
        ('"1.5E3"', "'1.5E3'"),
        ("1e5", "1e5"),
        ("1E+5", "1E+5"),
        ("100000.0e0", "100000.0e0"),
    ],
)
def test_an_annual_value_with_an_exponent_is_refused_naming_the_field(api, sent, named):
    response = post_raw(api, "contracts", CONTRACT.format(sent))
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["rows"] == [
        {"index": 0, "field": "annual_value", "message": f"{named} {HINT}"}
    ]
    assert not Contract.objects.exists()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [('"100000"', "100000.00"), ("100000", "100000.00"), ("1234.5", "1234.50"), ('"0.5"', "0.50")],
)
def test_plain_amounts_are_still_taken(api, sent, stored):
    response = post_raw(api, "contracts", CONTRACT.format(sent))
    assert response.status_code == 200, response.json()
    assert Contract.objects.get().annual_value == Decimal(stored)


@pytest.mark.parametrize("sent", ['"1_000"', '"Infinity"', '" 1 000"'])
def test_other_spellings_a_reader_would_guess_at_are_refused(api, sent):
    response = post_raw(api, "contracts", CONTRACT.format(sent))
    assert response.status_code == 400
    assert [r["field"] for r in response.json()["error"]["rows"]] == ["annual_value"]


def test_an_exchange_rate_and_a_usage_quantity_with_an_exponent_are_refused(api):
    rate = post_raw(
        api, "exchange-rates", '{"rows": [{"currency": "USD", "day": "2025-01-02", "rate": 1.1e0}]}'
    )
    assert rate.status_code == 400
    assert rate.json()["error"]["rows"] == [
        {"index": 0, "field": "rate", "message": f"1.1e0 {HINT}"}
    ]
    usage = post_raw(
        api,
        "usage",
        '{"rows": [{"customer": "C-1", "day": "2025-01-02", "event": "logins", "quantity": "3e2"}]}',
    )
    assert usage.status_code == 400
    assert usage.json()["error"]["rows"] == [
        {"index": 0, "field": "quantity", "message": f"'3e2' {HINT}"}
    ]
    assert not ExchangeRate.objects.exists() and not UsageDay.objects.exists()


def test_the_file_import_refuses_an_amount_cell_written_with_an_exponent(api, tmp_path):
    path = tmp_path / "contracts.csv"
    path.write_text(
        "external_id,customer,start_date,end_date,annual_value\n"
        "K-1,C-1,2025-01-01,2025-12-31,1e5\n"
        "K-2,C-1,2025-01-01,2025-12-31,100000\n",
        encoding="utf-8",
    )
    report = csv_io.check(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "annual_value", f"'1e5' {HINT}")
    ]


def test_the_admin_refuses_an_annual_value_with_an_exponent(api):
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    form = admin.site._registry[Contract].get_form(request)(
        {
            "external_id": "K-1",
            "customer": Customer.objects.get().pk,
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "annual_value": "1e5",
            "currency": "EUR",
            "kind": "subscription",
            "status": "active",
        }
    )
    assert not form.is_valid()
    assert form.errors["annual_value"] == [f"'1e5' {HINT}"]
