"""The nightly churn figures recompute only the teams and months that changed since the
last pass (customers/figures/changes.py) and end with exactly the rows a whole
recomputation gives, whatever changed: an owner change, a churn, a new contract dated in
the past, a churn date moved back, an employee moving team, a region, a contract's value,
a deleted contract, a customer with no owner."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from customers.figures import nightly as figures
from customers.figures.changes import plan
from customers.models import ChurnFigure, Contract, Customer
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db
FIRST = dt.date(2026, 3, 10)  # the last pass
NEXT = dt.date(2026, 3, 11)  # the next night, same month
SINCE = dt.date(2024, 6, 1)

needs_triggers = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the changes are noted by PostgreSQL triggers"
)


def _key(r):
    return (
        r.month,
        r.dimension,
        r.key,
        r.team_id,
        r.active_start,
        r.value_start,
        r.lost,
        r.value_lost,
    )


def _rows():
    return sorted((_key(r) for r in ChurnFigure.objects.all()), key=repr)


def _whole(day):
    return sorted((_key(r) for r in figures.churn_figures(day)), key=repr)


@pytest.fixture
def company():
    """North (Ann), South (Sue), West (Wes), East (Eve): two customers each, every one
    with a contract of 12,000 from 2025-01-01 to 2026-12-31; one customer with no owner."""
    teams = {name: TeamFactory(name=name) for name in ("North", "South", "West", "East")}
    people = {
        name: EmployeeFactory(name=name, team=teams[team])
        for name, team in (("Ann", "North"), ("Sue", "South"), ("Wes", "West"), ("Eve", "East"))
    }
    customers = {}
    for owner in people.values():
        for n in (1, 2):
            name = f"{owner.name}{n}"
            customers[name] = CustomerFactory(
                name=name, primary_owner=owner, region=owner.team.name, customer_since=SINCE
            )
    customers["Nobody"] = CustomerFactory(
        name="Nobody", primary_owner=None, region="", customer_since=SINCE
    )
    for made in customers.values():
        ContractFactory(
            customer=made,
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2026, 12, 31),
            annual_value=Decimal("12000"),
        )
    figures.compute(day=FIRST)
    return {"teams": teams, "people": people, "customers": customers}


def test_the_first_pass_is_whole_and_equals_a_recomputation(company):
    assert _rows() == _whole(FIRST)
    north_march = ChurnFigure.objects.get(
        dimension="team", key=str(company["teams"]["North"].pk), month=dt.date(2026, 3, 1)
    )
    assert (north_march.active_start, north_march.value_start, north_march.lost) == (
        2,
        Decimal("24000.00"),
        0,
    )


@needs_triggers
def test_changes_of_every_kind_give_the_rows_of_a_whole_recomputation(company):
    teams, people, customers = company["teams"], company["people"], company["customers"]
    east_ids = set(ChurnFigure.objects.filter(team=teams["East"]).values_list("id", flat=True))
    # An owner change: Ann1 goes to Sue (North -> South, every month).
    ann1 = customers["Ann1"]
    ann1.primary_owner = people["Sue"]
    ann1.save()
    # A churn in this month, recorded today.
    Customer.objects.filter(pk=customers["Sue2"].pk).update(
        status="churned", churned_on=dt.date(2026, 3, 5), churn_reason="price"
    )
    # A new contract dated in the past (late data): Ann2 had 6,000 more from June 2025.
    ContractFactory(
        customer=customers["Ann2"],
        start_date=dt.date(2025, 6, 1),
        end_date=dt.date(2026, 5, 31),
        annual_value=Decimal("6000"),
    )
    # Wes1 churned, and the churn date is then moved back to November 2025.
    Customer.objects.filter(pk=customers["Wes1"].pk).update(
        status="churned", churned_on=dt.date(2026, 2, 20), churn_reason="price"
    )
    Customer.objects.filter(pk=customers["Wes1"].pk).update(churned_on=dt.date(2025, 11, 3))
    # Wes moves from West to North with his customers.
    wes = people["Wes"]
    wes.team = teams["North"]
    wes.save()
    # A region renamed, a contract's value changed, the unowned customer's contract gone.
    Customer.objects.filter(pk=customers["Sue1"].pk).update(region="South-East")
    Contract.objects.filter(customer=customers["Ann2"], annual_value=Decimal("12000")).update(
        annual_value=Decimal("15000"), annual_value_reporting=Decimal("15000")
    )
    Contract.objects.filter(customer=customers["Nobody"]).delete()

    result = figures.compute(day=NEXT)

    assert result["churn_whole"] == 0
    assert _rows() == _whole(NEXT)
    # East changed nowhere: its rows were left as they were, not rewritten.
    assert set(ChurnFigure.objects.filter(team=teams["East"]).values_list("id", flat=True)) == (
        east_ids
    )
    # By hand: North in November 2025 has Ann2, Wes1 and Wes2 at its start (Ann1 went to
    # South), Wes1 lost in it; value 15,000 + 6,000 for Ann2 (her first contract is worth
    # 15,000 now, and the June one), 12,000 each for Wes1 and Wes2.
    north_nov = ChurnFigure.objects.get(
        dimension="team", key=str(teams["North"].pk), month=dt.date(2025, 11, 1)
    )
    assert (north_nov.active_start, north_nov.value_start, north_nov.lost) == (
        3,
        Decimal("45000.00"),
        1,
    )
    assert north_nov.value_lost == Decimal("12000.00")
    # South in March 2026: Sue1, Sue2 and Ann1 at its start, Sue2 lost on the 5th.
    south_march = ChurnFigure.objects.get(
        dimension="team", key=str(teams["South"].pk), month=dt.date(2026, 3, 1)
    )
    assert (south_march.active_start, south_march.lost) == (3, 1)
    assert not ChurnFigure.objects.filter(team=teams["West"]).exists()


@needs_triggers
def test_a_churn_dated_after_the_last_pass_counts_when_its_day_comes(company):
    # Recorded before the last pass with a later date: no write since, only the day moves.
    teams, customers = company["teams"], company["customers"]
    Customer.objects.filter(pk=customers["Eve1"].pk).update(
        status="churned", churned_on=dt.date(2026, 3, 11), churn_reason="price"
    )
    figures.compute(day=FIRST)
    east_march = dict(dimension="team", key=str(teams["East"].pk), month=dt.date(2026, 3, 1))
    assert ChurnFigure.objects.get(**east_march).lost == 0

    result = figures.compute(day=NEXT)

    assert (result["churn_whole"], result["churn_teams"]) == (0, 1)
    assert ChurnFigure.objects.get(**east_march).lost == 1
    assert _rows() == _whole(NEXT)


@needs_triggers
def test_a_rerun_changes_nothing_and_a_new_month_or_an_older_day_is_whole(company):
    customers = company["customers"]
    Customer.objects.filter(pk=customers["Ann1"].pk).update(segment="core")
    figures.compute(day=NEXT)
    before = _rows()

    again = figures.compute(day=NEXT)

    assert (again["churn_whole"], again["churn_teams"]) == (0, 0)
    assert _rows() == before
    assert plan(NEXT, dt.date(2024, 5, 1)).whole  # the 24 months moved on
    assert figures.compute(day=FIRST)["churn_whole"] == 1  # an older day
    assert _rows() == _whole(FIRST)
    april = dt.date(2026, 4, 2)
    assert figures.compute(day=april)["churn_whole"] == 1
    assert _rows() == _whole(april)


@needs_triggers
def test_a_pass_that_fails_leaves_the_changes_for_the_next(company, monkeypatch):
    customers, teams = company["customers"], company["teams"]
    ann1 = customers["Ann1"]
    ann1.primary_owner = company["people"]["Eve"]
    ann1.save()

    def refuse(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(figures, "_write", refuse)
    with pytest.raises(RuntimeError):
        figures.compute(day=NEXT)
    monkeypatch.undo()

    result = figures.compute(day=NEXT)

    assert (result["churn_whole"], result["churn_teams"]) == (0, 2)  # North and East
    assert _rows() == _whole(NEXT)
    east_march = ChurnFigure.objects.get(
        dimension="team", key=str(teams["East"].pk), month=dt.date(2026, 3, 1)
    )
    assert east_march.active_start == 3


@needs_triggers
def test_a_contract_starting_after_the_first_of_this_month_recomputes_nothing(company):
    # A renewal from the 11th is in force from April's start on: April brings a whole pass.
    ContractFactory(
        customer=company["customers"]["Eve1"],
        start_date=NEXT,
        end_date=dt.date(2027, 3, 10),
        annual_value=Decimal("12000"),
    )

    result = figures.compute(day=NEXT)

    assert (result["churn_whole"], result["churn_teams"]) == (0, 0)
    assert _rows() == _whole(NEXT)


def test_a_night_for_an_older_day_leaves_the_latest_figures_as_they_are(company):
    """A night queued before midnight and run after the next day's, or run again for an
    older day, must not put the figures back a day (the alerts do the same)."""
    from customers.models import RiskModel, ScoringRun

    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=NEXT, horizon_days=90, window_start=NEXT, window_end=NEXT
    )
    ScoringRun.objects.create(day=NEXT, model=model, status="complete")
    figures.compute(day=NEXT)
    before = _rows()
    Customer.objects.filter(name="Ann1").update(
        status="churned", churned_on=FIRST, churn_reason="price"
    )
    result = figures.compute(day=FIRST)
    assert "later scoring run" in result["skipped"]
    assert _rows() == before
