"""The file import trusts nothing in the file: bytes that are not UTF-8 anywhere, bad
headers, trailing empty cells, records with line breaks, numbers written the local way,
unexpected failures, and Excel workbooks through the same mapping and checks."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from customers import csv_io
from customers.models import Contact, Contract, CsvImport, Customer
from customers.tasks import check_csv_import
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
CASES = Path(__file__).parent / "data_doors"


def write(tmp_path, text: str, encoding="utf-8", name="file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def check(kind, path, **options):
    return csv_io.check(kind, path, csv_io.default_mapping(kind, csv_io.sniff(path)[1]), **options)


# --- decoding ---------------------------------------------------------------------------


def test_handed_case_a_cp1252_byte_after_64kb_is_refused_at_its_line():
    report = check("customers", CASES / "cp1252_after_64kb.csv")
    assert report.problem_count == 1
    assert report.problems[0]["line"] == 1602
    assert report.problems[0]["message"].startswith("Line 1602 is not UTF-8 text")


@pytest.mark.parametrize(
    ("encoding", "text"), [("latin-1", "Zürich"), ("cp1252", "Café “Noir”"), ("utf-16-le", "Ø")]
)
def test_a_byte_that_is_not_utf8_is_named_by_line_whatever_the_encoding(tmp_path, encoding, text):
    good = "".join(f"C-{i},Plain {i},2024-01-01\n" for i in range(5))
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"external_id,name,customer_since\n"
        + good.encode()
        + f'C-9,"two\nlines",2024-01-01\nC-10,{text},2024-01-01\n'.encode(encoding)
    )
    report = check("customers", path)
    refusals = [p for p in report.problems if "not UTF-8" in p["message"]]
    assert [p["line"] for p in refusals] == [9]  # header, 5 rows, 2-line record: 9
    assert report.problems[-1] == refusals[0]  # the rows before it are checked, none after
    if encoding != "utf-16-le":  # whose NUL bytes are problems of the rows before too
        assert report.problems == refusals
        assert report.rows == 7  # 6 read, and the one refused
    assert not Customer.objects.exists()


def test_the_check_task_leaves_an_unreadable_file_checked_with_its_problem_and_recheckable(
    tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    job = CsvImport(kind="customers", original_name="case.csv")
    job.file.save("case.csv", ContentFile((CASES / "cp1252_after_64kb.csv").read_bytes()))
    job.delimiter, job.header = csv_io.sniff(Path(job.file.path))
    job.mapping = csv_io.default_mapping("customers", job.header)
    job.save()
    check_csv_import.delay(import_id=job.pk)
    job.refresh_from_db()
    assert job.status == CsvImport.Status.CHECKED and job.problem_count == 1
    assert job.problems[0]["line"] == 1602 and not job.working
    # 1,600 rows read and the one that could not be: "checked" never passes the total.
    assert (job.rows_done, job.rows_total) == (1601, 1601)


def test_an_unexpected_error_leaves_the_import_failed_with_a_message_and_recheckable(
    tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    job = CsvImport(kind="customers", original_name="gone.csv", mapping={"a": "external_id"})
    job.file.save("gone.csv", ContentFile(b"external_id\nC-1\n"))
    job.save()
    Path(job.file.path).unlink()  # the file vanished from the storage
    check_csv_import.delay(import_id=job.pk)
    job.refresh_from_db()
    assert job.status == CsvImport.Status.FAILED
    assert "unexpected error" in job.error and "Check the file again" in job.error


# --- headers and records ----------------------------------------------------------------


def test_handed_case_a_repeated_header_is_refused_naming_both_columns():
    with pytest.raises(csv_io.CsvUnreadable, match=r"columns 4 and 6 are both named 'phone'"):
        csv_io.sniff(CASES / "duplicate_header_phone.csv")
    with pytest.raises(CommandError, match="both named 'phone'"):
        call_command("import_csv", "contacts", str(CASES / "duplicate_header_phone.csv"))
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("external_id;Name;name\n", "columns 2 and 3 are both named 'name'"),
        ("external_id,,name\n", "column 2 has no name"),
        ("External ID,external_id\n", "both named 'external_id'"),
    ],
)
def test_headers_are_checked_for_repeats_and_unnamed_columns(tmp_path, header, message):
    with pytest.raises(csv_io.CsvUnreadable, match=message):
        csv_io.sniff(write(tmp_path, header + "x;y;z\n"))


def test_rows_ending_in_empty_cells_and_trailing_unnamed_columns_are_fine(tmp_path):
    path = write(
        tmp_path,
        "external_id,name,customer_since,,\nC-1,Acme,2024-01-01,,\nC-2,Bolt,2024-01-01,,,,\n",
    )
    report = csv_io.import_file(
        "customers",
        path,
        {"external_id": "external_id", "name": "name", "customer_since": "customer_since"},
    )
    assert (report.problem_count, report.created) == (0, 2)


def test_a_problem_is_reported_at_the_line_where_its_record_starts(tmp_path):
    path = write(
        tmp_path,
        "external_id,name,customer_since\n"
        'C-1,"Acme\nsecond line\nthird line",2024-01-01\n'
        'C-2,"Bolt\nB",not a date\n',
    )
    report = check("customers", path)
    assert [(p["line"], p["column"]) for p in report.problems] == [(5, "customer_since")]


# --- numbers ----------------------------------------------------------------------------


def contracts_file(tmp_path, values: list[str], delimiter=";"):
    customer = CustomerFactory(external_id="C-1")
    lines = [delimiter.join(["external_id", "customer", "start_date", "end_date", "annual_value"])]
    for i, value in enumerate(values):
        quoted = f'"{value}"' if delimiter in value else value
        lines.append(
            delimiter.join([f"K-{i}", customer.external_id, "2026-01-01", "2026-12-31", quoted])
        )
    return write(tmp_path, "\n".join(lines) + "\n")


def test_a_number_that_reads_two_ways_in_a_semicolon_file_is_refused_not_scaled(tmp_path):
    path = contracts_file(tmp_path, ["12.000", "1,500", "12,50", "1.234,56", "12.5", "7"])
    report = check("contracts", path)
    assert [(p["line"], p["column"]) for p in report.problems] == [
        (2, "annual_value"),
        (3, "annual_value"),
    ]
    assert "reads two ways" in report.problems[0]["message"]


def test_the_file_s_decimal_mark_reads_grouped_numbers(tmp_path):
    path = contracts_file(tmp_path, ["12.000", "1.234,56", "12,5", "1.000.000"])
    mapping = csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    report = csv_io.import_file("contracts", path, mapping, decimal_mark=",")
    assert report.problem_count == 0
    values = dict(Contract.objects.values_list("external_id", "annual_value"))
    assert values == {
        "K-0": Decimal("12000.00"),
        "K-1": Decimal("1234.56"),
        "K-2": Decimal("12.50"),
        "K-3": Decimal("1000000.00"),
    }


def test_a_comma_separated_file_reads_a_point_as_decimal_and_a_comma_as_grouping(tmp_path):
    path = contracts_file(tmp_path, ["12.000", "1,500.25"], delimiter=",")
    report = csv_io.import_file(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )
    assert report.problem_count == 0
    assert dict(Contract.objects.values_list("external_id", "annual_value")) == {
        "K-0": Decimal("12.00"),
        "K-1": Decimal("1500.25"),
    }


def test_a_number_against_the_chosen_mark_is_refused(tmp_path):
    path = contracts_file(tmp_path, ["1,234.5"])
    report = check("contracts", path, decimal_mark=",")
    assert report.problem_count == 1 and "decimal mark ','" in report.problems[0]["message"]


# --- Excel ------------------------------------------------------------------------------


def workbook(tmp_path, rows, name="book.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_an_excel_workbook_imports_through_the_same_mapping_and_checks(tmp_path):
    CustomerFactory(external_id="C-1")
    path = workbook(
        tmp_path,
        [
            ["External ID", "customer", "start_date", "end_date", "annual_value", "currency"],
            ["K-1", "C-1", dt.datetime(2026, 1, 1), dt.date(2026, 12, 31), 30000, "EUR"],
            ["K-2", "C-1", "2026-02-01", "2027-01-31", 1234.5, "EUR"],
        ],
    )
    delimiter, header = csv_io.sniff(path)
    assert delimiter == csv_io.EXCEL and header[0] == "External ID"
    mapping = csv_io.default_mapping("contracts", header) | {"External ID": "external_id"}
    report = csv_io.import_file("contracts", path, mapping)
    assert (report.problem_count, report.created) == (0, 2)
    first = Contract.objects.get(external_id="K-1")
    assert (first.start_date, first.annual_value) == (dt.date(2026, 1, 1), Decimal("30000.00"))
    assert Contract.objects.get(external_id="K-2").annual_value == Decimal("1234.50")


def test_an_excel_workbook_reports_problems_by_its_row_and_refuses_a_repeated_header(tmp_path):
    CustomerFactory(external_id="C-1")
    path = workbook(
        tmp_path,
        [
            ["external_id", "customer", "start_date", "end_date", "annual_value"],
            ["K-1", "C-1", "2026-01-01", "2026-12-31", 10],
            [None, None, None, None, None],
            ["K-2", "C-1", "2026-01-01", "2025-12-31", "12.000"],
        ],
    )
    report = check("contracts", path)
    # Both problems of line 4 at once: the end before the start and the amount.
    assert [(p["line"], p["column"]) for p in report.problems] == [
        (4, "end_date"),
        (4, "annual_value"),
    ]
    repeated = workbook(tmp_path, [["external_id", "name", "Name"]], name="r.xlsx")
    with pytest.raises(csv_io.CsvUnreadable, match="both named"):
        csv_io.sniff(repeated)


def test_a_file_that_pretends_to_be_a_workbook_is_refused_clearly(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(csv_io.CsvUnreadable, match="not an Excel workbook"):
        csv_io.sniff(path)
