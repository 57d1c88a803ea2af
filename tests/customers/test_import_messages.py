"""Import messages a user can act on: a UTF-16 file is named as such (not "no column
fills external_id"); in a workbook, a number in a date column is read as the Excel date
serial it is, and a formula with no saved value says so. The exchange-rates export
answers at the API's spelling too."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from customers import csv_io
from customers.models import Customer
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
CSV = "external_id,name,customer_since\nC-1,Alpha,2025-01-01\n"


@pytest.mark.parametrize(
    "encoded",
    [
        CSV.encode("utf-16-le"),
        CSV.encode("utf-16"),  # with its byte-order mark
        CSV.encode("utf-16-be"),
        CSV.encode("utf-32"),
    ],
)
def test_a_utf16_file_is_refused_as_not_utf8_by_name(tmp_path, encoded):
    path = tmp_path / "customers.csv"
    path.write_bytes(encoded)
    with pytest.raises(CommandError) as refused:
        call_command("import_csv", "customers", str(path), "--check", stdout=io.StringIO())
    message = str(refused.value)
    assert "not UTF-8 text: it looks like UTF-16 or UTF-32" in message
    assert message.endswith("save it as CSV UTF-8.")
    assert "external_id" not in message


def test_a_utf8_file_still_checks_clean(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(CSV.encode())
    out = io.StringIO()
    call_command("import_csv", "customers", str(path), "--check", stdout=out)
    assert out.getvalue().strip() == "1 row checked: no problems."


def workbook(tmp_path, rows) -> "csv_io.Path":
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "customers.xlsx"
    book.save(path)
    return path


def import_workbook(path):
    mapping = csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    return csv_io.import_file("customers", path, mapping)


def test_an_excel_date_serial_in_a_date_column_is_read_as_that_date(tmp_path):
    path = workbook(
        tmp_path,
        [
            ["external_id", "name", "customer_since"],
            ["C-1", "Alpha", 46023],  # 2026-01-01: 45658 is 2025-01-01, plus 365 days
            ["C-2", "Beta", 45658.0],
            ["C-3", "Gamma", dt.date(2024, 2, 29)],
        ],
    )
    report = import_workbook(path)
    assert (report.problems, report.created) == ([], 3)
    assert dict(Customer.objects.values_list("external_id", "customer_since")) == {
        "C-1": dt.date(2026, 1, 1),
        "C-2": dt.date(2025, 1, 1),
        "C-3": dt.date(2024, 2, 29),
    }


def test_a_number_that_cannot_be_a_date_serial_is_refused_saying_so(tmp_path):
    path = workbook(
        tmp_path,
        [
            ["external_id", "name", "customer_since"],
            ["C-1", "Alpha", 46023.5],
            ["C-2", "Beta", -3],
        ],
    )
    report = import_workbook(path)
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "customer_since", "46023.5 is an Excel date serial with a time; a date is expected."),
        (
            3,
            "customer_since",
            "-3 is a number, not a date; as an Excel date serial it is out of range.",
        ),
    ]
    assert not Customer.objects.exists()


def test_a_formula_without_a_saved_value_says_to_save_the_file_in_excel(tmp_path):
    path = workbook(
        tmp_path,
        [
            ["external_id", "name", "customer_since"],
            ["C-1", '=UPPER("alpha")', "2025-01-01"],  # openpyxl saves no value for it
        ],
    )
    report = import_workbook(path)
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "name", "A formula without a saved value; open and save the file in Excel.")
    ]


def test_the_exchange_rates_export_answers_at_the_apis_spelling(client):
    admin = EmployeeFactory(
        role="admin", user=UserFactory(username="ada", is_staff=True, is_superuser=True)
    )
    client.force_login(admin.user)
    response = client.get("/exports/exchange-rates.csv?q=ap")
    assert response.status_code == 301
    assert response["Location"] == reverse("export", args=["exchange_rates"]) + "?q=ap"
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/exports/no-such-thing.csv").status_code == 404


def test_a_column_name_that_is_a_formula_without_a_saved_value_is_refused(tmp_path):
    """Its column would otherwise be ignored ("fills no field") and its data lost."""
    path = workbook(
        tmp_path,
        [
            ["external_id", '=LOWER("NAME")', "customer_since"],
            ["C-1", "Alpha", "2025-01-01"],
        ],
    )
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        csv_io.sniff(path)
    assert str(refused.value) == (
        "Header (line 1): the name of column 2 is a formula without a saved value (open and "
        "save the file in Excel)."
    )


def test_a_workbook_with_an_empty_first_row_says_to_remove_it(tmp_path):
    path = workbook(
        tmp_path,
        [
            ["", "", ""],
            ["external_id", "name", "customer_since"],
            ["C-1", "Alpha", "2025-01-01"],
        ],
    )
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        csv_io.sniff(path)
    assert str(refused.value) == (
        "The first row is empty; it needs the column names (remove the empty rows above them)."
    )
