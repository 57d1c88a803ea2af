"""The customer page's log form refuses a time before 1900 (the model's own bound)."""

import pytest
from django.urls import reverse

from customers.models import Interaction
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_log_form_refuses_the_year_one(client):
    ann = EmployeeFactory(name="Ann", user=UserFactory(username="ann"))
    acme = CustomerFactory(name="Acme", primary_owner=ann)
    client.force_login(ann.user)
    response = client.post(
        reverse("log_interaction", args=[acme.pk]),
        {"kind": "call", "happened_at": "0001-01-01T00:00", "direction": "outbound"},
    )
    assert response.status_code == 400
    assert "1 Jan 0001 is before 1 Jan 1900; check the year." in response.content.decode()
    assert not Interaction.objects.exists()
