"""The customer page: who sees how much, the audit of each opening, the timeline, the
risk header, and the quick log form (valid, invalid, through HTMX and without)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from customers.models import Interaction, OwnershipPeriod, RiskModel, RiskScore, ScoringRun
from handover.models import HandoverPlan, HandoverTask
from staff.models import AuditEvent
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def world():
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    bob = EmployeeFactory(name="Bob", team=south, user=UserFactory(username="bob"))
    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    acme = CustomerFactory(name="Acme", primary_owner=ann)
    ContactFactory(customer=acme, name="Dora Decider", is_decision_maker=True)
    ContactFactory(
        customer=acme, name="Lou Left", status="left", left_on=TODAY - dt.timedelta(days=40)
    )
    ContractFactory(
        customer=acme,
        external_id="K-ACME",
        start_date=TODAY - dt.timedelta(days=200),
        end_date=TODAY + dt.timedelta(days=165),
        annual_value=Decimal("50000"),
    )
    InteractionFactory(
        customer=acme,
        employee=ann,
        kind="meeting",
        notes="Secret pricing talk",
        happened_at=timezone.now() - dt.timedelta(days=3),
    )
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    ScoringRun.objects.create(day=TODAY, model=model, status="complete")
    # 30 days ago 20%, today 45%: a rise of 25 points.
    for days_ago, until, probability in ((30, 10, 0.20), (10, 0, 0.30), (0, None, 0.45)):
        RiskScore.objects.create(
            customer=acme,
            day=TODAY - dt.timedelta(days=days_ago),
            valid_until=None if until is None else TODAY - dt.timedelta(days=until),
            model=model,
            probability=probability,
            tier=2,
            annual_value=50000,
            revenue_at_risk=Decimal(50000) * Decimal(str(probability)),
            reasons=[{"signal": "complaint", "text": "Complaint 5 days ago"}],
        )
    alert = Alert.objects.create(
        customer=acme,
        signal="complaint",
        text="Complaint 5 days ago",
        owner=ann,
        opened_on=TODAY,
        figures_on=TODAY,
    )
    return {"ann": ann, "bob": bob, "hal": hal, "acme": acme, "alert": alert}


def _get(client, user, customer):
    client.force_login(user)
    return client.get(reverse("customer", args=[customer.pk]))


def test_the_owner_sees_the_whole_record_and_the_opening_is_audited(client, world):
    response = _get(client, world["ann"].user, world["acme"])
    page = response.content.decode()

    assert response.status_code == 200
    assert "22,500" in page  # revenue at risk: 45% of 50,000
    assert "↑ 25 pts" in page  # 45% now against 20% thirty days ago
    assert "Complaint 5 days ago" in page
    assert "Dora Decider" in page and "Decision-maker" in page
    assert "Lou Left" in page and "Left " in page
    assert "Secret pricing talk" in page and "Meeting" in page
    assert "Contract K-ACME started" in page
    assert 'name="action" value="acknowledge"' in page
    event = AuditEvent.objects.get(action="view")
    assert (event.action, event.customer_id, event.employee) == (
        "view",
        world["acme"].pk,
        world["ann"],
    )
    assert event.detail == {"page": "customer", "level": "full"}


def test_another_teams_account_manager_sees_the_name_and_owner_only(client, world):
    world["acme"].region, world["acme"].industry = "Baltics", "Shipping"
    world["acme"].save()
    response = _get(client, world["bob"].user, world["acme"])
    page = response.content.decode()

    assert response.status_code == 200
    assert "Acme" in page and "Ann" in page
    assert "not in your book" in page
    for hidden in ("Dora Decider", "Secret pricing talk", "50,000", "22,500", "K-ACME"):
        assert hidden not in page
    # Name and owner only: not the segment, region, customer-since or external id either.
    acme = world["acme"]
    hidden_fields = ("Baltics", "Shipping", acme.get_segment_display(), "customer since")
    for hidden in (*hidden_fields, acme.external_id):
        assert hidden not in page, hidden
    assert AuditEvent.objects.get(action="view").detail["level"] == "name"


def test_hr_sees_names_and_values_of_customers_in_a_handover_plan_but_no_notes(client, world):
    assert _get(client, world["hal"].user, world["acme"]).status_code == 404

    plan = HandoverPlan.objects.create(
        employee=world["ann"], last_day=TODAY + dt.timedelta(days=20), reason="x", voluntary=True
    )
    HandoverTask.objects.create(
        plan=plan, customer=world["acme"], priority=1, risk=0.45, dependence=1
    )
    page = _get(client, world["hal"].user, world["acme"]).content.decode()

    # Names, values (the contract in force: 50,000 a year) and handover status...
    assert "50,000" in page and "K-ACME" in page and "Ann leaves" in page
    assert "Secret pricing talk" not in page and "Dora Decider" not in page
    # ...and not the score, whose reasons tell of the interactions, nor its alerts: what
    # the API answers HR too (tests/api/test_departures_and_hr_records.py).
    for hidden in ("22,500", "45%", "Complaint 5 days ago", "Churn probability", "risk-chart"):
        assert hidden not in page, hidden


def test_the_timeline_shows_owner_changes_between_interactions(client, world):
    OwnershipPeriod.objects.filter(customer=world["acme"]).update(
        started_on=TODAY - dt.timedelta(days=1)
    )
    page = _get(client, world["ann"].user, world["acme"]).content.decode()
    owner_at = page.index("Ann became primary owner")
    meeting_at = page.index("Secret pricing talk")
    assert owner_at < meeting_at  # newer (yesterday) above the meeting three days ago


def test_logging_a_call_through_htmx_returns_the_new_timeline(client, world):
    client.force_login(world["ann"].user)
    when = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("log_interaction", args=[world["acme"].pk]),
        {
            "kind": "call",
            "happened_at": when,
            "direction": "outbound",
            "satisfaction": "8",
            "notes": "Agreed a renewal meeting",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Call logged." in page
    assert page.index("Agreed a renewal meeting") < page.index("Secret pricing talk")
    call = Interaction.objects.get(kind="call")
    assert (call.employee, call.satisfaction, call.customer) == (world["ann"], 8, world["acme"])


def test_a_bad_log_keeps_what_was_typed_and_says_what_is_wrong_by_the_field(client, world):
    client.force_login(world["ann"].user)
    when = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "kind": "email",
        "happened_at": when,
        "direction": "outbound",
        "satisfaction": "7",
        "notes": "Sent the proposal",
    }

    htmx = client.post(
        reverse("log_interaction", args=[world["acme"].pk]), data, HTTP_HX_REQUEST="true"
    )
    plain = client.post(reverse("log_interaction", args=[world["acme"].pk]), data)

    for response in (htmx, plain):
        page = response.content.decode()
        assert "does not carry a satisfaction score" in page
        assert "Sent the proposal" in page  # nothing typed is lost
    assert htmx["HX-Retarget"] == "#log-form"
    assert plain.status_code == 400
    assert not Interaction.objects.filter(kind="email").exists()


def test_another_teams_account_manager_cannot_log_against_the_customer(client, world):
    client.force_login(world["bob"].user)
    response = client.post(
        reverse("log_interaction", args=[world["acme"].pk]),
        {"kind": "note", "happened_at": "2026-01-01T10:00", "direction": "internal"},
    )
    assert response.status_code == 404
    assert not Interaction.objects.filter(kind="note").exists()


def test_acknowledging_from_the_customer_page_comes_back_to_it(client, world):
    client.force_login(world["ann"].user)
    url = reverse("customer", args=[world["acme"].pk])
    response = client.post(
        reverse("alerts:act", args=[world["alert"].pk]), {"action": "acknowledge", "next": url}
    )
    assert response.status_code == 302 and response["Location"] == url
    world["alert"].refresh_from_db()
    assert world["alert"].status == "acknowledged"
    evil = client.post(
        reverse("alerts:act", args=[world["alert"].pk]),
        {"action": "resolve", "next": "https://evil.example/"},
    )
    assert evil["Location"] == reverse("alerts:inbox")


def test_a_manager_grants_an_account_manager_full_access_until_a_day(client, world):
    from customers.models import Customer
    from staff.access import visible_to
    from staff.models import AccessGrant

    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    world["ann"].team.manager = mia
    world["ann"].team.save()
    client.force_login(mia.user)
    url = reverse("grant_access", args=[world["acme"].pk])
    too_long = client.post(
        url,
        {"grantee": world["bob"].pk, "until": TODAY + dt.timedelta(days=91), "reason": "Cover"},
    )
    assert too_long.status_code == 400
    assert "at most 90 days" in too_long.content.decode()

    client.post(
        url, {"grantee": world["bob"].pk, "until": TODAY + dt.timedelta(days=14), "reason": "Cover"}
    )

    page = _get(client, world["bob"].user, world["acme"]).content.decode()
    assert "Secret pricing talk" in page and "Dora Decider" in page
    assert list(visible_to(world["bob"].user, Customer.objects.all())) == [world["acme"]]
    event = AuditEvent.objects.get(action="access_grant")
    assert (event.employee, event.reason, event.detail["grantee"]) == (
        mia,
        "Cover",
        world["bob"].pk,
    )
    # Once the day has passed, the name only again.
    AccessGrant.objects.update(until=TODAY - dt.timedelta(days=1))
    assert (
        "Secret pricing talk" not in _get(client, world["bob"].user, world["acme"]).content.decode()
    )


def test_an_account_manager_cannot_grant_access(client, world):
    client.force_login(world["ann"].user)
    response = client.post(
        reverse("grant_access", args=[world["acme"].pk]),
        {"grantee": world["bob"].pk, "until": TODAY, "reason": "x"},
    )
    assert response.status_code == 403


def test_a_tier_without_a_warning_sign_says_it_is_a_rank_among_todays_scores(client, world):
    RiskScore.objects.filter(customer=world["acme"], day=TODAY).update(reasons=[])
    page = _get(client, world["ann"].user, world["acme"]).content.decode()
    # Tier 2 of the default shares (5% very high, 15% high): the top 20%, below the top 5%.
    assert "High: top 20%, below the top 5% of risk today; no single warning sign" in page
    assert "No warning signs." not in page
