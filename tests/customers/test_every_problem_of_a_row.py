"""A check reports every problem of a row at once (a value that cannot be read and a
rule across fields both, as far as the fields read), listed by line and then by column
as the file has them; the API's bulk door the same, by row and then by field."""

import pytest

from customers import csv_io
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
HEADER = "external_id,customer,start_date,end_date,annual_value"


@pytest.fixture(autouse=True)
def customer():
    return CustomerFactory(external_id="C1")


def checked(tmp_path, *rows):
    path = tmp_path / "contracts.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    report = csv_io.check("contracts", path, csv_io.default_mapping("contracts", HEADER.split(",")))
    return [(p["line"], p["column"], p["message"]) for p in report.problems]


def test_it_reports_a_negative_amount_and_an_end_before_the_start_in_one_check(tmp_path):
    assert checked(tmp_path, "K1,C1,2026-03-01,2025-12-31,-100") == [
        (2, "end_date", "The end date 2025-12-31 is before the start date 2026-03-01."),
        (2, "annual_value", "'-100' must be a number from 0 up to 999,999,999,999.99."),
    ]


def test_it_lists_problems_by_line_then_by_column(tmp_path):
    problems = checked(
        tmp_path,
        "K1,C1,2026-03-01,2025-12-31,-100",  # line 2: a rule and a value
        "K2,C1,2025-01-01,2024-06-01,500",  # line 3: a rule only
        "K3,C1,0001-01-01,2026-01-01,abc",  # line 4: two values
    )
    assert [(line, column) for line, column, _ in problems] == [
        (2, "end_date"),
        (2, "annual_value"),
        (3, "end_date"),
        (4, "start_date"),
        (4, "annual_value"),
    ]


def test_a_four_digit_year_before_1900_is_refused_as_before_the_floor(tmp_path):
    (start,) = [
        m
        for _, column, m in checked(tmp_path, "K3,C1,0001-01-01,2026-01-01,5")
        if column == "start_date"
    ]
    assert start == "1 Jan 0001 is before 1 Jan 1900; check the year."
    assert "four digits" not in start


def test_the_api_bulk_door_reports_every_problem_of_a_row_in_order():
    rows = [
        {
            "external_id": "K1",
            "customer": "C1",
            "start_date": "2026-03-01",
            "end_date": "2025-12-31",
            "annual_value": "-100",
        },
        {
            "external_id": "K2",
            "customer": "C1",
            "start_date": "0001-01-01",
            "end_date": "2026-01-01",
            "annual_value": "5",
        },
    ]
    response = integration_client()[0].post(
        "/api/v1/contracts/bulk/", {"rows": rows}, format="json"
    )
    assert response.status_code == 400
    assert [(r["index"], r["field"], r["message"]) for r in response.json()["error"]["rows"]] == [
        (0, "end_date", "The end date 2025-12-31 is before the start date 2026-03-01."),
        (0, "annual_value", "'-100' must be a number from 0 up to 999,999,999,999.99."),
        (1, "start_date", "1 Jan 0001 is before 1 Jan 1900; check the year."),
    ]


def test_an_interaction_s_unreadable_satisfaction_hides_neither_its_future_time_nor_its_contact(
    customer,
):
    """Satisfaction 11, a time next year and another customer's contact: three problems,
    as the admin lists them, not the satisfaction alone."""
    import datetime as dt

    from django.utils import timezone

    from customers.models import Contact

    other = CustomerFactory(external_id="C2")
    Contact.objects.create(customer=other, external_id="P-OTHER", name="Olga")
    next_year = (timezone.now() + dt.timedelta(days=400)).strftime("%Y-%m-%dT10:00:00Z")
    row = {
        "external_id": "I-1",
        "customer": "C1",
        "kind": "call",
        "happened_at": next_year,
        "satisfaction": 11,
        "contact": "P-OTHER",
    }
    response = integration_client()[0].post(
        "/api/v1/interactions/bulk/", {"rows": [row]}, format="json"
    )
    assert response.status_code == 400
    fields = sorted(e["field"] for e in response.json()["error"]["rows"])
    assert fields == ["contact", "happened_at", "satisfaction"]
