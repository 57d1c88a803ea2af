"""The alert inbox pages; an alert whose condition is met today says so and resolves in
place; an acknowledged alert is not offered "Acknowledge" again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from customers.models import RiskModel, RiskScore, ScoringRun
from tests.factories import CustomerFactory, EmployeeFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def ann():
    return EmployeeFactory(name="Ann", user=UserFactory(username="ann"))


@pytest.fixture
def run():
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    run = ScoringRun.objects.create(day=TODAY, model=model, status="complete")
    ScoringRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(hours=1))
    return ScoringRun.objects.get(pk=run.pk)


def alert(customer, owner, signal="contract_ending_90", status="open", value=100):
    return Alert.objects.create(
        customer=customer,
        signal=signal,
        status=status,
        text="Contract ends in 41 days, no renewal talk logged",
        owner=owner,
        opened_on=TODAY,
        figures_on=TODAY,
        revenue_at_risk=value,
    )


def test_the_inbox_pages_through_every_live_alert(client, ann, run):
    for i in range(57):
        alert(CustomerFactory(name=f"C{i:02d}", primary_owner=ann), ann, value=1000 - i)
    client.force_login(ann.user)
    first = client.get(reverse("alerts:inbox")).content.decode()
    assert "57 alerts" in first and "Page 1 of 3" in first and "C00" in first
    last = client.get(reverse("alerts:inbox"), {"page": 3}).content.decode()
    assert "C56" in last and "C00" not in last
    by_name = client.get(reverse("alerts:inbox"), {"sort": "customer", "page": 3})
    assert [a.customer.name for a in by_name.context["page"]] == [f"C{i}" for i in range(50, 57)]


def test_a_renewal_talk_logged_today_meets_the_condition_in_place(client, ann, run):
    customer = CustomerFactory(name="Acme", primary_owner=ann)
    RiskScore.objects.create(
        customer=customer,
        day=TODAY,
        model=run.model,
        probability=0.4,
        tier=1,
        annual_value=1000,
        revenue_at_risk=400,
        reasons=[
            {
                "signal": "contract_ending_90",
                "text": "Contract ends in 41 days, no renewal talk logged",
            }
        ],
    )
    live = alert(customer, ann)
    client.force_login(ann.user)
    page = client.get(reverse("customer", args=[customer.pk])).content.decode()
    assert "Condition met" not in page and "Acknowledge" in page

    InteractionFactory(customer=customer, employee=ann, kind="renewal_talk")
    page = client.get(reverse("customer", args=[customer.pk])).content.decode()
    assert "Condition met: Renewal talk logged on" in page
    assert "<s>Contract ends in 41 days, no renewal talk logged</s>" in page
    inbox = client.get(reverse("alerts:inbox")).content.decode()
    assert "Condition met: Renewal talk logged on" in inbox
    # One press resolves it, with what met the condition as the note.
    note = f"Renewal talk logged on {TODAY:%B} {TODAY.day}, {TODAY.year}"
    response = client.post(
        reverse("alerts:act", args=[live.pk]),
        {"action": "resolve", "note": note, "next": reverse("customer", args=[customer.pk])},
    )
    assert response.status_code == 302
    live.refresh_from_db()
    assert (live.status, live.note) == ("resolved", note)


def test_an_old_renewal_talk_does_not_meet_the_condition(client, ann, run):
    customer = CustomerFactory(name="Acme", primary_owner=ann)
    alert(customer, ann)
    talk = InteractionFactory(customer=customer, employee=ann, kind="renewal_talk")
    # Logged before the scoring run started: the run already counted it.
    type(talk).objects.filter(pk=talk.pk).update(created_at=run.started_at - dt.timedelta(hours=1))
    client.force_login(ann.user)
    assert "Condition met" not in client.get(reverse("alerts:inbox")).content.decode()


def test_an_acknowledged_alert_is_not_offered_acknowledge_again(client, ann, run):
    customer = CustomerFactory(name="Acme", primary_owner=ann)
    alert(customer, ann, status="acknowledged")
    client.force_login(ann.user)
    for url in (reverse("alerts:inbox"), reverse("customer", args=[customer.pk])):
        page = client.get(url).content.decode()
        assert 'value="acknowledge"' not in page, url


def test_a_renewal_talk_logged_from_the_page_shows_the_condition_met_at_once(client, ann, run):
    """The quick log form answers with the timeline and, out of band, the alerts panel,
    so "Condition met ... Resolve" shows without a reload."""
    customer = CustomerFactory(name="Acme", primary_owner=ann)
    RiskScore.objects.create(
        customer=customer,
        day=TODAY,
        model=run.model,
        probability=0.4,
        tier=1,
        annual_value=1000,
        revenue_at_risk=400,
        reasons=[{"signal": "contract_ending_90", "text": "Contract ends in 41 days"}],
    )
    alert(customer, ann)
    client.force_login(ann.user)
    now = timezone.localtime().replace(second=0, microsecond=0)
    response = client.post(
        reverse("log_interaction", args=[customer.pk]),
        {"kind": "renewal_talk", "direction": "outbound", "happened_at": f"{now:%Y-%m-%dT%H:%M}"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    part = response.content.decode()
    assert '<section id="alerts-panel"' in part and 'hx-swap-oob="true"' in part
    assert "Condition met: Renewal talk logged on" in part
    assert ">Resolve</button>" in part
