"""Every API filter that names an employee (?owner=, ?employee=, ?successor=, ?manager=,
?email=) takes their id, their HR external id or their e-mail address in any case and
with surrounding spaces, as the bulk upserts do; e-mail lookups in the upserts read a
punycode domain and decomposed accents as the address is stored."""

from urllib.parse import quote

import pytest
from django.utils import timezone

from customers.models import Customer, Interaction
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db
BEN = " Ben.Berg.2@DEMO.example "


@pytest.fixture
def world():
    ben = EmployeeFactory(name="Ben", email="ben.berg.2@demo.example", external_id="HR-2")
    ann = EmployeeFactory(name="Ann", email="ann@demo.example")
    CustomerFactory(external_id="C-1", primary_owner=ben)
    CustomerFactory(external_id="C-2", primary_owner=ann, secondary_owner=ben)
    third = CustomerFactory(external_id="C-3", primary_owner=ann)
    Interaction.objects.create(
        customer=third, employee=ben, kind="call", happened_at=timezone.now(), external_id="I-1"
    )
    Interaction.objects.create(
        customer=third, employee=ann, kind="call", happened_at=timezone.now(), external_id="I-2"
    )
    TeamFactory(name="Led by Ben", external_id="T-1", manager=ben)
    TeamFactory(name="Led by Ann", external_id="T-2", manager=ann)
    return ben


def listed(path: str, key: str = "external_id") -> list:
    response = integration_client()[0].get(path)
    assert response.status_code == 200, response.json()
    return sorted(row[key] for row in response.json()["results"])


@pytest.mark.parametrize("name", [BEN, "BEN.BERG.2@demo.example", "HR-2", "id"])
def test_an_owner_is_found_by_id_external_id_or_e_mail_in_any_case(world, name):
    name = str(world.pk) if name == "id" else name
    assert listed(f"/api/v1/customers/?owner={quote(name)}") == ["C-1", "C-2"]
    assert listed(f"/api/v1/interactions/?employee={quote(name)}") == ["I-1"]
    assert listed(f"/api/v1/teams/?manager={quote(name)}") == ["T-1"]


def test_employees_are_found_by_e_mail_in_any_case(world):
    assert listed(f"/api/v1/employees/?email={quote(BEN)}", "name") == ["Ben"]
    assert listed("/api/v1/employees/?email=nobody%40demo.example", "name") == []
    assert listed("/api/v1/customers/?owner=nobody%40demo.example") == []


def test_an_owner_named_by_punycode_or_decomposed_accents_is_the_stored_address():
    EmployeeFactory(name="Jürgen", email="jürgen@müller.example")
    EmployeeFactory(name="Zoë", email="zoë@bücher.example")
    rows = [
        {
            "external_id": "C-J",
            "name": "J",
            "customer_since": "2024-01-01",
            "primary_owner": " JÜRGEN@xn--mller-kva.example ",
        },
        {
            "external_id": "C-Z",
            "name": "Z",
            "customer_since": "2024-01-01",
            "primary_owner": "zoe\u0308@BU\u0308CHER.example",
        },
    ]
    response = integration_client()[0].post(
        "/api/v1/customers/bulk/", {"rows": rows}, format="json"
    )
    assert response.status_code == 200, response.json()
    owners = dict(Customer.objects.values_list("external_id", "primary_owner__name"))
    assert owners == {"C-J": "Jürgen", "C-Z": "Zoë"}
