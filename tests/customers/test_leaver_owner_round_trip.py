"""A leaver (departed, or login disabled) cannot be made a customer's owner, at any door;
a customer they still own (until handover) keeps them, so its unchanged row, such as the
customers export, checks and imports back clean through the CSV and Excel import and the
API's bulk upsert."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from customers import csv_io
from customers.models import Customer
from staff.models import Employee
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
SINCE = dt.date(2025, 1, 1)


@pytest.fixture
def world(client):
    admin = EmployeeFactory(
        name="Ada Admin",
        email="ada@example.com",
        role="admin",
        user=UserFactory(username="ada", is_staff=True, is_superuser=True),
    )
    client.force_login(admin.user)
    gone = EmployeeFactory(
        name="Lena Left",
        email="lena@example.com",
        status=Employee.Status.DEPARTED,
        departure_date=dt.date(2026, 6, 30),
    )
    locked = EmployeeFactory(
        name="Lou Locked",
        email="lou@example.com",
        user=UserFactory(username="lou", is_active=False),
    )
    ben = EmployeeFactory(name="Ben Berg", email="ben@example.com")
    CustomerFactory(external_id="C-1", name="Alpha", primary_owner=gone, customer_since=SINCE)
    CustomerFactory(
        external_id="C-2",
        name="Beta",
        primary_owner=ben,
        secondary_owner=locked,
        customer_since=SINCE,
    )
    CustomerFactory(external_id="C-3", name="Gamma", primary_owner=ben, customer_since=SINCE)
    return client


def exported(client) -> bytes:
    response = client.post(reverse("export", args=["customers"]), {"reason": "Round trip"})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_customers_export_with_a_leaver_owner_checks_clean_with_import_csv(world, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(exported(world))
    out = io.StringIO()
    call_command("import_csv", "customers", str(path), "--check", stdout=out)
    assert out.getvalue().strip() == "3 rows checked: no problems."


def test_the_export_imports_back_unchanged_as_csv_and_as_xlsx(world, tmp_path):
    raw = exported(world)
    path = tmp_path / "customers.csv"
    path.write_bytes(raw)
    report = csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert (report.problems, report.created, report.updated, report.unchanged) == ([], 0, 0, 3)

    book = openpyxl.Workbook()
    for row in csv_io.csv.reader(io.StringIO(raw.decode("utf-8-sig"))):
        book.active.append(row)
    xlsx = tmp_path / "customers.xlsx"
    book.save(xlsx)
    report = csv_io.import_file(
        "customers", xlsx, csv_io.default_mapping("customers", csv_io.sniff(xlsx)[1])
    )
    assert (report.problems, report.created, report.updated, report.unchanged) == ([], 0, 0, 3)


def test_making_a_leaver_an_owner_is_still_refused_at_every_door(world, tmp_path):
    client = integration_client()[0]
    rows = [
        {
            "external_id": "C-1",
            "name": "Alpha renamed",
            "customer_since": "2025-01-01",
            "primary_owner": "LENA@example.com ",
        },
        {
            "external_id": "C-3",
            "name": "Gamma",
            "customer_since": "2025-01-01",
            "primary_owner": "lena@example.com",
        },
        {
            "external_id": "C-4",
            "name": "New",
            "customer_since": "2025-01-01",
            "primary_owner": "ben@example.com",
            "secondary_owner": "lou@example.com",
        },
    ]
    response = client.post("/api/v1/customers/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["rows"] == [
        {
            "index": 1,
            "field": "primary_owner",
            "message": "Lena Left has left the company and cannot own customers.",
        },
        {
            "index": 2,
            "field": "secondary_owner",
            "message": "Lou Locked's login is disabled; they cannot own customers.",
        },
    ]
    # the unchanged owner alone is fine, and the other fields are written
    response = client.post("/api/v1/customers/bulk/", {"rows": rows[:1]}, format="json")
    assert response.status_code == 200, response.content
    assert Customer.objects.get(external_id="C-1").name == "Alpha renamed"

    path = tmp_path / "change.csv"
    path.write_text(
        "external_id,name,customer_since,primary_owner\nC-3,Gamma,2025-01-01,lena@example.com\n"
    )
    report = csv_io.check(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "primary_owner", "Lena Left has left the company and cannot own customers.")
    ]

    gamma = Customer.objects.get(external_id="C-3")
    gamma.primary_owner = Employee.objects.get(email="lena@example.com")
    with pytest.raises(Exception, match="has left the company"):
        gamma.full_clean()
    alpha = Customer.objects.get(external_id="C-1")
    alpha.name = "Alpha again"
    alpha.full_clean()  # kept owner: the form and admin door agree
