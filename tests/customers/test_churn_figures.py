"""Churn figures counted from one read of customers and contracts, worked out by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.figures.nightly import churn_figures
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_months_values_and_a_region_that_looks_like_a_number():
    team = TeamFactory(name="East")
    owner = EmployeeFactory(name="Eva", team=team)

    def customer(region, value, churned_on=None):
        made = CustomerFactory(
            primary_owner=owner,
            segment="core",
            region=region,
            customer_since=dt.date(2025, 1, 1),
            status="churned" if churned_on else "active",
            churned_on=churned_on,
            churn_reason="price" if churned_on else "",
        )
        ContractFactory(
            customer=made,
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2026, 12, 31),
            annual_value=Decimal(value),
        )

    customer("01", "1000.10")
    customer("01", "2000.25", churned_on=dt.date(2026, 2, 10))
    customer("002", "500.00")  # every region looks like a number

    rows = churn_figures(dt.date(2026, 2, 20), months=2)
    by_key = {(r.month, r.dimension, r.key): r for r in rows}

    # January: all three active at its start, nobody lost in it.
    jan = by_key[(dt.date(2026, 1, 1), "region", "01")]
    assert (jan.active_start, jan.value_start, jan.lost, jan.value_lost) == (
        2,
        Decimal("3000.35"),
        0,
        Decimal("0"),
    )
    # February (to the 20th): the second "01" customer left on the 10th.
    feb = by_key[(dt.date(2026, 2, 1), "region", "01")]
    assert (feb.active_start, feb.value_start, feb.lost, feb.value_lost) == (
        2,
        Decimal("3000.35"),
        1,
        Decimal("2000.25"),
    )
    team_feb = by_key[(dt.date(2026, 2, 1), "team", str(team.pk))]
    assert (team_feb.active_start, team_feb.value_start, team_feb.lost) == (
        3,
        Decimal("3500.35"),
        1,
    )
    assert (dt.date(2026, 2, 1), "region", "1") not in by_key
