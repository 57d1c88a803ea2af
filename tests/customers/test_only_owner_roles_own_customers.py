"""Only active account managers and managers own customers (Employee.cannot_own_customers):
HR and admins, and people leaving, are refused as a new owner at every data door (the
customers bulk API, the CSV import, the admin's full_clean), naming the row, the field and
the reason; someone who owns active customers is not moved to HR by the admin or the
employees import (their customers would have an owner who cannot see them)."""

import datetime as dt
import html

import pytest
from django.core.exceptions import ValidationError

from customers import csv_io
from customers.models import Customer
from staff.models import Employee
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def people():
    return {
        "ann": EmployeeFactory(name="Ann Owner", email="ann@example.com", external_id="E-ANN"),
        "max": EmployeeFactory(name="Max Manager", email="max@example.com", role="manager"),
        "hal": EmployeeFactory(name="Hal Hr", email="hal@example.com", role="hr"),
        "ada": EmployeeFactory(name="Ada Admin", email="ada@example.com", role="admin"),
        "dan": EmployeeFactory(
            name="Dan Leaving",
            email="dan@example.com",
            status=Employee.Status.DEPARTING,
            departure_date=TODAY + dt.timedelta(days=20),
        ),
    }


HAL_REFUSED = "Hal Hr's role is HR: only account managers and managers own or take over customers."
ADA_REFUSED = (
    "Ada Admin's role is Admin: only account managers and managers own or take over customers."
)
DAN_REFUSED = "Dan Leaving is leaving and cannot take customers over."


def row(external_id, primary, secondary=None):
    return {
        "external_id": external_id,
        "name": external_id,
        "customer_since": "2025-01-01",
        "primary_owner": primary,
        **({"secondary_owner": secondary} if secondary else {}),
    }


def test_the_bulk_api_refuses_hr_admins_and_leavers_as_owners_by_row_and_field(people):
    api = integration_client()[0]
    rows = [
        row("C-1", "ann@example.com", "max@example.com"),
        row("C-2", "hal@example.com"),
        row("C-3", "ann@example.com", "ada@example.com"),
        row("C-4", "dan@example.com"),
    ]
    response = api.post("/api/v1/customers/bulk/", {"rows": rows}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["rows"] == [
        {"index": 1, "field": "primary_owner", "message": HAL_REFUSED},
        {"index": 2, "field": "secondary_owner", "message": ADA_REFUSED},
        {"index": 3, "field": "primary_owner", "message": DAN_REFUSED},
    ]
    assert not Customer.objects.exists()  # nothing half-written
    response = api.post("/api/v1/customers/bulk/", {"rows": rows[:1]}, format="json")
    assert response.status_code == 200, response.content


def test_the_file_import_refuses_an_hr_owner_by_line_and_column(people, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "external_id,name,customer_since,primary_owner\n"
        "C-1,One,2025-01-01,ann@example.com\n"
        "C-2,Two,2025-01-01,HAL@example.com\n"
    )
    report = csv_io.import_file(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (3, "primary_owner", HAL_REFUSED)
    ]
    assert not Customer.objects.exists()


def test_the_admin_s_validation_refuses_hr_as_a_new_owner_and_keeps_a_stored_one(people):
    customer = CustomerFactory(name="Acme", primary_owner=people["ann"])
    customer.primary_owner = people["hal"]
    with pytest.raises(ValidationError) as refused:
        customer.full_clean()
    assert refused.value.message_dict == {"primary_owner": [HAL_REFUSED]}

    # A customer stored with an owner of a role that cannot own any more (before this
    # rule, or by SQL) keeps them on an unrelated change: its handover is where it moves.
    Customer.objects.filter(pk=customer.pk).update(primary_owner=people["hal"])
    stored = Customer.objects.get(pk=customer.pk)
    stored.name = "Acme renamed"
    stored.full_clean()


def test_the_admin_refuses_moving_an_owner_of_active_customers_to_hr(people):
    CustomerFactory(primary_owner=people["ann"])
    CustomerFactory(secondary_owner=people["ann"], primary_owner=people["max"])
    CustomerFactory(
        primary_owner=people["ann"], status="churned", churned_on=TODAY, churn_reason="price"
    )
    ann = Employee.objects.get(pk=people["ann"].pk)
    ann.role = Employee.Role.HR
    with pytest.raises(ValidationError) as refused:
        ann.full_clean()
    # Two active customers (one primary, one secondary); the churned one does not count.
    assert refused.value.message_dict == {
        "role": [
            "Ann Owner owns active customers (2): give them other owners before changing the "
            "role to HR (only account managers and managers own customers)."
        ]
    }
    # Someone who owns nothing moves freely; a manager may become an account manager.
    max_ = Employee.objects.get(pk=people["max"].pk)
    max_.role = Employee.Role.ACCOUNT_MANAGER
    max_.full_clean()
    free = EmployeeFactory(name="Free")
    free.role = Employee.Role.HR
    free.full_clean()


def test_the_employees_import_refuses_moving_an_owner_to_hr_by_row(people):
    CustomerFactory(primary_owner=people["ann"])
    api = integration_client()[0]
    rows = [
        {
            "external_id": "E-ANN",
            "name": "Ann Owner",
            "email": "ann@example.com",
            "role": "hr",
            "start_date": people["ann"].hired_on.isoformat(),
        },
        {
            "external_id": "E-NEW",
            "name": "Nia New",
            "email": "nia@example.com",
            "role": "hr",
            "start_date": "2025-01-01",
        },
    ]
    response = api.post("/api/v1/employees/bulk/", {"rows": rows}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["rows"] == [
        {
            "index": 0,
            "field": "role",
            "message": "Ann Owner owns active customers (1): give them other owners before "
            "changing the role to HR (only account managers and managers own customers).",
        }
    ]
    assert Employee.objects.get(pk=people["ann"].pk).role == "account_manager"
    assert not Employee.objects.filter(external_id="E-NEW").exists()


def test_the_customer_admin_offers_and_takes_only_people_who_may_own(people, admin_client):
    from django.urls import reverse

    customer = CustomerFactory(name="Acme", primary_owner=people["ann"])
    offered = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "customers", "model_name": "customer", "field_name": "primary_owner"},
    ).json()["results"]
    assert {r["text"] for r in offered} == {"Ann Owner", "Max Manager"}
    form = {
        "name": "Acme",
        "external_id": customer.external_id,
        "segment": "general",
        "region": "North",
        "customer_since": "2021-01-01",
        "primary_owner": people["hal"].pk,
        "status": "active",
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
        "contracts-TOTAL_FORMS": 0,
        "contracts-INITIAL_FORMS": 0,
        "ownership_periods-TOTAL_FORMS": 0,
        "ownership_periods-INITIAL_FORMS": 0,
    }
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert HAL_REFUSED in html.unescape(response.content.decode())
    customer.refresh_from_db()
    assert customer.primary_owner == people["ann"]
