"""Features as of a day never look past it: nothing dated later changes any value."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from customers.models import Contact, Customer, OwnerRole, OwnershipPeriod
from customers.scoring.features import compute_features
from staff.models import Employee
from tests.customers.scoring_world import AS_OF, K, at, build_world
from tests.factories import ContactFactory, ContractFactory, EmployeeFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_events_after_the_day_change_no_feature():
    world = build_world()
    before = compute_features(AS_OF)

    first_minute_after = at(-1, hour=0, minute=0)
    for customer in (world.alpha, world.bravo):
        for kind in (K.COMPLAINT, K.SUPPORT_TICKET, K.DISCOUNT_REQUEST, K.CALL, K.USAGE):
            InteractionFactory(
                customer=customer, kind=kind, happened_at=first_minute_after, employee=world.e2
            )
        InteractionFactory(customer=customer, kind=K.SURVEY, satisfaction=1, happened_at=at(-20))
        ContractFactory(
            customer=customer,
            start_date=AS_OF + dt.timedelta(days=1),
            end_date=AS_OF + dt.timedelta(days=30),
            annual_value=Decimal("99999"),
            auto_renew=True,
        )
        ContactFactory(customer=customer, is_decision_maker=True)
    # Alpha churns, its last active contact leaves and it changes owner, all later.
    Customer.objects.filter(pk=world.alpha.pk).update(
        status="churned", churned_on=AS_OF + dt.timedelta(days=3), churn_reason="price"
    )
    Contact.objects.filter(customer=world.alpha, status="active").update(
        status="left", left_on=AS_OF + dt.timedelta(days=2)
    )
    OwnershipPeriod.objects.filter(customer=world.alpha, ended_on__isnull=True).update(
        ended_on=AS_OF + dt.timedelta(days=5)
    )
    OwnershipPeriod.objects.create(
        customer=world.alpha,
        employee=world.e2,
        role=OwnerRole.PRIMARY,
        started_on=AS_OF + dt.timedelta(days=5),
    )
    # Bravo's owner announces a departure only tomorrow.
    Employee.objects.filter(pk=world.e3.pk).update(
        status="departing",
        departure_announced_on=AS_OF + dt.timedelta(days=1),
        departure_date=AS_OF + dt.timedelta(days=40),
    )
    EmployeeFactory()  # a new colleague changes nothing either

    after = compute_features(AS_OF)
    pd.testing.assert_frame_equal(before.sort_index(), after.sort_index())


def test_the_same_world_seen_a_day_later_does_change():
    """The check above would notice a change: the day after, the new events count."""
    world = build_world()
    InteractionFactory(customer=world.bravo, kind=K.COMPLAINT, happened_at=at(-1))
    next_day = AS_OF + dt.timedelta(days=1)
    assert compute_features(AS_OF).loc[world.bravo.pk, "complaints_30d"] == 0
    assert compute_features(next_day).loc[world.bravo.pk, "complaints_30d"] == 1
