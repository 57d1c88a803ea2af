"""A JSON value of the wrong type in a text field is refused by row and field, never
stored as Python writes it ("True", "1e+21"); a whole number is its digits, as the file
import reads a number cell; a date-time in a date field is refused naming the field."""

from __future__ import annotations

import pytest

from alerts.models import RetentionAction
from customers.models import Contact, Contract, Customer, Interaction
from staff.models import Team
from tests.api.helpers import integration_client, user_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/{}/bulk/"
NUMBER = "must be text, not the number {}; send it in quotes to keep every digit."


@pytest.fixture
def api():
    return integration_client()[0]


def refused(api, kind: str, rows: list[dict], language: str = "en") -> list[tuple]:
    response = api.post(
        URL.format(kind), {"rows": rows}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400, response.json()
    return [(e["index"], e["field"], e["message"]) for e in response.json()["error"]["rows"]]


def customer(**values) -> dict:
    return {"external_id": "C-1", "name": "Acme", "customer_since": "2024-01-01"} | values


def test_true_a_list_an_object_and_an_inexact_number_are_refused_by_row_and_field(api):
    rows = [
        customer(name=True),
        customer(external_id="C-2", industry=1e21),
        customer(external_id="C-3", region=["EMEA"]),
        customer(external_id="C-4", name={"en": "Acme"}),
        customer(external_id=12345678901234567890.0),
        customer(external_id="C-6", region=False),
    ]
    assert refused(api, "customers", rows) == [
        (0, "name", "must be text, not true or false."),
        (1, "industry", NUMBER.format("1e+21")),
        (2, "region", "must be text, not a list."),
        (3, "name", "must be text, not an object."),
        (4, "external_id", NUMBER.format("1.2345678901234567e+19")),
        (5, "region", "must be text, not true or false."),
    ]
    assert not Customer.objects.exists()


def test_a_whole_number_is_stored_as_its_digits(api):
    rows = [
        customer(external_id=12345, name="Acme"),
        customer(external_id=12345678901234567890, name=2024),
    ]
    response = api.post(URL.format("customers"), {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    assert sorted(Customer.objects.values_list("external_id", "name")) == [
        ("12345", "Acme"),
        ("12345678901234567890", "2024"),
    ]


def test_contact_text_and_references_take_no_true_or_float(api):
    CustomerFactory(external_id="C-1")
    rows = [
        {"external_id": "P-1", "customer": "C-1", "name": "Dora", "email": True},
        {"external_id": "P-2", "customer": "C-1", "name": "Emil", "phone": 4.9e20},
        {"external_id": "P-3", "customer": True, "name": "Finn"},
    ]
    assert refused(api, "contacts", rows) == [
        (0, "email", "must be text, not true or false."),
        (1, "phone", NUMBER.format("4.9e+20")),
        (2, "customer", "must be text, not true or false."),
    ]
    assert not Contact.objects.exists()


def test_interaction_notes_and_team_names_are_checked_the_same_way(api):
    CustomerFactory(external_id="C-1")
    interaction = {
        "external_id": "I-1",
        "customer": "C-1",
        "kind": "call",
        "happened_at": "2025-01-01T10:00:00Z",
        "notes": ["called", "no answer"],
    }
    teams = Team.objects.count()  # the customer's owner's
    assert refused(api, "interactions", [interaction]) == [
        (0, "notes", "must be text, not a list.")
    ]
    assert refused(api, "teams", [{"external_id": "T-1", "name": False}]) == [
        (0, "name", "must be text, not true or false.")
    ]
    assert not Interaction.objects.exists() and Team.objects.count() == teams


def test_a_refusal_is_worded_for_a_chinese_reader(api):
    assert sorted(refused(api, "customers", [customer(name=True, industry=1e21)], "zh-CN")) == [
        (0, "industry", "必须是文本，不能是数字 1e+21；请加上引号发送，以保留每一位数字。"),
        (0, "name", "必须是文本，不能是 true 或 false。"),
    ]


@pytest.mark.parametrize(
    "moment", ["2024-01-01T10:00:00Z", "2024-01-01T00:00:00", "2024-01-01 00:00"]
)
def test_a_date_time_in_a_date_field_is_refused_naming_the_field(api, moment):
    CustomerFactory(external_id="C-1")
    row = {
        "external_id": "K-1",
        "customer": "C-1",
        "start_date": moment,
        "end_date": "2024-12-31",
        "annual_value": "1000",
    }
    assert refused(api, "contracts", [row]) == [
        (
            0,
            "start_date",
            f"{moment!r} is a date and time; this field takes a date alone (YYYY-MM-DD).",
        )
    ]
    assert not Contract.objects.exists()


def test_a_single_record_endpoint_refuses_an_inexact_number_in_a_text_field():
    owner = EmployeeFactory(user=UserFactory(username="owen"))
    customer_row = CustomerFactory(primary_owner=owner)
    api, _ = user_client(owner.user)
    action = {"customer": customer_row.pk, "kind": "call", "taken_on": "2026-01-05"}
    response = api.post("/api/v1/retention-actions/", action | {"notes": 1e21}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"notes": [NUMBER.format("1e+21")]}
    response = api.post("/api/v1/retention-actions/", action | {"notes": True}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["notes"]
    assert not RetentionAction.objects.exists()
    response = api.post("/api/v1/retention-actions/", action | {"notes": 12345}, format="json")
    assert response.status_code == 201, response.json()
    assert RetentionAction.objects.get().notes == "12345"


def test_a_single_record_endpoint_refuses_a_date_time_in_a_date_field():
    owner = EmployeeFactory(user=UserFactory(username="owen"))
    customer_row = CustomerFactory(primary_owner=owner)
    api, _ = user_client(owner.user)
    action = {"customer": customer_row.pk, "kind": "call", "taken_on": "2026-01-05T10:00:00Z"}
    response = api.post("/api/v1/retention-actions/", action, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["taken_on"]
    assert not RetentionAction.objects.exists()


REFERENCE_NUMBER = (
    "is the number {}; a reference is the external id (or an employee's e-mail or HR id) "
    "as text, in quotes. The API's reads give record ids as numbers here, which are not "
    "external ids."
)


def test_a_record_read_and_sent_back_moves_nowhere(api):
    """Reads give `customer` and `primary_owner` as record ids (numbers): sent back as
    they were read, they are refused, not looked up as the external id or HR id that
    happens to spell the same number."""
    ann = EmployeeFactory(email="ann@example.com", external_id="HR-7")
    acme = CustomerFactory(external_id="C-1", primary_owner=ann)
    other = CustomerFactory(external_id=str(acme.pk))  # an external id spelling acme's id
    EmployeeFactory(email="bob@example.com", external_id=str(ann.pk))
    interaction = {
        "external_id": "I-1",
        "customer": "C-1",
        "kind": "call",
        "happened_at": "2025-01-01T10:00:00Z",
    }
    sent = api.post(URL.format("interactions"), {"rows": [interaction]}, format="json")
    assert sent.status_code == 200, sent.json()
    (read,) = api.get("/api/v1/interactions/").json()["results"]
    assert read["customer"] == acme.pk
    sent_back = {key: read[key] for key in ("external_id", "customer", "kind", "happened_at")}
    assert refused(api, "interactions", [sent_back]) == [
        (0, "customer", REFERENCE_NUMBER.format(acme.pk))
    ]
    (read,) = api.get("/api/v1/customers/?external_id=C-1").json()["results"]
    assert read["primary_owner"] == ann.pk
    sent_back = {
        key: read[key] for key in ("external_id", "name", "customer_since", "primary_owner")
    }
    assert refused(api, "customers", [sent_back]) == [
        (0, "primary_owner", REFERENCE_NUMBER.format(ann.pk))
    ]
    assert Interaction.objects.get().customer == acme and other.interactions.count() == 0
    acme.refresh_from_db()
    assert acme.primary_owner == ann
