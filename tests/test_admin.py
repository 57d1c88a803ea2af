"""The admin shows the company and refuses nonsense with the model's messages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Contract, OwnershipPeriod
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "staff/team",
        "staff/employee",
        "customers/customer",
        "customers/contact",
        "customers/contract",
        "customers/interaction",
        "customers/ownershipperiod",
    ],
)
def test_every_model_has_a_searchable_changelist(admin_client, model):
    InteractionFactory(customer=CustomerFactory(name="Findable Corp"))
    response = admin_client.get(f"/admin/{model}/", {"q": "Findable"})
    assert response.status_code == 200


def test_customer_search_finds_by_name(admin_client):
    CustomerFactory(name="Findable Corp")
    CustomerFactory(name="Other Ltd")
    response = admin_client.get("/admin/customers/customer/", {"q": "Findable"})
    assert b"Findable Corp" in response.content and b"Other Ltd" not in response.content


def test_contract_ending_before_start_shows_the_message_and_saves_nothing(admin_client):
    customer = CustomerFactory()
    response = admin_client.post(
        reverse("admin:customers_contract_add"),
        {
            "customer": customer.pk,
            "external_id": "K-BAD",
            "start_date": "2025-06-01",
            "end_date": "2025-05-01",
            "annual_value": "100",
            "currency": "EUR",
            "kind": "subscription",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert b"is before the start date 2025-06-01" in response.content
    assert not Contract.objects.filter(external_id="K-BAD").exists()


def test_changing_the_owner_in_the_admin_writes_history(admin_client):
    anna, ben = EmployeeFactory(name="Anna"), EmployeeFactory(name="Ben")
    customer = CustomerFactory(primary_owner=anna)
    ContractFactory(customer=customer)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    form = {
        "name": customer.name,
        "external_id": customer.external_id,
        "segment": "general",
        "region": "North",
        "customer_since": "2021-01-01",
        "primary_owner": ben.pk,
        "status": "active",
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
        "contracts-TOTAL_FORMS": 0,
        "contracts-INITIAL_FORMS": 0,
        "ownership_periods-TOTAL_FORMS": 0,
        "ownership_periods-INITIAL_FORMS": 0,
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    history = list(
        OwnershipPeriod.objects.filter(customer=customer, role="primary")
        .order_by("id")
        .values_list("employee__name", "ended_on")
    )
    assert history[0][0] == "Anna" and history[0][1] == timezone.localdate()
    assert history[1] == ("Ben", None)


def test_a_staff_manager_sees_only_their_teams_customers_in_the_admin(client):
    from django.contrib.auth.models import Permission

    from tests.factories import TeamFactory

    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(is_staff=True))
    mia.user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_customer", "view_interaction"])
    )
    north = TeamFactory(name="North", manager=mia)
    mine = CustomerFactory(name="Mine Ltd", primary_owner=EmployeeFactory(team=north))
    theirs = CustomerFactory(name="Theirs Ltd")
    InteractionFactory(customer=mine, notes="ours")
    InteractionFactory(customer=theirs, notes="not ours")
    client.force_login(mia.user)

    customers = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "Mine Ltd" in customers and "Theirs Ltd" not in customers
    other = client.get(reverse("admin:customers_customer_change", args=[theirs.pk]))
    assert other.status_code == 302  # "doesn't exist", back to the admin index
    interactions = client.get(reverse("admin:customers_interaction_changelist")).context
    assert [row.customer for row in interactions["cl"].result_list] == [mine]
