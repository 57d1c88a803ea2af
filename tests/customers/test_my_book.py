"""The account manager's book shows each customer's current risk, riskiest revenue first,
and says when the score is rules-based."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.scoring import runs
from staff.models import Employee
from tests.customers.scoring_world import AS_OF, build_world
from tests.factories import UserFactory


def _sign_in_as_e1(client, world):
    """E1 leaves on the world's 2026-07-31; the book is read today, so E1's last day is
    moved past today (after the scores were made): access ends after the last day."""
    Employee.objects.filter(pk=world.e1.pk).update(
        departure_date=timezone.localdate() + dt.timedelta(days=30)
    )
    world.e1.user = UserFactory(username="e1")
    world.e1.save(update_fields=["user"])
    client.force_login(world.e1.user)


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_the_scored_day(monkeypatch):
    # E1 leaves on 2026-07-31 and may not sign in after it; the book is read on AS_OF.
    monkeypatch.setattr("staff.auth.timezone.localdate", lambda *args: AS_OF)


def test_book_lists_tier_probability_revenue_at_risk_and_top_reason(client):
    world = build_world()
    runs.score_all(day=AS_OF)
    _sign_in_as_e1(client, world)

    response = client.get(reverse("home"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Rules-based score, not enough history to train." in page
    assert "Alpha" in page and "Bravo" not in page  # Bravo belongs to E3
    # 15,000 a year at 65.3% (see test_scoring_reasons_and_rules): 9,800 at risk.
    assert "65%" in page
    assert "EUR 9,800" in page
    assert "Decision-maker left on 1 May 2026" in page  # the language's date format


def test_book_before_any_scoring_says_so(client):
    world = build_world()
    _sign_in_as_e1(client, world)
    page = client.get(reverse("home")).content.decode()
    assert "No risk scores yet" in page
    assert "Alpha" in page and "not scored" in page
