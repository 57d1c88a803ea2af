"""A workbook is read as the sheet shows it, or refused by line and column: every row
whatever size the file claims, ids with their leading zeros, merged areas on every row
they cover, Excel's error values refused, the Mac's 1904 calendar, and a sheet whose XML
breaks part of the way in refused with a sentence (at the import page too)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from customers import csv_io
from customers.models import CsvImport, Customer
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = ["external_id", "name", "customer_since", "segment", "region"]


def workbook(tmp_path, *rows, name="book.xlsx", edit=None):
    """A workbook of customers; `edit(sheet)` styles or merges cells before saving."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if edit:
        edit(book, sheet)
    path = tmp_path / name
    book.save(path)
    return path


def rewrite_sheet(path, change) -> None:
    """Rewrite the first sheet's XML in the saved file with `change(xml text)`."""
    with zipfile.ZipFile(path) as source:
        parts = {item: source.read(item) for item in source.namelist()}
    name = "xl/worksheets/sheet1.xml"
    parts[name] = change(parts[name].decode()).encode()
    with zipfile.ZipFile(path, "w") as target:
        for item, data in parts.items():
            target.writestr(item, data)


def imported(path):
    return csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )


def said(report):
    return [(p["line"], p["column"], p["message"]) for p in report.problems]


def test_every_row_is_read_whatever_size_the_file_says_its_sheet_has(tmp_path):
    rows = [[f"DIM-{i}", f"Dim {i}", dt.datetime(2024, 1, 1), "core", "West"] for i in range(5)]
    path = workbook(tmp_path, *rows)
    # The stored size says one row and three columns; the sheet holds six rows and five.
    rewrite_sheet(
        path, lambda xml: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:C2"', xml)
    )
    report = imported(path)
    assert said(report) == []
    stored = Customer.objects.order_by("external_id").values_list("external_id", "region")
    assert list(stored) == [(f"DIM-{i}", "West") for i in range(5)]


def test_an_id_formatted_with_leading_zeros_is_read_as_the_sheet_shows_it(tmp_path):
    Customer.objects.create(external_id="00123", name="Zero", customer_since="2024-01-01")

    def zeros(book, sheet):
        sheet["A2"].number_format = "00000"

    path = workbook(tmp_path, [123, "Zero", dt.datetime(2024, 1, 1), "core", ""], edit=zeros)
    report = imported(path)
    assert said(report) == []
    assert (report.created, report.updated) == (0, 1)
    assert list(Customer.objects.values_list("external_id", "segment")) == [("00123", "core")]


def test_a_merged_area_fills_every_row_it_covers(tmp_path):
    for key in ("M-1", "M-2", "M-3"):
        Customer.objects.create(external_id=key, name=key, customer_since="2024-01-01")

    def merge(book, sheet):
        sheet.merge_cells("D2:D4")
        sheet.merge_cells("E2:E4")

    path = workbook(
        tmp_path,
        ["M-1", "M-1", dt.datetime(2024, 1, 1), "important", "West"],
        ["M-2", "M-2", dt.datetime(2024, 1, 1)],
        ["M-3", "M-3", dt.datetime(2024, 1, 1)],
        edit=merge,
    )
    report = imported(path)
    assert said(report) == []
    stored = Customer.objects.order_by("external_id").values_list("segment", "region")
    assert list(stored) == [("important", "West")] * 3


def test_excel_error_values_are_refused_by_line_and_column(tmp_path):
    Customer.objects.create(
        external_id="E-1", name="Err", customer_since="2024-01-01", region="North"
    )
    path = workbook(tmp_path, ["E-1", "Err", dt.datetime(2024, 1, 1), "core", "#N/A"])
    report = imported(path)
    assert said(report) == [
        (
            2,
            "region",
            "The cell shows the Excel error #N/A, not a value; correct the formula or clear "
            "the cell.",
        )
    ]
    assert Customer.objects.get().region == "North"


def test_a_date_serial_of_a_1904_workbook_counts_from_1904(tmp_path):
    def mac(book, sheet):
        book.epoch = dt.datetime(1904, 1, 1)

    # 1904-01-01 + 43,830 days: 120 years of 365 days and 30 leap days, 1904 to 2020.
    path = workbook(tmp_path, ["MAC-1", "Mac", 43830, "core", ""], edit=mac)
    report = imported(path)
    assert said(report) == []
    assert Customer.objects.get().customer_since == dt.date(2024, 1, 1)


def test_a_sheet_whose_xml_breaks_part_of_the_way_in_is_refused_with_a_sentence(
    tmp_path, client, settings
):
    rows = [[f"X-{i}", f"Name {i}", dt.datetime(2024, 1, 1), "core", ""] for i in range(3)]
    path = workbook(tmp_path, *rows)
    rewrite_sheet(path, lambda xml: xml.replace(">Name 2<", ">Name & 2<"))
    report = imported(path)
    assert len(report.problems) == 1
    assert report.problems[0]["message"].startswith(
        "The file is not an Excel workbook (.xlsx) it can read ("
    )
    assert Customer.objects.count() == 0

    settings.MEDIA_ROOT = tmp_path
    settings.CSV_IMPORT_IN_THREAD = False
    boss = EmployeeFactory(
        role="admin", user=UserFactory(username="ada", is_staff=True, is_superuser=True)
    )
    client.force_login(boss.user)
    upload = SimpleUploadedFile("broken.xlsx", path.read_bytes())
    page = client.post(reverse("imports"), {"kind": "customers", "file": upload})
    if page.status_code == 302:  # taken: its check says why, the page does not fail
        job = CsvImport.objects.get()
        page = client.post(
            reverse("import_detail", args=[job.pk]),
            {"action": "check", **{f"column_{i}": name for i, name in enumerate(HEADER)}},
        )
        job.refresh_from_db()
        assert job.status == "checked" and job.problem_count == 1
        page = client.get(reverse("import_detail", args=[job.pk]))
    assert page.status_code == 200
    assert "The file is not an Excel workbook (.xlsx) it can read" in page.content.decode()


def test_column_names_below_a_title_line_are_pointed_at(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        "Customer report, exported 2026-11-30\n\nexternal_id,name,customer_since\nT-1,Title,2024-01-01\n"
    )
    header = csv_io.sniff(path)[1]
    report = csv_io.check("customers", path, csv_io.default_mapping("customers", header))
    messages = [p["message"] for p in report.problems]
    assert (
        "The column names seem to be on line 3: remove the lines above them and upload the "
        "file again."
    ) in messages
    assert all(p["line"] == 1 for p in report.problems)
    # A file whose names are on line 1 gets no such hint for a field it lacks.
    path.write_text("external_id,customer_since\nT-1,2024-01-01\n")
    report = csv_io.check("customers", path, {"external_id": "external_id"})
    assert not any("seem to be on line" in p["message"] for p in report.problems)


@pytest.mark.parametrize("area", ["A1:A2", "D1:E1"])
def test_a_merged_area_over_the_column_names_is_refused(tmp_path, area):
    def merge(book, sheet):
        sheet.merge_cells(area)

    path = workbook(tmp_path, ["", "H-1", dt.datetime(2024, 1, 1), "core", "West"], edit=merge)
    # Refused when the file is first read (the upload, import_csv), naming line 1.
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        csv_io.sniff(path)
    if area == "A1:A2":  # a name cell merged down into the data
        assert str(refused.value) == (
            f"Cells {area} are merged over the column names; unmerge them so that each column "
            "has a name of its own."
        )
    else:  # across the first row: a heading over names on the row below, or merged names
        assert str(refused.value) == (
            f"Cells {area} are merged in the first row: if the column names are on a row "
            "below (a heading above them), remove the rows above the names; otherwise unmerge "
            "the cells so that each column has a name of its own."
        )
    assert refused.value.line == 1


def test_a_row_stored_out_of_order_is_refused_not_skipped(tmp_path):
    rows = [[f"R-{i}", f"Name {i}", dt.datetime(2024, 1, 1), "core", ""] for i in range(1, 6)]
    path = workbook(tmp_path, *rows)
    # Row 5 of the sheet claims to be row 3: a reader would skip it without a word.
    rewrite_sheet(path, lambda xml: xml.replace('<row r="5"', '<row r="3"'))
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        imported(path)
    assert str(refused.value) == (
        "Row 3 of the sheet is stored after row 4: the file is damaged; open it in Excel and "
        "save it again."
    )
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("number_format", "value", "stored"),
    [("000-000", 1234, "001-234"), ('"C"0000000', 7, "C0000007"), ("\\A00", 3, "A03")],
)
def test_an_id_formatted_with_literal_text_is_read_as_the_sheet_shows_it(
    tmp_path, number_format, value, stored
):
    def styled(book, sheet):
        sheet["A2"].number_format = number_format

    book_rows = [[value, "Shown", dt.datetime(2024, 1, 1), "core", ""]]
    path = workbook(tmp_path, *book_rows, edit=styled)
    report = imported(path)
    assert said(report) == []
    assert list(Customer.objects.values_list("external_id", flat=True)) == [stored]


def test_a_number_field_formatted_with_text_keeps_its_number(tmp_path):
    from customers.models import Contract

    Customer.objects.create(external_id="C-1", name="One", customer_since="2024-01-01")
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "customer", "start_date", "end_date", "annual_value"])
    sheet.append(["K-1", "C-1", dt.datetime(2025, 1, 1), dt.datetime(2025, 12, 31), 1200])
    sheet["E2"].number_format = '"EUR "0'
    path = tmp_path / "contracts.xlsx"
    book.save(path)
    report = csv_io.import_file(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )
    assert said(report) == []
    assert Contract.objects.get().annual_value == 1200
