"""Imported customers' ownership history starts at the customer's own history, so
"owner changed" and "owner departed" read right on the days before the import."""

import datetime as dt

import pytest
from django.utils import timezone

from customers import upsert
from customers.models import OwnershipPeriod
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def test_a_new_customer_is_owned_from_its_start_and_a_later_change_from_today():
    ann = EmployeeFactory(email="ann@example.com")
    bob = EmployeeFactory(email="bob@example.com")
    row = {
        "external_id": "IMP-1",
        "name": "Imported",
        "customer_since": "2024-03-01",
        "primary_owner": "ann@example.com",
    }
    assert not upsert.upsert("customers", [row]).errors
    first = OwnershipPeriod.objects.get(customer__external_id="IMP-1")
    assert (first.employee, first.started_on, first.ended_on) == (ann, dt.date(2024, 3, 1), None)

    assert not upsert.upsert("customers", [{**row, "primary_owner": "bob@example.com"}]).errors
    today = timezone.localdate()
    periods = list(
        OwnershipPeriod.objects.filter(customer__external_id="IMP-1")
        .order_by("started_on")
        .values_list("employee", "started_on", "ended_on")
    )
    assert periods == [(ann.pk, dt.date(2024, 3, 1), today), (bob.pk, today, None)]
