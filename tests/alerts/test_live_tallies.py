"""The live counts behind every team's alert backlog and save rate (alerts/tallies.py):
kept by the database at every write, whoever makes it, so what a person does now counts
now; folded at night without changing a sum."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts import tallies
from alerts.actions import settle_actions
from alerts.models import ActionTally, Alert, AlertTally, RetentionAction
from alerts.services import act_on_alert
from customers.figures import dashboard
from customers.models import Customer
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def alert(customer, signal, opened_on, status="open"):
    return Alert.objects.create(
        customer=customer,
        signal=signal,
        status=status,
        text="",
        owner=customer.primary_owner,
        opened_on=opened_on,
        figures_on=opened_on,
    )


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def alerts(today):
    """Two customers of Ann: three open alerts (two opened 10 days ago, one today), one
    acknowledged and one snoozed (opened 3 days ago), one resolved long ago."""
    ann = EmployeeFactory(name="Ann", team=TeamFactory(name="North"))
    first = CustomerFactory(primary_owner=ann)
    second = CustomerFactory(primary_owner=ann)
    ten_days_ago, three_days_ago = today - dt.timedelta(days=10), today - dt.timedelta(days=3)
    return {
        "old": alert(first, "complaint", ten_days_ago),
        "old_too": alert(second, "complaint", ten_days_ago),
        "new": alert(first, "discount_request", today),
        "acknowledged": alert(first, "engagement_drop", three_days_ago, "acknowledged"),
        "snoozed": alert(second, "engagement_drop", three_days_ago, "snoozed"),
        "resolved": alert(second, "satisfaction_drop", ten_days_ago, "resolved"),
        "second": second,
    }


def counted(today):
    """The backlog as the rows say, to hold the tallies against."""
    live = Alert.objects.filter(status__in=Alert.LIVE)
    return {
        "open": live.filter(status="open").count(),
        "acknowledged": live.filter(status="acknowledged").count(),
        "snoozed": live.filter(status="snoozed").count(),
        "waiting": live.filter(status="open", opened_on__lt=today - dt.timedelta(days=7)).count(),
    }


def test_the_backlog_counts_every_live_alert_by_state(alerts, today):
    backlog = tallies.alert_backlog(today=today)

    assert backlog == {"open": 3, "acknowledged": 1, "snoozed": 1, "waiting": 2}
    assert dashboard.alert_backlog(None, today=today) == backlog


def test_what_a_person_does_counts_at_once(alerts, today):
    act_on_alert(alert=alerts["old"], action="acknowledge")
    assert tallies.alert_backlog(today=today) == {
        "open": 2,
        "acknowledged": 2,
        "snoozed": 1,
        "waiting": 1,
    }
    act_on_alert(alert=alerts["acknowledged"], action="resolve", note="Called them")
    act_on_alert(alert=alerts["new"], action="snooze", until=today + dt.timedelta(days=5))

    assert tallies.alert_backlog(today=today) == {
        "open": 1,
        "acknowledged": 1,
        "snoozed": 2,
        "waiting": 1,
    }


def test_bulk_writes_and_deletes_count_too(alerts, today):
    # A statement over many rows (the nightly run's kind), a row written back to a live
    # state, and a customer deleted with its alerts.
    Alert.objects.filter(status="snoozed").update(status="open", snoozed_until=None)
    Alert.objects.filter(pk=alerts["resolved"].pk).update(status="open")
    Customer.objects.filter(pk=alerts["second"].pk).delete()

    # Left: the first customer's old open, new open and acknowledged alerts.
    assert tallies.alert_backlog(today=today) == counted(today)
    assert counted(today) == {"open": 2, "acknowledged": 1, "snoozed": 0, "waiting": 1}


def test_folding_keeps_every_sum_in_one_row_a_key(alerts, today):
    act_on_alert(alert=alerts["old"], action="acknowledge")
    act_on_alert(alert=alerts["old_too"], action="acknowledge")
    before = tallies.alert_backlog(today=today)

    tallies.fold()
    tallies.fold()  # again: nothing changes

    assert tallies.alert_backlog(today=today) == before == counted(today)
    # Open today (1), acknowledged 10 days ago (2) and 3 days ago (1), snoozed 3 days ago
    # (1); the old open alerts' key reached 0 and is gone.
    assert sorted(AlertTally.objects.values_list("status", "opened_on", "alerts")) == [
        ("acknowledged", today - dt.timedelta(days=10), 2),
        ("acknowledged", today - dt.timedelta(days=3), 1),
        ("open", today, 1),
        ("snoozed", today - dt.timedelta(days=3), 1),
    ]


def test_the_admins_dashboard_shows_an_acknowledgement_at_once(client, alerts, today):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("dashboard")).context
    assert page["backlog"] == {"open": 3, "acknowledged": 1, "snoozed": 1, "waiting": 2}

    act_on_alert(alert=alerts["old"], action="acknowledge")

    page = client.get(reverse("dashboard")).context
    assert page["backlog"] == {"open": 2, "acknowledged": 2, "snoozed": 1, "waiting": 1}


def test_every_teams_save_rate_follows_actions_as_they_settle(today):
    customer = CustomerFactory()
    churned = CustomerFactory()
    for taken_on in (today - dt.timedelta(days=400), today - dt.timedelta(days=100), today):
        RetentionAction.objects.create(customer=customer, kind="call", taken_on=taken_on)
    RetentionAction.objects.create(customer=churned, kind="visit", taken_on=today)
    # The year's three: all pending.
    assert dashboard.save_rate(None, today=today) == {
        "saved": 0,
        "lost": 0,
        "pending": 3,
        "rate": None,
    }
    Customer.objects.filter(pk=churned.pk).update(
        status="churned", churned_on=today, churn_reason="service"
    )
    # The actions of 400 and 100 days ago: the customer stayed 90 days, saved (the
    # first outside the year); the churned customer's: lost.
    settle_actions(day=today)
    tallies.fold()

    assert dashboard.save_rate(None, today=today) == {
        "saved": 1,
        "lost": 1,
        "pending": 1,
        "rate": 0.5,
    }
    # Folded: one row a key, the pending ones that settled gone from "pending".
    assert sorted(ActionTally.objects.values_list("outcome", "taken_on", "actions")) == [
        ("lost", today, 1),
        ("pending", today, 1),
        ("saved", today - dt.timedelta(days=400), 1),
        ("saved", today - dt.timedelta(days=100), 1),
    ]
