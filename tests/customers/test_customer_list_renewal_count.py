"""The customers list narrowed to a renewal window: each customer counted once, with
every other filter applied, the same whether a manager's few customers are read first or
the list is walked as an admin's is."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import RiskModel, RiskScore, ScoringRun
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def company():
    """Ann's customers (in Mia's team) and their contracts' ends, in days from today:
    Alder (tier 2): 5 and 20, two in a 30-day window; Beech (tier 2): 40, outside it;
    Cedar (not scored yet): 10; Dogwood (churned): 10; Elm (tier 2): a cancelled one
    ending in 3; Fir (tier 3, core): today; Gum (tier 1): 30, the window's last day."""
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    ann = EmployeeFactory(name="Ann", team=TeamFactory(name="North", manager=mia))
    # Sue's customer in the window counts for an admin only.
    ContractFactory(
        customer=CustomerFactory(name="Zelkova", primary_owner=EmployeeFactory(name="Sue")),
        start_date=days(-300),
        end_date=days(1),
    )
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    ScoringRun.objects.create(day=TODAY, model=model, status="complete")

    def customer(name, ends, tier=None, segment="general", **fields):
        made = CustomerFactory(name=name, primary_owner=ann, segment=segment, **fields)
        for end, status in ends:
            ContractFactory(customer=made, start_date=days(-300), end_date=days(end), status=status)
        if tier is not None:
            RiskScore.objects.create(
                customer=made,
                day=TODAY,
                model=model,
                probability=0.1 * (5 - tier),
                tier=tier,
                annual_value=Decimal(1000),
                revenue_at_risk=Decimal(100 * (5 - tier)),
            )

    active = "active"
    customer("Alder", [(5, active), (20, active)], tier=2)
    customer("Beech", [(40, active)], tier=2)
    customer("Cedar", [(10, active)])
    customer("Dogwood", [(10, active)], status="churned", churned_on=days(-1), churn_reason="price")
    customer("Elm", [(3, "cancelled")], tier=2)
    customer("Fir", [(0, active)], tier=3, segment="core")
    customer("Gum", [(30, active)], tier=1)
    return {"mia": mia.user, "root": UserFactory(username="root", is_superuser=True)}


@pytest.fixture(params=["few", "walked"])
def plan(request, monkeypatch):
    """A manager's few customers read first, or walked as an admin's are."""
    if request.param == "walked":
        monkeypatch.setattr("customers.selectors.FEW_CUSTOMERS", 0)
    return request.param


def listed(client, **params):
    response = client.get(reverse("customers"), {"renewal": 30, **params})
    assert response.status_code == 200
    count = response.context["count"]
    return sorted(c.name for c in response.context["customers"]), (count.value, count.exact)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({}, ["Alder", "Fir", "Gum"]),  # by revenue at risk: the scored ones
        ({"sort": "name"}, ["Alder", "Cedar", "Fir", "Gum"]),
        ({"sort": "renewal"}, ["Alder", "Cedar", "Fir", "Gum"]),
        ({"sort": "name", "status": "all"}, ["Alder", "Cedar", "Dogwood", "Fir", "Gum"]),
        ({"sort": "name", "tier": 1}, ["Gum"]),
        ({"segment": "core"}, ["Fir"]),
        ({"q": "zzz"}, []),
    ],
)
def test_the_count_is_the_customers_listed_each_once(client, company, plan, params, names):
    client.force_login(company["mia"])
    assert listed(client, **params) == (names, (len(names), True))

    client.force_login(company["root"])
    if "sort" in params and params.get("tier") is None:  # Zelkova: not scored, tier-less
        names = sorted([*names, "Zelkova"])
    assert listed(client, **params) == (names, (len(names), True))


def test_above_the_limit_it_says_more_than(client, company, plan, settings):
    settings.LIST_EXACT_COUNT_UP_TO = 2
    client.force_login(company["mia"])
    response = client.get(reverse("customers"), {"renewal": 30, "sort": "name"})

    assert (response.context["count"].value, response.context["count"].exact) == (2, False)
    assert "More than 2 customers" in response.content.decode()
