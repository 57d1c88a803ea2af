"""Every owner change writes ownership history, at every door."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from customers.models import OwnershipPeriod
from tests.factories import CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def periods(customer, role):
    return list(
        OwnershipPeriod.objects.filter(customer=customer, role=role)
        .order_by("id")
        .values_list("employee__name", "ended_on")
    )


def test_new_customer_opens_a_period_per_owner(time_machine_today):
    anna, ben = EmployeeFactory(name="Anna"), EmployeeFactory(name="Ben")
    customer = CustomerFactory(primary_owner=anna, secondary_owner=ben)
    assert periods(customer, "primary") == [("Anna", None)]
    assert periods(customer, "secondary") == [("Ben", None)]


def test_changing_the_primary_owner_closes_the_old_period_and_opens_a_new_one(time_machine_today):
    anna, carl = EmployeeFactory(name="Anna"), EmployeeFactory(name="Carl")
    customer = CustomerFactory(primary_owner=anna)
    customer.primary_owner = carl
    customer.save(changed_by=anna, change_reason="Rebalanced books")

    assert periods(customer, "primary") == [("Anna", time_machine_today), ("Carl", None)]
    newest = OwnershipPeriod.objects.get(customer=customer, employee=carl)
    assert (newest.changed_by, newest.reason, newest.started_on) == (
        anna,
        "Rebalanced books",
        time_machine_today,
    )


def test_saving_without_an_owner_change_writes_no_history():
    customer = CustomerFactory()
    customer.name = "Renamed"
    customer.save()
    customer.refresh_from_db()
    customer.save()
    assert OwnershipPeriod.objects.filter(customer=customer).count() == 1


def test_removing_the_secondary_owner_closes_its_period():
    customer = CustomerFactory(secondary_owner=EmployeeFactory())
    customer.secondary_owner = None
    customer.save()
    assert OwnershipPeriod.objects.get(customer=customer, role="secondary").ended_on is not None
    assert not OwnershipPeriod.objects.filter(
        customer=customer, role="secondary", ended_on__isnull=True
    ).exists()


def test_a_customer_has_at_most_one_open_primary_period():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OwnershipPeriod.objects.create(
            customer=customer,
            employee=EmployeeFactory(),
            role="primary",
            started_on=dt.date(2025, 1, 1),
        )


@pytest.fixture
def time_machine_today():
    from django.utils import timezone

    return timezone.localdate()
