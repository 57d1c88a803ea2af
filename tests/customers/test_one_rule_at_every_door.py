"""One validation and normalisation layer: the quick form, the admin, the API's bulk
upsert and the file import refuse the same bad record with the same message, and read
e-mail addresses the same way."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.utils import timezone

from customers import csv_io
from customers.forms import QuickInteractionForm
from customers.models import Contact, Customer, Interaction
from staff.models import Employee
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
CASES = Path(__file__).parent / "data_doors"
FUTURE = "is in the future; an interaction is logged once it happened."


@pytest.fixture
def world():
    ben = EmployeeFactory(name="Ben Berg", email="ben.berg.2@demo.example")
    first = CustomerFactory(external_id="C0000001", primary_owner=ben)
    second = CustomerFactory(external_id="C0000002", primary_owner=ben)
    third = CustomerFactory(external_id="C0000003", primary_owner=ben)
    contact = Contact.objects.create(customer=first, external_id="P00000001", name="Ida")
    return {"ben": ben, "first": first, "second": second, "third": third, "contact": contact}


def admin_form(model, data):
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[model]
    return model_admin.get_form(request)(data)


def csv_problems(tmp_path, kind, header, row):
    path = tmp_path / f"{kind}.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    report = csv_io.check(kind, path, csv_io.default_mapping(kind, csv_io.sniff(path)[1]))
    return {(p["column"], p["message"]) for p in report.problems}


def api_problems(kind, rows):
    response = integration_client()[0].post(f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400
    return {(r["field"], r["message"]) for r in response.json()["error"]["rows"]}


def test_handed_case_another_customer_s_contact_and_next_year_s_date_are_refused_by_the_api(
    world,
):
    rows = json.loads((CASES / "interaction_rules_bypassed.json").read_text())["rows"]
    response = integration_client()[0].post(
        "/api/v1/interactions/bulk/", {"rows": rows}, format="json"
    )
    assert response.status_code == 400
    found = [(r["index"], r["field"]) for r in response.json()["error"]["rows"]]
    assert found == [(0, "contact"), (1, "happened_at")]
    assert not Interaction.objects.exists()


def test_the_same_future_interaction_gets_the_same_refusal_at_every_door(world, tmp_path, client):
    next_year = timezone.now().replace(microsecond=0) + dt.timedelta(days=330)
    customer = world["third"]
    # the page's quick form
    form = QuickInteractionForm(
        {"kind": "call", "direction": "outbound", "happened_at": f"{next_year:%Y-%m-%dT%H:%M}"},
        customer=customer,
    )
    assert not form.is_valid()
    page_message = form.errors["happened_at"][0]
    # the admin
    form = admin_form(
        Interaction,
        {
            "customer": customer.pk,
            "kind": "call",
            "direction": "outbound",
            "happened_at_0": f"{next_year:%Y-%m-%d}",
            "happened_at_1": f"{next_year:%H:%M:%S}",
            "external_id": "I-1",
        },
    )
    assert not form.is_valid()
    admin_message = form.errors["happened_at"][0]
    # the API and the file import
    row = {
        "external_id": "I-1",
        "customer": customer.external_id,
        "kind": "call",
        "happened_at": next_year.isoformat(),
    }
    ((api_field, api_message),) = api_problems("interactions", [row])
    ((csv_column, csv_message),) = csv_problems(
        tmp_path, "interactions", ",".join(row), ",".join(row.values())
    )
    assert api_field == csv_column == "happened_at"
    assert FUTURE in page_message
    assert page_message == admin_message == api_message == csv_message
    assert not Interaction.objects.exists()


def test_another_customer_s_contact_is_refused_at_every_door(world, tmp_path):
    contact, customer = world["contact"], world["second"]
    message = "This contact belongs to another customer."
    now = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    form = admin_form(
        Interaction,
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "kind": "call",
            "direction": "outbound",
            "happened_at_0": f"{now:%Y-%m-%d}",
            "happened_at_1": f"{now:%H:%M:%S}",
            "external_id": "I-2",
        },
    )
    assert not form.is_valid() and form.errors["contact"] == [message]
    row = {
        "external_id": "I-2",
        "customer": customer.external_id,
        "contact": contact.external_id,
        "kind": "call",
        "happened_at": now.isoformat(),
    }
    assert api_problems("interactions", [row]) == {("contact", message)}
    assert csv_problems(tmp_path, "interactions", ",".join(row), ",".join(row.values())) == {
        ("contact", message)
    }
    # the quick form offers only this customer's contacts
    quick = QuickInteractionForm(
        {
            "kind": "call",
            "direction": "outbound",
            "happened_at": f"{now:%Y-%m-%dT%H:%M}",
            "contact": contact.pk,
        },
        customer=customer,
    )
    assert not quick.is_valid() and "contact" in quick.errors


def test_an_invalid_e_mail_is_refused_and_an_internationalised_one_taken_at_every_door(
    world, tmp_path
):
    base = {"external_id": "P-2", "customer": "C0000001", "name": "Ola"}
    for bad in ["ola@", "ola at example.com", "ola@example..com"]:
        form = admin_form(
            Contact,
            {
                "customer": world["first"].pk,
                "name": "Ola",
                "email": bad,
                "status": "active",
                "known_since": "2024-01-01",
            },
        )
        assert not form.is_valid() and "email" in form.errors
        ((api_field, api_message),) = api_problems("contacts", [base | {"email": bad}])
        ((csv_column, csv_message),) = csv_problems(
            tmp_path, "contacts", "external_id,customer,name,email", f"P-2,C0000001,Ola,{bad}"
        )
        assert api_field == csv_column == "email" and api_message == csv_message
        assert form.errors["email"][0] == api_message
    good = " jürgen@Müller.example "
    form = admin_form(
        Contact,
        {
            "customer": world["first"].pk,
            "name": "Jürgen",
            "email": good,
            "status": "active",
            "known_since": "2024-01-01",
        },
    )
    assert form.is_valid(), form.errors
    assert form.save().email == "jürgen@müller.example"
    response = integration_client()[0].post(
        "/api/v1/contacts/bulk/", {"rows": [base | {"email": good}]}, format="json"
    )
    assert response.status_code == 200
    assert Contact.objects.get(external_id="P-2").email == "jürgen@müller.example"
    employee = admin_form(
        Employee,
        {
            "name": "Zoë",
            "email": "zoë@bücher.example",
            "role": "account_manager",
            "hired_on": "2024-01-01",
            "status": "active",
        },
    )
    assert "email" not in employee.errors


def test_handed_case_owner_e_mails_match_whatever_their_case_and_spaces(world):
    body = json.loads((CASES / "owner_email_case.json").read_text())
    response = integration_client()[0].post("/api/v1/customers/bulk/", body, format="json")
    assert response.status_code == 200, response.json()
    body["dry_run"] = False
    integration_client()[0].post("/api/v1/customers/bulk/", body, format="json")
    owners = set(
        Customer.objects.filter(external_id__startswith="QA-CASE").values_list(
            "primary_owner__email", flat=True
        )
    )
    assert owners == {"ben.berg.2@demo.example"}


def test_two_employees_cannot_differ_only_in_the_case_of_their_e_mail(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(email="BEN.Berg.2@demo.example")
    form = admin_form(
        Employee,
        {
            "name": "Ben Two",
            "email": "Ben.Berg.2@Demo.example",
            "role": "account_manager",
            "hired_on": "2024-01-01",
            "status": "active",
        },
    )
    assert not form.is_valid()
    assert "Another employee has this e-mail address." in str(form.errors)


def test_a_disabled_login_cannot_own_or_take_over_customers(world, tmp_path):
    locked = EmployeeFactory(
        name="Lou Locked",
        email="lou@example.com",
        user=UserFactory(username="lou", is_active=False),
    )
    message = "Lou Locked's login is disabled; they cannot own customers."
    row = {
        "external_id": "C-9",
        "name": "Nine",
        "customer_since": "2024-01-01",
        "primary_owner": "LOU@example.com",
    }
    assert api_problems("customers", [row]) == {("primary_owner", message)}
    assert csv_problems(tmp_path, "customers", ",".join(row), ",".join(row.values())) == {
        ("primary_owner", message)
    }
    customer = world["first"]
    customer.primary_owner = locked
    with pytest.raises(ValidationError) as refused:
        customer.full_clean()
    assert refused.value.message_dict["primary_owner"] == [message]


def test_a_column_mapped_to_ignore_leaves_the_field_as_it_is(world, tmp_path):
    customer = world["first"]
    Customer.objects.filter(pk=customer.pk).update(segment="core", region="North")
    path = tmp_path / "names.csv"
    path.write_text(
        "external_id,name,customer_since,segment,region\n"
        f"{customer.external_id},Renamed,{customer.customer_since},general,\n",
        encoding="utf-8",
    )
    mapping = {"external_id": "external_id", "name": "name", "customer_since": "customer_since"}
    report = csv_io.import_file("customers", path, mapping)
    assert (report.problem_count, report.updated) == (0, 1)
    customer.refresh_from_db()
    assert (customer.name, customer.segment, customer.region) == ("Renamed", "core", "North")
    assert customer.primary_owner == world["ben"]  # not mapped either: kept
