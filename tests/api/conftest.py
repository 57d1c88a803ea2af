"""Fixtures shared by the API tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    ContactFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)


@pytest.fixture
def lea():
    """Lea, an account manager leaving in 10 days, with 3 customers of 4 contacts each;
    Boss is her manager."""
    boss = EmployeeFactory(name="Boss", role="manager", email="boss@example.com")
    lea = EmployeeFactory(
        name="Lea",
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=10),
        team=TeamFactory(manager=boss),
        user=UserFactory(username="lea"),
    )
    for _ in range(3):
        customer = CustomerFactory(primary_owner=lea)
        ContactFactory.create_batch(4, customer=customer)
    return lea
