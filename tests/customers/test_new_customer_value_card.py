"""A customer created today (through the API) with a contract in force has no nightly
score yet: its page's value card shows the live annual value of its contracts in force,
in the reporting currency, and says it is scored tonight, never "—" beside the contract
its Contracts table lists."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from tests.api.helpers import integration_client
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
CARD = re.compile(r'Annual value</div>\s*<div class="fs-4">(.*?)</div>\s*</div></div></div>', re.S)


def value_card(client, customer) -> str:
    page = client.get(reverse("customer", args=[customer.pk])).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", CARD.search(page).group(1)).split())


def test_a_customer_created_today_shows_its_contracts_value_until_it_is_scored(client, settings):
    settings.REPORTING_CURRENCY = "EUR"
    ann = EmployeeFactory(name="Ann", email="ann@example.com", user=UserFactory(username="ann"))
    today = timezone.localdate()
    api = integration_client()[0]
    customer_row = {
        "external_id": "NEW-1",
        "name": "Newco",
        "customer_since": today.isoformat(),
        "primary_owner": "ann@example.com",
    }
    contract_row = {
        "external_id": "K-NEW-1",
        "customer": "NEW-1",
        "start_date": today.isoformat(),
        "end_date": today.replace(year=today.year + 1).isoformat(),
        "annual_value": "120000",
        "currency": "EUR",
    }
    for kind, row in (("customers", customer_row), ("contracts", contract_row)):
        response = api.post(f"/api/v1/{kind}/bulk/", {"rows": [row]}, format="json")
        assert response.status_code == 200, response.json()
    client.force_login(ann.user)
    card = value_card(client, Customer.objects.get(external_id="NEW-1"))
    assert card == "EUR 120,000 From its contracts in force; scored tonight."
