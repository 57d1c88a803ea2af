"""Files laid out as other tools write them: a workbook whose first sheet is hidden, a
"sep=;" first line (Excel), tab-separated text, a file separated by something the import
does not read, and a byte that is not UTF-8 inside a quoted multi-line cell far down.
Each at the file reader (every door), the command and the Import page."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from customers import csv_io
from customers.models import CsvImport, Customer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CASES = Path(__file__).parent / "data_doors"


def check(kind, path):
    return csv_io.check(kind, path, csv_io.default_mapping(kind, csv_io.sniff(path)[1]))


def test_a_hidden_first_sheet_is_skipped_for_the_first_visible_one():
    path = CASES / "excel_hidden_first_sheet.xlsx"
    delimiter, header = csv_io.sniff(path)
    assert (delimiter, header) == (csv_io.EXCEL, ["external_id", "name", "customer_since"])
    assert csv_io.sheet_read(path) == ("Data", ["Notes"])
    report = csv_io.import_file("customers", path, csv_io.default_mapping("customers", header))
    assert report.problems == []
    assert list(Customer.objects.values_list("external_id", "name")) == [("BK-X-9", "Second sheet")]


def test_the_command_says_which_sheet_it_read(capsys):
    call_command("import_csv", "customers", str(CASES / "excel_hidden_first_sheet.xlsx"), "--check")
    said = capsys.readouterr()
    assert "Reading sheet 'Data', the first visible sheet (hidden sheets skipped: 'Notes')." in (
        said.err
    )
    assert "1 row checked: no problems." in said.out


def test_the_import_page_says_which_sheet_it_read(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    job = CsvImport(kind="customers", original_name="hidden.xlsx")
    job.file.save(
        "hidden.xlsx", ContentFile((CASES / "excel_hidden_first_sheet.xlsx").read_bytes())
    )
    job.delimiter, job.header = csv_io.sniff(Path(job.file.path))
    job.mapping = csv_io.default_mapping("customers", job.header)
    job.save()
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "3 columns on sheet “Data” of an Excel workbook, its first visible sheet" in page
    assert "hidden sheets skipped: “Notes”" in page


@pytest.mark.parametrize(
    ("name", "delimiter", "line", "values"),
    [
        ("sep_hint.csv", ";", 3, ("BK-S1", "Sep hint")),
        ("tab_separated.csv", "\t", 2, ("BK-T1", "Tabbed")),
    ],
)
def test_a_sep_line_and_tabs_are_read(name, delimiter, line, values):
    path = CASES / name
    assert csv_io.sniff(path) == (delimiter, ["external_id", "name", "customer_since"])
    assert [start for start, _ in csv_io.records(path, delimiter)] == [line - 1, line]
    report = csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert (report.problems, report.rows, report.created) == ([], 1, 1)
    assert Customer.objects.get().external_id == values[0]
    assert Customer.objects.get().name == values[1]


def test_a_problem_after_a_sep_line_names_the_line_an_editor_shows(tmp_path):
    path = tmp_path / "hint.csv"
    path.write_text("sep=;\nexternal_id;name;customer_since\nA;Ann;2025-01-01\nB;;2025-01-01\n")
    report = check("customers", path)
    assert [p["line"] for p in report.problems] == [4]


def test_a_pipe_separated_header_says_what_separates_it(tmp_path):
    path = tmp_path / "pipes.csv"
    path.write_text("external_id|name|customer_since\nA|Ann|2025-01-01\n")
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        csv_io.sniff(path)
    assert str(refused.value) == (
        "Header (line 1): one column, 'external_id|name|customer_since'; the file seems "
        "separated by '|'. Save it separated by commas, semicolons or tabs."
    )
    with pytest.raises(CommandError, match="seems separated by '|'"):
        call_command("import_csv", "customers", str(path), "--check")


def test_a_sep_line_that_disagrees_with_the_header_says_what_separates_it(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("sep=;\nexternal_id,name\nA,Ann\n")
    with pytest.raises(csv_io.CsvUnreadable, match=r"line 2\): one column.*separated by ','"):
        csv_io.sniff(path)


def test_a_bad_byte_in_a_multiline_cell_names_its_row_and_line_and_counts_rows(capsys):
    # header on line 1, 3,000 good rows on lines 2-3001, then a record from line 3002
    # whose second line, 3003, holds a cp1252 é
    path = CASES / "cp1252_in_quoted_multiline.csv"
    report = check("customers", path)
    assert report.rows == 3_001
    assert [{k: p[k] for k in ("line", "column", "message")} for p in report.problems] == [
        {
            "line": 3002,
            "column": None,
            "message": "Row 3,001 (from line 3002): Line 3003 is not UTF-8 text (byte 9 of "
            "the line, 0xE9); save it as CSV UTF-8.",
        }
    ]
    with pytest.raises(CommandError) as refused:
        call_command("import_csv", "customers", str(path), "--check")
    assert str(refused.value) == "1 problem in 3,001 rows; nothing written."
    assert "line 3002: Row 3,001 (from line 3002): Line 3003" in capsys.readouterr().out
    assert not Customer.objects.exists()


def test_a_bad_byte_on_its_records_own_line_counts_the_rows_before_and_it(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(
        b"external_id,name,customer_since\n"
        + b"".join(b"C-%d,Plain,2024-01-01\n" % i for i in range(12_000))
        + "C-X,Café,2024-01-01\n".encode("cp1252")
    )
    report = check("customers", path)
    assert report.rows == 12_001
    assert [(p["line"], p["message"][:32]) for p in report.problems] == [
        (12_002, "Line 12002 is not UTF-8 text (by")
    ]


def test_odd_excel_cells_are_read_as_the_sheet_shows_them(tmp_path):
    report = check("customers", CASES / "excel_customers2.xlsx")
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (  # a 21-digit id in a number cell: the sheet kept 15 of its digits
            5,
            "external_id",
            "1.5e+20 is a number a spreadsheet keeps to 15 digits only; format the column "
            "as text and type the value again.",
        ),
        (
            7,
            "customer_since",
            "2025-01-01 13:30 is a date with a time of day; a date is expected (format the "
            "cell as a date without a time).",
        ),
    ]
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "name", "customer_since", "region"])
    sheet.append(["A", True, dt.datetime(2025, 3, 4), dt.datetime(2025, 1, 1)])
    sheet.append(["B", "Bee", dt.datetime(2025, 3, 4), dt.datetime(2025, 1, 1, 9, 15)])
    path = tmp_path / "odd.xlsx"
    book.save(path)
    report = csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert report.problems == []
    assert sorted(Customer.objects.values_list("name", "customer_since", "region")) == [
        ("Bee", dt.date(2025, 3, 4), "2025-01-01 09:15"),
        ("TRUE", dt.date(2025, 3, 4), "2025-01-01"),
    ]
