"""Retention actions: recorded against an alert, settled nightly, and the save rate."""

import datetime as dt

import pytest

from alerts.actions import churn_reasons, record_action, save_rates, settle_actions
from alerts.models import Alert, RetentionAction
from customers.models import Customer
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 1)


def action(customer, signal, taken_on=DAY, owner=None):
    return RetentionAction.objects.create(
        customer=customer, kind="call", signal=signal, taken_on=taken_on, owner=owner
    )


def test_an_action_answering_an_alert_copies_its_play_and_acknowledges_it():
    me = EmployeeFactory(name="Ann")
    customer = CustomerFactory(primary_owner=me)
    alert = Alert.objects.create(
        customer=customer,
        signal="complaint",
        text="Complaint 3 days ago",
        play="Respond fast",
        owner=me,
        opened_on=DAY,
        figures_on=DAY,
    )
    taken = record_action(customer=customer, kind="visit", by=me, alert=alert, notes="Visited")
    alert.refresh_from_db()
    assert (taken.signal, taken.play, taken.team, alert.status) == (
        "complaint",
        "Respond fast",
        me.team,
        "acknowledged",
    )


def test_actions_settle_as_lost_renewed_or_stayed_90_days():
    churned = CustomerFactory()
    renewed = CustomerFactory()
    stayed = CustomerFactory()
    too_early = CustomerFactory()
    lost = action(churned, "complaint")
    Customer.objects.filter(pk=churned.pk).update(
        status="churned", churned_on=DAY + dt.timedelta(days=10), churn_reason="service"
    )
    saved_by_renewal = action(renewed, "complaint")
    old = ContractFactory(
        customer=renewed, start_date=dt.date(2025, 3, 20), end_date=dt.date(2026, 3, 19)
    )
    ContractFactory(
        customer=renewed,
        start_date=dt.date(2026, 3, 20),
        end_date=dt.date(2027, 3, 19),
        renewal_of=old,
    )
    saved_by_staying = action(stayed, "discount_request", taken_on=DAY - dt.timedelta(days=90))
    pending = action(too_early, "discount_request")

    result = settle_actions(day=DAY + dt.timedelta(days=30))

    assert result == {"lost": 1, "renewed": 1, "stayed": 1}
    for a in (lost, saved_by_renewal, saved_by_staying, pending):
        a.refresh_from_db()
    assert (lost.outcome, lost.outcome_on) == ("lost", DAY + dt.timedelta(days=10))
    assert (saved_by_renewal.outcome, saved_by_renewal.outcome_reason) == ("saved", "Renewed")
    assert (saved_by_staying.outcome, saved_by_staying.outcome_reason) == (
        "saved",
        "Stayed 90 days",
    )
    assert pending.outcome == "pending"
    assert settle_actions(day=DAY + dt.timedelta(days=30)) == {"lost": 0, "renewed": 0, "stayed": 0}


def test_save_rate_is_saved_over_settled_by_signal():
    rows = {
        "complaint": ["saved", "saved", "lost", "pending"],  # 2 of 3 settled
        "discount_request": ["lost"],  # 0 of 1
    }
    for signal, outcomes in rows.items():
        for outcome in outcomes:
            RetentionAction.objects.create(
                customer=CustomerFactory(),
                kind="call",
                signal=signal,
                taken_on=DAY,
                outcome=outcome,
            )
    RetentionAction.objects.create(  # outside the period
        customer=CustomerFactory(),
        kind="call",
        signal="complaint",
        taken_on=DAY - dt.timedelta(days=60),
        outcome="lost",
    )
    report = {
        r["group"]: r for r in save_rates(start=DAY - dt.timedelta(days=30), end=DAY, by="signal")
    }
    assert report["complaint"]["save_rate"] == pytest.approx(2 / 3)
    assert (report["complaint"]["actions"], report["complaint"]["pending"]) == (4, 1)
    assert report["discount_request"]["save_rate"] == 0


def test_churn_reason_distribution_of_lost_customers():
    for reason, count in (("price", 3), ("service", 1)):
        for _ in range(count):
            CustomerFactory(status="churned", churned_on=DAY, churn_reason=reason)
    CustomerFactory(
        status="churned", churned_on=DAY - dt.timedelta(days=400), churn_reason="quality"
    )
    assert churn_reasons(start=DAY - dt.timedelta(days=30), end=DAY) == [
        {"reason": "Price", "customers": 3, "share": 0.75},
        {"reason": "Service", "customers": 1, "share": 0.25},
    ]


def test_logging_an_action_from_the_inbox_and_reading_the_report(client):
    from django.urls import reverse

    from tests.factories import UserFactory

    me = EmployeeFactory(name="Ann", user=UserFactory(username="ann"))
    customer = CustomerFactory(primary_owner=me)
    alert = Alert.objects.create(
        customer=customer,
        signal="complaint",
        text="Complaint",
        owner=me,
        opened_on=DAY,
        figures_on=DAY,
    )
    client.force_login(me.user)
    assert (
        '<option value="executive_sponsor">' in client.get(reverse("alerts:inbox")).content.decode()
    )
    client.post(reverse("alerts:log_action", args=[alert.pk]), {"kind": "call", "notes": "Called"})
    assert RetentionAction.objects.get().notes == "Called"
    assert client.get(reverse("alerts:save_rates")).status_code == 403  # account managers
    boss = EmployeeFactory(role="manager", user=UserFactory(username="boss"))
    me.team.manager = boss  # a manager reads the report of the teams they manage
    me.team.save()
    client.force_login(boss.user)
    page = client.get(reverse("alerts:save_rates"), {"by": "signal"}).content.decode()
    assert "Complaint in the last 60 days" in page  # the sign's label, not its code


def test_an_action_taken_after_a_churn_recorded_later_settles_as_lost_not_pending_for_ever():
    """The action was recorded on DAY; a file then dated the churn ten days before it. It
    can be neither lost after it nor saved by an active customer: it settles as lost on
    its own day, the customer having already gone, and is settled once."""
    gone = CustomerFactory()
    late = action(gone, "complaint")
    Customer.objects.filter(pk=gone.pk).update(
        status="churned", churned_on=DAY - dt.timedelta(days=10), churn_reason="service"
    )

    assert settle_actions(day=DAY + dt.timedelta(days=1)) == {"lost": 1, "renewed": 0, "stayed": 0}
    late.refresh_from_db()
    assert (late.outcome, late.outcome_on, late.outcome_reason) == (
        "lost",
        DAY,
        "The customer had churned before the action",
    )
    assert settle_actions(day=DAY + dt.timedelta(days=2)) == {"lost": 0, "renewed": 0, "stayed": 0}
