"""A number in a text column reads the same through the file import and the API: a whole
number as its digits. A number the sheet could not keep exactly (past 15 digits, or
written with an exponent) is refused by line and column, never stored as the digits
the sheet made up or as "1e+21"."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from customers import csv_io
from customers.models import Customer
from tests.api.helpers import integration_client

pytestmark = pytest.mark.django_db


def workbook(tmp_path, *rows) -> object:
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "name", "customer_since", "industry"])
    for row in rows:
        sheet.append(row)
    path = tmp_path / "numbers.xlsx"
    book.save(path)
    return path


def imported(path):
    return csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )


def test_a_whole_number_cell_is_the_same_customer_the_api_names_by_the_number(tmp_path):
    report = imported(
        workbook(
            tmp_path,
            [12345, "Acme", dt.datetime(2024, 1, 1), 2024],
            [23456.0, "Bolt", dt.datetime(2024, 1, 1), None],
        )
    )
    assert report.problems == []
    assert sorted(Customer.objects.values_list("external_id", "name", "industry")) == [
        ("12345", "Acme", "2024"),
        ("23456", "Bolt", ""),
    ]
    api, _ = integration_client()
    row = {"external_id": 12345, "name": "Acme", "customer_since": "2024-01-01"}
    answer = api.post(
        "/api/v1/customers/bulk/", {"rows": [row | {"industry": 2024}]}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["created"], answer.json()["unchanged"]) == (0, 1)


def test_a_number_the_sheet_did_not_keep_exactly_is_refused_by_line_and_column(tmp_path):
    report = imported(
        workbook(
            tmp_path,
            [1.2345678901234567e19, "Acme", dt.datetime(2024, 1, 1), None],
            ["C-2", "Bolt", dt.datetime(2024, 1, 1), 1e21],
            ["C-3", "Cobalt", dt.datetime(2024, 1, 1), 1.5e-07],
        )
    )
    advice = "format the column as text and type the value again."
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (
            2,
            "external_id",
            f"1.234567890123457e+19 is a number a spreadsheet keeps to 15 digits only; {advice}",
        ),
        (3, "industry", f"1e+21 is a number a spreadsheet keeps to 15 digits only; {advice}"),
        (4, "industry", f"1.5e-07 is a number a spreadsheet keeps to 15 digits only; {advice}"),
    ]
    assert not Customer.objects.exists()
