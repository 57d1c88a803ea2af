"""What changed since last week: the score's 7-day movement split over the inputs that
moved it, on the customer page, in the API and in the tier-jump alert."""

import datetime as dt

import numpy as np
import pytest
from django.urls import reverse

from alerts.models import Alert
from alerts.services import raise_alerts
from customers.models import Customer, Interaction, RiskModel, RiskScore, ScoringRun
from customers.scoring import explain, signals, training
from staff.models import Employee
from tests.api.helpers import integration_client
from tests.customers.simulated_company import AS_OF as SIM_AS_OF
from tests.customers.simulated_company import build_company
from tests.factories import CustomerFactory, EmployeeFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 30)
WEEK_AGO = AS_OF - dt.timedelta(days=7)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


@pytest.fixture
def complained():
    """One customer whose only change in the week is a complaint 3 days ago. A call 20
    days ago (same owner) keeps contact recent on both days; single-threaded both days."""
    owner = EmployeeFactory(name="Olga", user=UserFactory(username="olga"))
    customer = CustomerFactory(
        name="Umbra", customer_since=dt.date(2025, 1, 1), primary_owner=owner
    )
    InteractionFactory(
        customer=customer,
        employee=owner,
        kind="call",
        happened_at=at(AS_OF - dt.timedelta(days=20)),
    )
    InteractionFactory(
        customer=customer,
        employee=owner,
        kind=Interaction.Kind.COMPLAINT,
        direction="inbound",
        happened_at=at(AS_OF - dt.timedelta(days=3)),
    )
    model = RiskModel.objects.create(
        version=1,
        kind="rules",
        as_of=AS_OF,
        horizon_days=90,
        window_start=AS_OF,
        window_end=AS_OF,
        signal_weights=dict(signals.RULES_WEIGHTS),
    )
    return customer, model


def test_rules_score_change_is_the_sign_that_started_firing(complained):
    customer, model = complained
    change = explain.explain_changes(day=AS_OF, customer_ids=[customer.pk], model=model)[
        customer.pk
    ]
    # A week ago: 2% base and single-threaded (5%): 1 - 0.98 x 0.95 = 6.9%.
    # Now also the complaint (15%): 1 - 0.98 x 0.95 x 0.85 = 20.865%: up 13.965 points,
    # all of it the complaint's.
    assert change.previous == pytest.approx(0.069)
    assert change.probability == pytest.approx(0.20865)
    assert change.points == 14.0
    assert [(c["feature"], c["was"], c["now"], c["points"]) for c in change.contributions] == [
        ("complaint", "no", "yes", 14.0)
    ]
    assert change.text == (
        "Risk up 14 pts since 23 Jun 2026: Complaint in the last 60 days no → yes (+14)"
    )


def test_the_api_and_the_tier_jump_alert_say_what_moved_it(complained):
    customer, model = complained
    for day, tier, probability in ((WEEK_AGO, 4, 0.069), (AS_OF, 1, 0.20865)):
        ScoringRun.objects.create(day=day, model=model, status="complete")
        RiskScore.objects.create(
            customer=customer,
            day=day,
            valid_until=AS_OF if day == WEEK_AGO else None,  # the week-old score ended
            model=model,
            probability=probability,
            tier=tier,
            annual_value=1000,
            revenue_at_risk=1000 * probability,
        )
    score = RiskScore.objects.get(day=AS_OF)
    client, _ = integration_client()
    body = client.get(f"/api/v1/risk-scores/{score.pk}/change/").json()
    assert body["score"] == score.pk
    assert body["change"]["points"] == 14.0
    assert body["change"]["contributions"][0]["feature"] == "complaint"

    raise_alerts(day=AS_OF)
    alert = Alert.objects.get(customer=customer, signal="tier_jump")
    assert alert.text == (
        "Risk tier rose from Low to Very high since 2026-06-23. Risk up 14 pts: "
        "Complaint in the last 60 days no → yes (+14)"
    )


def test_the_customer_page_loads_the_change_for_its_owner_only(complained, client):
    customer, model = complained
    ScoringRun.objects.create(day=AS_OF, model=model, status="complete")
    RiskScore.objects.create(
        customer=customer,
        day=AS_OF,
        model=model,
        probability=0.2,
        tier=1,
        annual_value=0,
        revenue_at_risk=0,
    )
    client.force_login(customer.primary_owner.user)
    page = client.get(reverse("customer", args=[customer.pk])).content.decode()
    assert reverse("score_change", args=[customer.pk]) in page
    part = client.get(reverse("score_change", args=[customer.pk])).content.decode()
    assert "Risk up 14 pts since 23 Jun 2026" in part
    other = EmployeeFactory(role=Employee.Role.ACCOUNT_MANAGER, user=UserFactory(username="x"))
    client.force_login(other.user)
    assert client.get(reverse("score_change", args=[customer.pk])).status_code == 404


def test_a_trained_model_splits_the_change_over_its_inputs():
    build_company()
    model = training.train_model(as_of=SIM_AS_OF)
    ids = list(Customer.objects.filter(churned_on__isnull=True).values_list("id", flat=True)[:40])
    changes = explain.explain_changes(day=SIM_AS_OF, customer_ids=ids, model=model)
    assert len(changes) == len(ids)
    moved = [c for c in changes.values() if abs(c.points) >= 1]
    assert moved
    for change in moved:
        # The contributions add up to the movement (to rounding of each to 0.1 point).
        total = sum(c["points"] for c in change.contributions)
        assert total == pytest.approx(change.points, abs=0.1 * len(change.contributions) + 0.1)
        assert np.isfinite(change.probability)
