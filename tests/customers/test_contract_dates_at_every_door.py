"""Contract dates that are valid dates but absurd for a contract (an auto-renewing term
of a day, a start in 1800, an end in 2200) are refused with the same message, naming the
field, by the admin (its contract page and the customer's inline), the API's bulk
upsert and the file import (CSV and Excel); nothing is written."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from customers import csv_io
from customers.models import Contract, Customer
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

ONE_DAY = (
    "An auto-renewing contract must run at least 28 days (a month); 2000-01-01 to "
    "2000-01-01 is only 1 day(s). Give a later end date or turn off auto-renew."
)
BEFORE_1900 = "1 Jan 1800 is before 1 Jan 1900; check the year."


def latest() -> dt.date:
    """A century from today (from 29 February: the 28th)."""
    today = timezone.localdate()
    leap_day = (today.month, today.day) == (2, 29)
    return today.replace(year=today.year + 100, day=28 if leap_day else today.day)


def century_ahead() -> str:
    return f"1 Jan 2200 is more than 100 years ahead (after {latest():%-d %b %Y}); check the year."


@pytest.fixture
def customer():
    return CustomerFactory(external_id="C-1")


def contract_row(**changes) -> dict[str, str]:
    row = {
        "external_id": "K-1",
        "customer": "C-1",
        "start_date": "2000-01-01",
        "end_date": "2000-01-01",
        "annual_value": "1200.00",
        "auto_renew": "true",
    }
    return row | changes


def admin_errors(customer, row: dict[str, str]) -> dict[str, list[str]]:
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    form = admin.site._registry[Contract].get_form(request)(
        {
            **row,
            "customer": customer.pk,
            "currency": "EUR",
            "kind": "subscription",
            "status": "active",
            "auto_renew": "on" if row["auto_renew"] == "true" else "",
        }
    )
    assert not form.is_valid()
    return form.errors


def inline_errors(customer, row: dict[str, str]) -> list[dict]:
    """The contracts inline on the customer's admin page."""
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root2", is_staff=True, is_superuser=True)
    customer_admin = admin.site._registry[Customer]
    [formset_class] = [
        formset
        for formset, inline in customer_admin.get_formsets_with_inlines(request, customer)
        if inline.model is Contract
    ]
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-external_id": row["external_id"],
        f"{prefix}-0-start_date": row["start_date"],
        f"{prefix}-0-end_date": row["end_date"],
        f"{prefix}-0-annual_value": row["annual_value"],
        f"{prefix}-0-currency": "EUR",
        f"{prefix}-0-kind": "subscription",
        f"{prefix}-0-status": "active",
        f"{prefix}-0-auto_renew": "on",
    }
    formset = formset_class(data, instance=customer, prefix=prefix)
    assert not formset.is_valid()
    return formset.errors


def api_errors(rows: list[dict]) -> list[tuple[int, str, str]]:
    response = integration_client()[0].post(
        "/api/v1/contracts/bulk/", {"rows": rows}, format="json"
    )
    assert response.status_code == 400
    return [(r["index"], r["field"], r["message"]) for r in response.json()["error"]["rows"]]


def csv_errors(tmp_path, rows: list[dict]) -> list[tuple[int, str, str]]:
    path = tmp_path / "contracts.csv"
    lines = [",".join(rows[0])] + [",".join(row.values()) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = csv_io.import_file(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )
    return [(p["line"], p["column"], p["message"]) for p in report.problems]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, "end_date", ONE_DAY),
        (
            {"start_date": "1800-01-01", "end_date": "2026-12-31"},
            "start_date",
            BEFORE_1900,
        ),
        (
            {"start_date": "2025-01-01", "end_date": "2200-01-01", "auto_renew": "false"},
            "end_date",
            None,
        ),
    ],
    ids=["one-day-auto-renewing", "start-in-1800", "end-in-2200"],
)
def test_an_absurd_contract_date_gets_the_same_refusal_at_every_door(
    customer, tmp_path, changes, field, message
):
    message = message or century_ahead()
    row = contract_row(**changes)

    assert admin_errors(customer, row) == {field: [message]}
    assert inline_errors(customer, row) == [{field: [message]}]
    assert api_errors([contract_row(external_id="K-0", auto_renew="false"), row]) == [
        (1, field, message)
    ]
    # line 1 is the header, line 2 the good row, line 3 the bad one
    assert csv_errors(tmp_path, [contract_row(external_id="K-0", auto_renew="false"), row]) == [
        (3, field, message)
    ]
    assert not Contract.objects.exists()


def test_an_excel_sheet_with_a_one_day_auto_renewing_term_and_an_end_in_2200_is_refused(
    customer, tmp_path
):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["external_id", "customer", "start_date", "end_date", "annual_value", "auto_renew"]
    )
    sheet.append(["K-1", "C-1", dt.datetime(2000, 1, 1), dt.datetime(2000, 1, 1), 1200, True])
    sheet.append(["K-2", "C-1", dt.datetime(2025, 1, 1), dt.datetime(2200, 1, 1), 1200, False])
    path = tmp_path / "contracts.xlsx"
    book.save(path)

    report = csv_io.import_file(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )

    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "end_date", ONE_DAY),
        (3, "end_date", century_ahead()),
    ]
    assert not Contract.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "auto_renew"),
    [
        ("2026-02-01", "2026-02-28", True),  # a February monthly plan: 28 days
        ("2025-01-31", "2025-02-27", True),  # a monthly plan from the 31st
        ("2025-01-05", "2025-01-05", False),  # a one-day job that does not renew
        ("1900-01-01", "1900-12-31", False),  # the earliest day
        ("2026-01-01", "LATEST", True),  # a century from today
    ],
)
def test_terms_of_a_month_short_terms_that_do_not_renew_and_the_bounds_are_accepted(
    customer, start, end, auto_renew
):
    end = str(latest()) if end == "LATEST" else end
    row = contract_row(start_date=start, end_date=end, auto_renew="true" if auto_renew else "false")
    response = integration_client()[0].post(
        "/api/v1/contracts/bulk/", {"rows": [row]}, format="json"
    )
    assert response.status_code == 200, response.json()
    contract = Contract.objects.get(external_id="K-1")
    assert (str(contract.start_date), str(contract.end_date), contract.auto_renew) == (
        start,
        end,
        auto_renew,
    )
    contract.full_clean()  # and the admin takes it back unchanged


def test_a_short_term_that_has_ended_or_was_cancelled_is_history_and_stays_editable(customer):
    # A contract cancelled on its second day keeps its auto-renew flag but will never renew.
    rows = [
        contract_row(status="cancelled", start_date="2025-03-01", end_date="2025-03-02"),
        contract_row(external_id="K-2", status="expired"),
    ]
    response = integration_client()[0].post(
        "/api/v1/contracts/bulk/", {"rows": rows}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Contract.objects.count() == 2
    # Turned active again, it would renew: refused.
    assert api_errors([contract_row(external_id="K-2", status="active")]) == [
        (0, "end_date", ONE_DAY)
    ]


def test_an_amount_with_three_decimals_gets_the_same_words_in_the_admin_as_in_the_api(customer):
    """'10.005' has more than 2 decimals: the API, the file import (test_spreadsheet_values)
    and the admin's form say it alike."""
    row = contract_row(start_date="2025-01-01", end_date="2025-12-31", annual_value="10.005")
    message = "'10.005' has more than 2 decimals."
    assert admin_errors(customer, row) == {"annual_value": [message]}
    assert api_errors([row]) == [(0, "annual_value", message)]
