"""An employee's e-mail address is compared by one key computed in Python
(retention.email_address.email_key, stored as Employee.email_key), never by the
database's lower(), which folds only ASCII under the "C" collation and differs from
Python's for İ (U+0130) and a final Σ. So the address typed exactly as stored, or in
another case (κωστας and κωστασ for ΚΩΣΤΑΣ), names the person at every door, and a
second person with the same address is refused by row before anything is written."""

from urllib.parse import quote

import pytest
from django.contrib import admin
from django.test import RequestFactory

from customers.models import Customer
from staff.models import Employee
from tests.api.helpers import integration_client, refused
from tests.factories import EmployeeFactory, UserFactory
from tests.staff.test_hr_import import EMPLOYEES_HEADER, run, write

pytestmark = pytest.mark.django_db

ILKAY = "İlkay.Oz@demo.example"
KOSTAS = "ΚΩΣΤΑΣ@demo.example"


@pytest.fixture
def people():
    return {
        "ilkay": EmployeeFactory(name="İlkay", email=ILKAY, external_id="HR-I"),
        "kostas": EmployeeFactory(name="Kostas", email=KOSTAS, external_id="HR-K"),
    }


def customer_row(key: str, owner: str) -> dict:
    return {"external_id": key, "name": key, "customer_since": "2024-01-01", "primary_owner": owner}


def test_an_owner_typed_as_stored_or_in_another_case_is_found_by_the_bulk_api(people):
    named = {
        "C-1": ILKAY,  # exactly as stored
        "C-2": KOSTAS,
        "C-3": "κωστας@demo.example",  # a final ς, as a Greek writer types it
        "C-4": "κωστασ@DEMO.example",
        "C-5": "i\u0307lkay.oz@demo.example",  # İ is i with its dot
    }
    api = integration_client()[0]
    rows = [customer_row(key, owner) for key, owner in named.items()]
    response = api.post("/api/v1/customers/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    owners = dict(Customer.objects.values_list("external_id", "primary_owner__name"))
    assert owners == {
        "C-1": "İlkay",
        "C-2": "Kostas",
        "C-3": "Kostas",
        "C-4": "Kostas",
        "C-5": "İlkay",
    }


def test_the_lists_filter_by_the_address_as_stored(people):
    api = integration_client()[0]
    for address, name in ((ILKAY, "İlkay"), (KOSTAS, "Kostas"), ("κωστας@demo.example", "Kostas")):
        response = api.get(f"/api/v1/employees/?email={quote(address)}")
        assert [row["name"] for row in response.json()["results"]] == [name]


def test_a_second_employee_with_the_address_in_another_case_is_refused_by_row(people, tmp_path):
    api = integration_client()[0]
    row = {
        "external_id": "HR-NEW",
        "name": "Other",
        "email": "κωστας@demo.example",
        "start_date": "2020-01-01",
    }
    assert refused(api, "employees", [row]) == [
        (0, "email", "Another employee (HR-K) has this e-mail address.")
    ]
    path = write(tmp_path, EMPLOYEES_HEADER + "HR-NEW;Other;κωστασ@DEMO.example;;;2020-01-01;;\n")
    report = run("employees", path, check=True)
    assert [(p["line"], p["column"]) for p in report.problems] == [(2, "Work Email")]
    assert "Another employee (HR-K)" in report.problems[0]["message"]
    assert not Employee.objects.filter(external_id="HR-NEW").exists()

    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    form = admin.site._registry[Employee].get_form(request)(
        {
            "name": "Other",
            "email": "κωστας@demo.example",
            "role": "account_manager",
            "hired_on": "2024-01-01",
            "status": "active",
        }
    )
    assert not form.is_valid()
    assert "Another employee has this e-mail address." in str(form.errors["email"])


def test_changing_an_address_keeps_its_key(people):
    kostas = people["kostas"]
    kostas.email = "kostas.new@demo.example"
    kostas.save(update_fields=["email"])
    assert Employee.objects.get(pk=kostas.pk).email_key == "kostas.new@demo.example"
    assert Employee.objects.filter(email_key="κωστασ@demo.example").count() == 0
