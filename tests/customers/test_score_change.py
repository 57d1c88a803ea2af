"""What changed since last week: the score's 7-day movement split over the inputs that
moved it, on the customer page, in the API and in the tier-jump alert. One answer for a
day at every door: the change between the stored score shown on the current day and the
stored score that held 7 days before, in English and in Chinese."""

import datetime as dt

import numpy as np
import pytest
from django.urls import reverse
from django.utils import translation

from alerts.models import Alert
from alerts.services import raise_alerts
from customers.models import Customer, Interaction, RiskModel, RiskScore, ScoringRun
from customers.scoring import explain, signals, training
from customers.scoring.wording import alert_text
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
    change = explain.model_changes(day=AS_OF, customer_ids=[customer.pk], model=model)[customer.pk]
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
    for day, until, probability in ((WEEK_AGO, AS_OF, 0.069), (AS_OF, None, 0.20865)):
        RiskScore.objects.create(
            customer=customer,
            day=day,
            valid_until=until,
            model=model,
            probability=probability,
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
    changes = explain.model_changes(day=SIM_AS_OF, customer_ids=ids, model=model)
    assert len(changes) == len(ids)
    moved = [c for c in changes.values() if abs(c.points) >= 1]
    assert moved
    for change in moved:
        # The contributions add up to the movement (to rounding of each to 0.1 point).
        total = sum(c["points"] for c in change.contributions)
        assert total == pytest.approx(change.points, abs=0.1 * len(change.contributions) + 0.1)
        assert np.isfinite(change.probability)


def stored(customer, model, day, probability, tier, until=None) -> RiskScore:
    return RiskScore.objects.create(
        customer=customer,
        day=day,
        valid_until=until,
        model=model,
        probability=probability,
        tier=tier,
        annual_value=1000,
        revenue_at_risk=1000 * probability,
    )


def doors(client, customer, score, language: str) -> dict[str, str]:
    """The sentence as the customer page's part and the API tell it."""
    client.force_login(customer.primary_owner.user)
    page = client.get(reverse("score_change", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE=language)
    api, _ = integration_client()
    body = api.get(f"/api/v1/risk-scores/{score.pk}/change/", HTTP_ACCEPT_LANGUAGE=language).json()
    text = body["change"]["text"] if body["change"] else None
    return {"page": page.content.decode(), "api": text, "body": body}


def test_an_unchanged_stored_score_says_no_material_change_at_every_door(complained, client):
    """Delta Capital: its stored score (2.33%) has held since 8 Jun. Recomputed from the
    features, the score would be up 14 points (a complaint 3 days ago, test_score_change),
    but the score shown has not moved, so neither does the change: no material change
    since the day the stored score began, on the page and at the row's API alike."""
    customer, model = complained
    ScoringRun.objects.create(day=AS_OF, model=model, status="complete")
    score = stored(customer, model, dt.date(2026, 6, 8), 0.0233, 3)

    change = explain.explain_changes(day=AS_OF, customer_ids=[customer.pk])[customer.pk]
    assert (change.day, change.since) == (AS_OF, WEEK_AGO)
    assert (change.probability, change.previous, change.points) == (0.0233, 0.0233, 0.0)
    assert change.unchanged_since == dt.date(2026, 6, 8)
    assert change.contributions == []

    english = doors(client, customer, score, "en")
    assert english["api"] == "No material change since 8 Jun 2026."
    assert "No material change since 8 Jun 2026." in english["page"]
    assert "Risk" not in english["page"]
    body = english["body"]["change"]
    assert (body["day"], body["since"], body["points"]) == ("2026-06-30", "2026-06-23", 0.0)
    assert body["unchanged_since"] == "2026-06-08"
    chinese = doors(client, customer, score, "zh-hans")
    assert chinese["api"] == "自 2026年6月8日 以来无实质变化。"
    assert "自 2026年6月8日 以来无实质变化。" in chinese["page"]


def test_a_moved_stored_score_is_told_alike_at_every_door(complained, client):
    """The stored score held 7.5% from 20 Jun (so on 23 Jun too) and 20.5% from 30 Jun:
    up 100 x (0.205 - 0.075) = 13.0 points, not the 13.965 recomputed from the features
    (6.9% -> 20.865%). The complaint is the only sign that started firing, so all 13
    points are its own. The same sentence on the page, at the API and in the alert."""
    customer, model = complained
    for day in (WEEK_AGO, AS_OF):
        ScoringRun.objects.create(day=day, model=model, status="complete")
    older = stored(customer, model, dt.date(2026, 6, 20), 0.075, 4, until=AS_OF)
    score = stored(customer, model, AS_OF, 0.205, 1)

    english = doors(client, customer, score, "en")
    sentence = "Risk up 13 pts since 23 Jun 2026: Complaint in the last 60 days no → yes (+13)"
    assert english["api"] == sentence
    assert sentence in english["page"]
    body = english["body"]["change"]
    assert (body["probability"], body["previous"], body["points"]) == (0.205, 0.075, 13.0)
    assert [(c["feature"], c["points"]) for c in body["contributions"]] == [("complaint", 13.0)]

    chinese = doors(client, customer, score, "zh-hans")
    assert chinese["api"] == (
        "自 2026年6月23日 以来风险上升 13 个百分点: 最近 60 天有投诉 否 → 是 (+13)"
    )
    assert chinese["api"] in chinese["page"]

    raise_alerts(day=AS_OF)
    alert = Alert.objects.get(customer=customer, signal="tier_jump")
    assert alert.text == (
        "Risk tier rose from Low to Very high since 2026-06-23. Risk up 13 pts: "
        "Complaint in the last 60 days no → yes (+13)"
    )
    with translation.override("zh-hans"):
        assert alert_text(alert) == (
            "自 2026年6月23日 以来风险等级从低升至极高. "
            "风险上升 13 个百分点: 最近 60 天有投诉 否 → 是 (+13)"
        )

    # The ended row is told for its last day (29 Jun): it held on 22 Jun too.
    api, _ = integration_client()
    ended = api.get(f"/api/v1/risk-scores/{older.pk}/change/").json()["change"]
    assert (ended["day"], ended["since"]) == ("2026-06-29", "2026-06-22")
    assert ended["text"] == "No material change since 20 Jun 2026."


def test_no_stored_score_a_week_ago_is_said_so(complained, client):
    customer, model = complained
    ScoringRun.objects.create(day=AS_OF, model=model, status="complete")
    score = stored(customer, model, dt.date(2026, 6, 27), 0.2, 1)
    english = doors(client, customer, score, "en")
    assert english["body"]["change"] is None
    assert "No score a week ago to compare with." in english["page"]
