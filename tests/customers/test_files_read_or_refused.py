"""Every file whose bytes are not what the import assumes is read right or refused with
a message naming its line, at every door (customers/file_records.py): encodings,
documents and archives, NUL bytes, line endings, empty and header-only files, overlong
lines, quotes left open, workbooks with another name; and ambiguous headers (the same
name written differently, two columns filling one field) are refused naming the
columns."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook

from customers import csv_io
from customers.file_records import MAX_COLUMNS, MAX_LINE_CHARS
from customers.models import CsvImport, Customer
from customers.tasks import check_csv_import, run_csv_import
from staff.models import Employee
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
HEADER = "external_id,name,customer_since\r\n"


def row(number: int, name: str = "Name") -> str:
    return f"QA-{number},{name} {number},2024-01-01\r\n"


ROWS = HEADER + row(1) + row(2) + row(3)


def write(tmp_path, data: bytes, name="file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check(kind, path):
    return csv_io.check(kind, path, csv_io.default_mapping(kind, csv_io.sniff(path)[1]))


def problems(report) -> list[tuple]:
    return [(p["line"], p["message"]) for p in report.problems]


def zip_of(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "hello")
    return buffer.getvalue()


# --- refused before anything is read (the upload, import_csv) -----------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty; it needs a header row."),
        (b"\r\n\n\r", "The file is empty; it needs a header row."),
        (
            b"\r\n" + ROWS.encode(),
            "Line 1 is empty; the first line names the columns (remove the empty lines above "
            "them).",
        ),
        (
            bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 600,
            "The file is an old Excel workbook (.xls), a password-protected workbook or another "
            "Office 97-2003 file, not CSV text; save it as CSV UTF-8 or as .xlsx.",
        ),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "The file is a PDF document, not CSV text"),
        (b"\x1f\x8b\x08\x00" + b"\x00\xff" * 50, "The file is a gzip archive, not CSV text"),
        (
            HEADER.replace("\r\n", "\x00\r\n").encode() + row(1).encode(),
            "Line 1 holds a NUL byte (byte 32): the file is not text; save it as CSV UTF-8.",
        ),
        (ROWS.encode("utf-16"), "it looks like UTF-16 or UTF-32"),
        (ROWS.encode("utf-16-be"), "it looks like UTF-16 or UTF-32"),
        (
            b"a," * (MAX_LINE_CHARS // 2 + 1),
            f"Line 1 is longer than {MAX_LINE_CHARS:,} characters",
        ),
        (
            ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)).encode(),
            f"Header (line 1): {MAX_COLUMNS + 1:,} columns; at most {MAX_COLUMNS:,}",
        ),
        (zip_of("x.txt"), "The file is not an Excel workbook (.xlsx) it can read"),
    ],
    ids=[
        "0 bytes",
        "only line breaks",
        "empty first line",
        "xls",
        "pdf",
        "gzip",
        "NUL in the header",
        "UTF-16 with BOM",
        "UTF-16 without BOM",
        "one huge line",
        "too many columns",
        "zip",
    ],
)
def test_a_file_that_is_not_csv_text_is_refused_by_what_it_is(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        csv_io.sniff(path)
    assert message in str(refused.value)
    assert refused.value.line in (1, None)
    with pytest.raises(CommandError, match="file|Header|Line"):
        call_command("import_csv", "customers", str(path), stdout=io.StringIO())


def test_a_header_of_many_repeated_names_is_refused_in_a_short_message(tmp_path):
    path = write(tmp_path, ("a," * 500 + "\r\n" + "x," * 500).encode())
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        csv_io.sniff(path)
    message = str(refused.value)
    assert message.startswith("Header (line 1): columns 1 and 2 are both named 'a'")
    assert message.endswith("; and 489 more.") and len(message) < 1000  # 499 repeats


# --- refused at its line by the check, nothing written -----------------------------------


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (
            (HEADER + row(1) + row(2, "Müller")).encode("cp1252"),
            3,
            "Line 3 is not UTF-8 text (byte 7 of the line, 0xFC); save it as CSV UTF-8.",
        ),
        (
            (ROWS + row(4, "Café")).encode("latin-1"),
            5,
            "Line 5 is not UTF-8 text (byte 9 of the line, 0xE9); save it as CSV UTF-8.",
        ),
        (
            (HEADER + row(1) + 'QA-2,"Open name,2024-01-01\r\n' + row(3)).encode(),
            3,
            "Line 3: a quote opened in this record is never closed (the file ends inside it).",
        ),
        (
            (
                HEADER + 'QA-1,"Open,2024-01-01\r\n' + row(2) + 'QA-3,"Quoted",2024-01-01\r\n'
            ).encode(),
            2,
            "Line 2: a quoted value is followed by more text on line 4; a quote inside a "
            'quoted value is written twice ("").',
        ),
        (
            (HEADER + 'QA-1,"Name"x,2024-01-01\r\n').encode(),
            2,
            "Line 2: a quoted value is followed by more text on this line",
        ),
        (
            (HEADER + row(1) + "QA-2," + "x" * (MAX_LINE_CHARS + 1) + ",2024-01-01\r\n").encode(),
            3,
            f"Line 3 is longer than {MAX_LINE_CHARS:,} characters",
        ),
        (
            (HEADER + 'QA-1,"' + "x\n" * 70_000 + '",2024-01-01\r\n').encode(),
            2,
            "Line 2: a value is longer than 131,072 characters (is a quote left open?).",
        ),
        (HEADER.encode(), 1, "The file has a header but no rows under it; nothing to import."),
        (
            HEADER.strip().encode(),
            1,
            "The file has a header but no rows under it; nothing to import.",
        ),
        (
            (HEADER + "QA-1,Na\x00me,2024-01-01\r\n").encode(),
            2,
            "contains a NUL character.",
        ),
    ],
    ids=[
        "cp1252",
        "latin-1 on the last line",
        "quote open at the end",
        "quote open in the middle",
        "text after a quote",
        "overlong line",
        "overlong value",
        "header only",
        "header only without a line break",
        "NUL in a value",
    ],
)
def test_a_file_unreadable_further_down_is_refused_at_its_line_and_nothing_is_written(
    tmp_path, data, line, message
):
    path = write(tmp_path, data)
    report = check("customers", path)
    assert [(p["line"], p["message"][: len(message)]) for p in report.problems] == [(line, message)]
    imported = csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert imported.problem_count == 1 and imported.created == 0
    assert not Customer.objects.exists()
    out = io.StringIO()
    for check_only in ([], ["--check"]):
        with pytest.raises(CommandError, match="1 problem"):
            call_command("import_csv", "customers", str(path), *check_only, stdout=out)
    assert f"line {line}" in out.getvalue()
    assert not Customer.objects.exists()


# --- read right -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        ROWS.encode(),
        ROWS.replace("\r\n", "\n").encode(),
        ROWS.replace("\r\n", "\r").encode(),  # old Macs
        (HEADER + row(1).replace("\r\n", "\n") + row(2).replace("\r\n", "\r") + row(3)).encode(),
        ("\ufeff" + ROWS).encode(),
        ("\ufeff" + ROWS.replace("\r\n", "\r")).encode(),
    ],
    ids=["CRLF", "LF", "CR", "mixed", "UTF-8 BOM", "UTF-8 BOM and CR"],
)
def test_every_line_ending_reads_the_same_three_rows(tmp_path, data):
    path = write(tmp_path, data)
    mapping = csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    assert mapping == {
        "external_id": "external_id",
        "name": "name",
        "customer_since": "customer_since",
    }
    report = csv_io.import_file("customers", path, mapping)
    assert (report.problem_count, report.created) == (0, 3)
    assert sorted(Customer.objects.values_list("external_id", "name")) == [
        ("QA-1", "Name 1"),
        ("QA-2", "Name 2"),
        ("QA-3", "Name 3"),
    ]


def test_lines_are_counted_as_an_editor_shows_them_whatever_the_line_endings(tmp_path):
    text = HEADER + row(1) + '"QA-2","Two\rlines",2024-01-01\r\n' + "QA-3,Three,someday\r\n"
    for ending in ("\r\n", "\r", "\n"):
        path = write(tmp_path, text.replace("\r\n", ending).encode(), name=f"{len(ending)}.csv")
        assert [p["line"] for p in check("customers", path).problems] == [5]
        bad = (text.replace("Three", "Thrée")).replace("\r\n", ending).encode("cp1252")
        path.write_bytes(bad)
        assert problems(check("customers", path))[0][0] == 5


def test_an_excel_workbook_named_csv_is_read_as_the_workbook_it_is(tmp_path):
    book = Workbook()
    book.active.append(["External ID", "Name", "Customer since"])
    book.active.append(["QA-X-1", "From Excel", "2024-02-01"])
    path = tmp_path / "customers.csv"
    book.save(path)
    report = check("customers", path)
    assert (report.rows, report.problem_count) == (1, 0)
    call_command("import_csv", "customers", str(path), stdout=io.StringIO())
    assert Customer.objects.get().name == "From Excel"


# --- ambiguous headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("external_id,name,phone,email,phone", "columns 3 and 5 are both named 'phone'"),
        (
            "external_id,name,phone,email,Phone",
            "columns 3 and 5 are both named 'Phone' (written 'phone' and 'Phone')",
        ),
        ("external_id,name,phone,email, phone ", "columns 3 and 5 are both named 'phone'"),
        ("external_id,name,phone,email,\ufeffphone", "columns 3 and 5 are both named 'phone'"),
        ("external_id,name,phone,email,phone\u200b", "columns 3 and 5 are both named 'phone'"),
        (
            "external_id,name,email,E-Mail",
            "columns 3 and 4 are both named 'E-Mail' (written 'email' and 'E-Mail')",
        ),
        ("external_id,,name", "column 2 has no name"),
    ],
    ids=["exact", "case", "spaces", "BOM", "zero-width space", "hyphen", "unnamed"],
)
def test_a_header_naming_a_column_twice_is_refused_naming_both(tmp_path, header, message):
    path = write(tmp_path, (header + "\r\nP-1,Ann,1,a@example.org,2\r\n").encode())
    with pytest.raises(csv_io.CsvUnreadable) as refused:
        csv_io.sniff(path)
    assert str(refused.value) == f"Header (line 1): {message}."
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("import_csv", "contacts", str(path), stdout=io.StringIO())


def test_two_columns_that_fill_one_field_are_refused_naming_both(tmp_path):
    path = write(
        tmp_path,
        b"external_id,name,email,Work Email,start_date\r\n"
        b"E-1,Ann Ames,ann@example.org,ann.ames@example.org,2024-01-01\r\n",
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_csv", "employees", str(path), stdout=out)
    assert out.getvalue().strip() == (
        "line 1: Columns 'email' and 'Work Email' both fill 'email'; map one of them to nothing."
    )
    assert not Employee.objects.filter(external_id="E-1").exists()


@pytest.fixture
def admin_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CSV_IMPORT_IN_THREAD = False  # the job runs in the request (eager), then settles
    boss = EmployeeFactory(
        role="admin", user=UserFactory(username="ada", is_staff=True, is_superuser=True)
    )
    client.force_login(boss.user)
    return client


def upload(client, kind: str, name: str, data: bytes):
    return client.post(
        reverse("imports"), {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def test_the_mapping_page_refuses_two_columns_mapped_to_one_field_naming_both(admin_client):
    data = b"external_id,customer,name,phone,mobile\r\nP-1,C-1,Ann,1,2\r\n"
    assert upload(admin_client, "contacts", "contacts.csv", data).status_code == 302
    job = CsvImport.objects.get()
    page = admin_client.post(
        reverse("import_detail", args=[job.pk]),
        {
            "action": "check",
            "column_0": "external_id",
            "column_1": "customer",
            "column_2": "name",
            "column_3": "phone",
            "column_4": "phone",
        },
    )
    assert page.status_code == 200
    assert "Columns &#x27;phone&#x27; and &#x27;mobile&#x27; both fill &#x27;phone&#x27;" in (
        page.content.decode()
    )
    job.refresh_from_db()
    assert job.status == CsvImport.Status.UPLOADED and not job.working


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (ROWS.encode("utf-16"), "it looks like UTF-16 or UTF-32"),
        (b"external_id,name,Name\r\nQA-1,a,b\r\n", "columns 2 and 3 are both named"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 600, "an old Excel workbook (.xls)"),
    ],
)
def test_the_upload_refuses_an_unreadable_file_next_to_the_field(admin_client, data, message):
    page = upload(admin_client, "customers", "customers.csv", data)
    assert page.status_code == 200
    assert message in page.content.decode().replace("&#x27;", "'")
    assert not CsvImport.objects.exists()


@pytest.mark.parametrize("write_it", [False, True], ids=["check", "import"])
def test_the_page_s_job_leaves_a_bad_file_checked_with_its_line_and_recheckable(
    admin_client, write_it
):
    """A bad byte in the first block of the file too (read with the header)."""
    data = (HEADER + row(1) + row(2, "Müller")).encode("cp1252")
    assert upload(admin_client, "customers", "customers.csv", data).status_code == 302
    job = CsvImport.objects.get()
    admin_client.post(
        reverse("import_detail", args=[job.pk]),
        {
            "action": "check",
            "column_0": "external_id",
            "column_1": "name",
            "column_2": "customer_since",
        },
    )
    job.refresh_from_db()
    assert (job.status, job.problem_count, job.error) == ("checked", 1, "")
    assert job.problems[0]["line"] == 3
    if write_it:  # forced past the page (which offers no Import): the job refuses too
        run_csv_import.delay(import_id=job.pk)
        job.refresh_from_db()
        assert job.status == "failed" and job.problems[0]["line"] == 3
    assert not Customer.objects.exists() and not job.working
    page = admin_client.get(reverse("import_detail", args=[job.pk]))
    assert "Line 3 is not UTF-8 text" in page.content.decode()
    assert 'value="check"' in page.content.decode()  # can be checked again


def test_a_teams_file_unreadable_further_down_is_refused_at_its_line(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    data = ("external_id,name\r\nT-1,Sales\r\nT-2,Vertrieb Süd\r\n").encode("cp1252")
    job = CsvImport(kind="teams", original_name="teams.csv")
    job.file.save("teams.csv", ContentFile(data))
    job.delimiter, job.header = csv_io.sniff(Path(job.file.path))
    job.mapping = csv_io.default_mapping("teams", job.header)
    job.save()
    check_csv_import.delay(import_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.problems[0]["line"]) == ("checked", 3)


def test_values_under_no_column_name_are_refused_naming_line_and_column(tmp_path):
    path = write(
        tmp_path, (HEADER.replace("\r\n", ",\r\n") + "QA-1,A,2024-01-01,lost\r\n").encode()
    )
    assert problems(check("customers", path)) == [
        (2, "1 more value than there are columns (in column 4, which the header does not name).")
    ]


def test_import_csv_names_each_column_it_ignores(tmp_path):
    path = write(tmp_path, (HEADER.replace("\r\n", ",Phone number\r\n") + row(1)).encode())
    err = io.StringIO()
    call_command("import_csv", "customers", str(path), "--check", stdout=io.StringIO(), stderr=err)
    assert (
        "Column 'Phone number' fills no field and is ignored (--map 'Phone number'=FIELD to "
        "use it)." in err.getvalue()
    )
