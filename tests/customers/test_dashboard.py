"""The manager dashboard: nightly figures worked out by hand from a small company, each
manager seeing only their teams, quarters rolled up from months, and re-runs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.figures import dashboard
from customers.figures import nightly as figures
from customers.models import ChurnFigure, RiskModel, RiskScore, ScoringRun, TierFigure
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 15)
SINCE = dt.date(2024, 1, 1)


@pytest.fixture
def company():
    """North (Mia): A1 core 10,000 churned 10 Feb; A2 general 30,000; A3 general 5,000,
    a customer since 5 Feb. South (Sam): S1 core 20,000 churned 20 Jan; S2 general 20,000."""
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    sam = EmployeeFactory(name="Sam", role="manager", user=UserFactory(username="sam"))
    north = TeamFactory(name="North", manager=mia)
    south = TeamFactory(name="South", manager=sam)
    ann = EmployeeFactory(name="Ann", team=north)
    sue = EmployeeFactory(name="Sue", team=south)

    def customer(name, owner, segment, value, since=SINCE, churned_on=None):
        made = CustomerFactory(
            name=name,
            primary_owner=owner,
            segment=segment,
            region=owner.team.name,
            customer_since=since,
            status="churned" if churned_on else "active",
            churned_on=churned_on,
            churn_reason="price" if churned_on else "",
        )
        ContractFactory(
            customer=made,
            start_date=since if since > dt.date(2025, 1, 1) else dt.date(2025, 1, 1),
            end_date=dt.date(2026, 12, 31),
            annual_value=Decimal(value),
        )
        return made

    customer("A1", ann, "core", 10_000, churned_on=dt.date(2026, 2, 10))
    a2 = customer("A2", ann, "general", 30_000)
    a3 = customer("A3", ann, "general", 5_000, since=dt.date(2026, 2, 5))
    customer("S1", sue, "core", 20_000, churned_on=dt.date(2026, 1, 20))
    s2 = customer("S2", sue, "general", 20_000)
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=DAY, horizon_days=90, window_start=DAY, window_end=DAY
    )
    ScoringRun.objects.create(day=DAY, model=model, status="complete")
    for scored, tier, value, at_risk in (
        (a2, 2, 30_000, 9_000),
        (a3, 4, 5_000, 250),
        (s2, 2, 20_000, 4_000),
    ):
        RiskScore.objects.create(
            customer=scored,
            day=DAY,
            model=model,
            probability=at_risk / value,
            tier=tier,
            annual_value=value,
            revenue_at_risk=at_risk,
        )
    figures.compute(day=DAY)
    return {"north": north, "south": south, "mia": mia, "ann": ann}


def _by_label(rows):
    return {
        row.label: (row.active_start, row.value_start, row.lost, row.value_lost) for row in rows
    }


def test_monthly_churn_of_a_managers_team(company):
    rows = _by_label(dashboard.churn_trend({company["north"].pk}, "month"))

    assert rows["Jan 2026"] == (2, Decimal(40_000), 0, Decimal(0))
    # February: A1 and A2 at the start (A3 joined on the 5th); A1 lost with 10,000.
    assert rows["Feb 2026"] == (2, Decimal(40_000), 1, Decimal(10_000))
    # March: A2 and A3, 35,000; nothing lost (to the 15th).
    assert rows["Mar 2026"] == (2, Decimal(35_000), 0, Decimal(0))
    february = next(
        r for r in dashboard.churn_trend({company["north"].pk}, "month") if r.label == "Feb 2026"
    )
    assert (february.customer_rate, february.revenue_rate) == (0.5, 0.25)


def test_a_quarter_is_its_first_months_start_and_its_months_losses(company):
    north = _by_label(dashboard.churn_trend({company["north"].pk}, "quarter"))
    everyone = dashboard.churn_trend(None, "quarter")

    assert north["Q1 2026"] == (2, Decimal(40_000), 1, Decimal(10_000))
    q1 = next(row for row in everyone if row.label == "Q1 2026")
    # Both teams: 4 active on 1 January worth 80,000; A1 and S1 lost, 30,000.
    assert (q1.active_start, q1.lost, q1.customer_rate, q1.revenue_rate) == (4, 2, 0.5, 0.375)


def test_the_breakdown_by_segment_and_owner(company):
    north = {company["north"].pk}
    segments = _by_label(dashboard.churn_breakdown(north, "month", dt.date(2026, 2, 1), "segment"))
    owners = _by_label(dashboard.churn_breakdown(None, "quarter", dt.date(2026, 1, 1), "owner"))

    assert segments == {
        "Core": (1, Decimal(10_000), 1, Decimal(10_000)),
        "General": (1, Decimal(30_000), 0, Decimal(0)),
    }
    assert owners == {
        "Ann": (2, Decimal(40_000), 1, Decimal(10_000)),
        "Sue": (2, Decimal(40_000), 1, Decimal(20_000)),
    }


def test_tiers_exposure_and_a_rerun_leaves_one_set(company):
    figures.compute(day=DAY)  # again: replaces, never adds

    north = {
        row.tier: (row.customers, row.annual_value, row.revenue_at_risk)
        for row in dashboard.tier_summary(DAY, {company["north"].pk})
    }
    everyone = {row.tier: row.customers for row in dashboard.tier_summary(DAY, None)}
    assert north[2] == (1, Decimal(30_000), Decimal(9_000))
    assert north[4] == (1, Decimal(5_000), Decimal(250))
    assert north[1] == (0, Decimal(0), Decimal(0))
    assert everyone[2] == 2
    assert TierFigure.objects.count() == 3  # (North, 2), (North, 4), (South, 2)
    assert ChurnFigure.objects.filter(dimension="team", month=dt.date(2026, 2, 1)).count() == 2
    top = dashboard.exposure_top({company["north"].pk})
    assert [(row.employee.name, row.customers, row.annual_value) for row in top] == [
        ("Ann", 2, Decimal(35_000))
    ]


def test_the_page_shows_a_manager_their_teams_only(client, company):
    client.force_login(company["mia"].user)
    response = client.get(reverse("dashboard"), {"period": "month", "by": "team"})
    page = response.content.decode()

    assert response.status_code == 200
    assert "9,250" in page  # North's revenue at risk: 9,000 + 250
    assert "13,250" not in page  # the company's, with South's 4,000
    assert "Feb 2026 by team" in page  # the last complete month
    assert "50.0%" in page
    assert "South" not in page
