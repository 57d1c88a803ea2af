"""CSV import: encodings and delimiters, column mapping, a check that names every
problem by line and column, all-or-nothing writes, the browser flow, and export."""

import datetime as dt

import pytest
from django.urls import reverse

from customers import csv_io
from customers.models import CsvImport, Customer, Interaction
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def said(problems: list[dict]) -> list[dict]:
    """The problems as a person reads them (without the code and figures kept to word
    them in another language)."""
    return [{k: p[k] for k in ("line", "column", "message")} for p in problems]


HEADER = "external_id,name,customer_since,segment"


def write(tmp_path, text: str, encoding="utf-8", name="file.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("utf-8-sig", ","), ("utf-8", ";")],
)
def test_bom_and_delimiter_variants_read_the_same(tmp_path, encoding, delimiter):
    text = "\n".join(
        line.replace(",", delimiter)
        for line in [HEADER, "C-1,Zürich Café,2024-01-01,core", 'C-2,"Bolt",2025-02-01,']
    )
    path = write(tmp_path, text + "\n", encoding)
    assert csv_io.sniff(path) == (delimiter, ["external_id", "name", "customer_since", "segment"])
    report = csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert (report.rows, report.created, report.problem_count) == (2, 2, 0)
    assert Customer.objects.get(external_id="C-1").name == "Zürich Café"
    assert Customer.objects.get(external_id="C-2").segment == "general"


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path):
    path = write(tmp_path, HEADER + "\nC-1,Zürich,2024-01-01,core\n", "latin-1")
    report = csv_io.check("customers", path, csv_io.default_mapping("customers", HEADER.split(",")))
    assert report.problem_count == 1
    assert report.problems[0]["line"] == 2
    assert report.problems[0]["message"].startswith("Line 2 is not UTF-8 text")
    header_path = write(tmp_path, "external_id,Stra\u00dfe\n", "latin-1", name="h.csv")
    with pytest.raises(csv_io.CsvUnreadable, match="Line 1 is not UTF-8 text"):
        csv_io.sniff(header_path)


def test_columns_are_mapped_and_a_missing_required_field_is_named(tmp_path):
    path = write(tmp_path, "Customer ID;Company;Since;Notes\nC-7;Acme;2024-05-01;x\n")
    _, header = csv_io.sniff(path)
    assert csv_io.default_mapping("customers", header) == {}
    problems = csv_io.check_mapping("customers", header, {"Customer ID": "external_id"})
    assert problems == [
        "No column fills the required field 'name'.",
        "No column fills the required field 'customer_since'.",
    ]
    mapping = {"Customer ID": "external_id", "Company": "name", "Since": "customer_since"}
    report = csv_io.import_file("customers", path, mapping)
    assert report.created == 1 and Customer.objects.get(external_id="C-7").name == "Acme"


def test_the_check_names_every_problem_by_line_and_column_and_writes_nothing(tmp_path):
    path = write(
        tmp_path,
        "\n".join(
            [
                "Customer ID,Company,Since",
                "C-1,Acme,2024-01-01",
                "C-2,,2024-01-01",  # line 3: no name
                "C-3,Cobalt,1 Mai 2024",  # line 4: bad date
                "C-1,Acme again,2024-01-01",  # line 5: repeated id
            ]
        ),
    )
    mapping = {"Customer ID": "external_id", "Company": "name", "Since": "customer_since"}
    report = csv_io.check("customers", path, mapping)
    assert said(report.problems) == [  # by line
        {"line": 3, "column": "Company", "message": "Required."},
        {
            "line": 4,
            "column": "Since",
            "message": "'1 Mai 2024' is not a date "
            "(e.g. 2025-12-31, 31.12.2025, 12/31/2025, 31-Dec-2025).",
        },
        {"line": 5, "column": "Customer ID", "message": "'C-1' is also on line 2."},
    ]
    assert report.rows == 4 and not Customer.objects.exists()


def interactions_file(tmp_path, rows: int, bad_line: int | None = None):
    lines = ["external_id,customer,kind,happened_at,satisfaction"]
    for i in range(rows):
        satisfaction = "12" if i + 2 == bad_line else "7"
        lines.append(f"I-{i},C-1,call,2026-05-01T10:00:00Z,{satisfaction}")
    return write(tmp_path, "\n".join(lines) + "\n")


def test_a_bad_row_deep_in_a_large_file_stops_the_whole_import(tmp_path):
    CustomerFactory(external_id="C-1")
    mapping = {c: c for c in ["external_id", "customer", "kind", "happened_at", "satisfaction"]}
    path = interactions_file(tmp_path, 25_000, bad_line=17_002)  # in the second chunk
    report = csv_io.import_file("interactions", path, mapping)
    assert said(report.problems) == [
        {
            "line": 17_002,
            "column": "satisfaction",
            "message": "Satisfaction is scored from 1 to 10.",
        }
    ]
    assert report.created == 0 and not Interaction.objects.exists()
    good = interactions_file(tmp_path, 25_000)
    report = csv_io.import_file("interactions", good, mapping)
    assert (report.rows, report.created) == (25_000, 25_000)
    assert Interaction.objects.count() == 25_000
    again = csv_io.import_file("interactions", good, mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 25_000)


def test_the_browser_flow_uploads_maps_checks_and_imports(tmp_path, client, settings):
    settings.MEDIA_ROOT = tmp_path
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    upload = tmp_path / "upload.csv"
    upload.write_text("Customer ID;Company;Since\nC-1;Acme;2024-01-01\nC-2;Bolt;2025-01-01\n")
    with upload.open("rb") as handle:
        response = client.post(reverse("imports"), {"kind": "customers", "file": handle})
    job = CsvImport.objects.get()
    assert response.url == reverse("import_detail", args=[job.pk])
    assert (job.delimiter, job.header) == (";", ["Customer ID", "Company", "Since"])
    page = client.get(response.url).content.decode()
    assert "Which field does each column fill?" in page
    # A mapping without the name is refused next to the form.
    body = {
        "action": "check",
        "column_0": "external_id",
        "column_1": "",
        "column_2": "customer_since",
    }
    page = client.post(response.url, body).content.decode()
    assert "No column fills the required field &#x27;name&#x27;." in page
    body["column_1"] = "name"
    client.post(response.url, body)  # the check runs (in-process here)
    job.refresh_from_db()
    assert (job.status, job.problem_count, job.rows_done, job.rows_total) == ("checked", 0, 2, 2)
    assert not Customer.objects.exists()
    client.post(response.url, {"action": "import"})
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 2)
    assert "Imported 2 rows: 2 new" in client.get(response.url).content.decode()
    assert set(Customer.objects.values_list("name", flat=True)) == {"Acme", "Bolt"}


def test_a_bad_upload_is_refused_next_to_the_field(tmp_path, client, settings):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    bad = tmp_path / "bad.csv"
    bad.write_bytes("id;name\n1;Zürich\n".encode("utf-16"))
    with bad.open("rb") as handle:
        page = client.post(reverse("imports"), {"kind": "customers", "file": handle})
    assert "is not UTF-8 text" in page.content.decode() and not CsvImport.objects.exists()


def test_only_admins_import(client):
    client.force_login(EmployeeFactory(user=UserFactory(username="am")).user)
    assert client.get(reverse("imports")).status_code == 403


def test_export_writes_the_import_s_own_columns_and_reads_back(tmp_path, client):
    owner = EmployeeFactory(
        email="ann@example.com", role="manager", user=UserFactory(username="mgr")
    )
    CustomerFactory(
        external_id="C-1",
        name="Acme, Inc.",
        primary_owner=owner,
        customer_since=dt.date(2024, 1, 1),
    )
    client.force_login(owner.user)
    asked = client.get(reverse("export", args=["customers"]))
    assert "Why do you need this export?" in asked.content.decode()
    response = client.post(reverse("export", args=["customers"]), {"reason": "Quarterly review"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("external_id,name,segment") and lines[0].endswith(
        "primary_owner,secondary_owner"
    )
    assert lines[1].startswith('C-1,"Acme, Inc.",general') and "ann@example.com" in lines[1]
    path = write(tmp_path, text)
    report = csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert (report.rows, report.unchanged, report.problem_count) == (1, 1, 0)


def test_a_contract_worth_more_than_the_reporting_column_holds_is_refused_at_the_check(
    tmp_path,
):
    from decimal import Decimal

    from customers.currency import ExchangeRate
    from customers.models import Contract

    CustomerFactory(external_id="C-1")
    # An ounce of gold is worth 3,000 euros: 500 billion ounces a year is 1.5 quadrillion
    # euros, more than a contract's value in the reporting currency can hold.
    ExchangeRate.objects.create(currency="XAU", day=dt.date(2020, 1, 1), rate=Decimal("3000"))
    header = "external_id,customer,start_date,end_date,annual_value,currency"
    lines = [f"K-{i},C-1,2026-01-01,2026-12-31,1000,EUR" for i in range(1, 6)]
    lines.insert(3, "K-GOLD,C-1,2026-01-01,2026-12-31,500000000000,XAU")  # line 5
    path = write(tmp_path, "\n".join([header, *lines]) + "\n")
    mapping = csv_io.default_mapping("contracts", header.split(","))

    # 500,000,000,000 x 3,000 = 1,500,000,000,000,000 euros.
    expected = [
        {
            "line": 5,
            "column": "annual_value",
            "message": "500,000,000,000.00 XAU is 1,500,000,000,000,000.00 EUR; a contract's "
            "annual value in the reporting currency is at most 999,999,999,999.99. Check the "
            "amount, the currency and its exchange rate.",
        }
    ]
    assert said(csv_io.check("contracts", path, mapping).problems) == expected
    report = csv_io.import_file("contracts", path, mapping)

    assert said(report.problems) == expected
    assert (report.created, report.updated) == (0, 0)
    assert not Contract.objects.exists()
