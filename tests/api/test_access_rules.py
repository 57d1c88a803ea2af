"""Rules that hold at every door: who sees upcoming departures, who acts on an alert and
for how long it sleeps, which days a retention action may carry, who records whose
departure, and where webhooks may point."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, RetentionAction, Webhook
from tests.api.helpers import integration_client, user_client
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


# --- departures in the employees API (point 6) -------------------------------------------------


@pytest.fixture
def departures():
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    north = TeamFactory(name="North", manager=mia)
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    nat = EmployeeFactory(
        name="Nat", team=north, status="departing", departure_date=TODAY() + dt.timedelta(days=30)
    )
    sol = EmployeeFactory(
        name="Sol", status="departing", departure_date=TODAY() + dt.timedelta(days=30)
    )
    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    return {"mia": mia, "ann": ann, "nat": nat, "sol": sol, "hal": hal}


def _departing_names(api) -> list[str]:
    rows = api.get("/api/v1/employees/", {"status": "departing"}).json()["results"]
    return sorted(row["name"] for row in rows)


def test_upcoming_departures_show_to_hr_integrations_and_the_leaver_s_managers(departures):
    assert _departing_names(user_client(departures["hal"].user)[0]) == ["Nat", "Sol"]
    assert _departing_names(integration_client()[0]) == ["Nat", "Sol"]
    assert _departing_names(user_client(departures["mia"].user)[0]) == ["Nat"]
    assert _departing_names(user_client(departures["ann"].user)[0]) == []


def test_to_an_account_manager_a_departing_colleague_is_active_with_no_date(departures):
    api, _ = user_client(departures["ann"].user)
    nat = api.get(f"/api/v1/employees/{departures['nat'].pk}/").json()
    assert (nat["status"], nat["departure_date"]) == ("active", None)
    active = {
        row["name"] for row in api.get("/api/v1/employees/", {"status": "active"}).json()["results"]
    }
    assert {"Nat", "Sol", "Ann"} <= active  # no difference to learn from either


# --- alerts through the API (point 7) --------------------------------------------------------


@pytest.fixture
def alert():
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    ann = EmployeeFactory(
        name="Ann", team=TeamFactory(manager=mia), user=UserFactory(username="ann")
    )
    return Alert.objects.create(
        customer=CustomerFactory(primary_owner=ann),
        signal="complaint",
        text="x",
        owner=ann,
        opened_on=TODAY(),
        figures_on=TODAY(),
    )


def test_only_the_people_an_alert_is_routed_to_resolve_it_through_the_api(alert):
    body = {"note": "Called them"}
    mia_api, _ = user_client(alert.owner.team.manager.user)
    integration, _ = integration_client()
    for api in (mia_api, integration):
        response = api.post(f"/api/v1/alerts/{alert.pk}/resolve/", body, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "This alert is not routed to you."
    alert.refresh_from_db()
    assert alert.status == "open"
    ann_api, _ = user_client(alert.owner.user)
    assert (
        ann_api.post(f"/api/v1/alerts/{alert.pk}/resolve/", body, format="json").status_code == 200
    )


def test_a_snooze_lasts_at_most_the_configured_days(alert, settings):
    settings.ALERT_SNOOZE_MAX_DAYS = 90
    api, _ = user_client(alert.owner.user)
    url = f"/api/v1/alerts/{alert.pk}/snooze/"
    forever = api.post(url, {"until": "2099-12-31"}, format="json")
    assert forever.status_code == 400
    assert forever.json()["error"]["fields"]["until"] == [
        f"Snooze for at most 90 days (until {TODAY() + dt.timedelta(days=90):%-d %b %Y})."
    ]
    longest = (TODAY() + dt.timedelta(days=90)).isoformat()
    assert api.post(url, {"until": longest}, format="json").json()["snoozed_until"] == longest


def test_the_page_refuses_a_snooze_beyond_the_maximum_too(alert, client):
    client.force_login(alert.owner.user)
    client.post(reverse("alerts:act", args=[alert.pk]), {"action": "snooze", "until": "2099-12-31"})
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == ("open", None)


# --- retention action dates (point 5) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("taken_on", "message"),
    [
        ("2020-01-01", "2020-01-01 is before Acme became a customer (2021-01-01)."),
        ("2099-01-01", "1 Jan 2099 is in the future."),
        ("2026-02-30", "'2026-02-30' is not a real date."),
        ("20240502", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
        ("2024-W18-4", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
    ],
)
def test_a_retention_action_is_dated_within_the_customer_s_life_with_us(alert, taken_on, message):
    alert.customer.name = "Acme"
    alert.customer.save()
    api, _ = user_client(alert.owner.user)
    response = api.post(
        "/api/v1/retention-actions/",
        {"customer": alert.customer_id, "kind": "call", "taken_on": taken_on},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["taken_on"] == [message]
    assert not RetentionAction.objects.exists()
    fine = api.post(
        "/api/v1/retention-actions/",
        {"customer": alert.customer_id, "kind": "call", "taken_on": "2024-05-02"},
        format="json",
    )
    assert fine.status_code == 201


def test_a_retention_action_after_the_customer_churned_is_refused(alert):
    """An action dated after the churn saves nothing, and the save rate could never
    settle it (pending for ever): refused; on the churn day itself it is taken."""
    from customers.models import ChurnReason, Customer

    Customer.objects.filter(pk=alert.customer_id).update(
        name="Acme",
        status="churned",
        churned_on=dt.date(2025, 6, 30),
        churn_reason=ChurnReason.PRICE,
    )
    api, _ = user_client(alert.owner.user)
    response = api.post(
        "/api/v1/retention-actions/",
        {"customer": alert.customer_id, "kind": "call", "taken_on": "2025-07-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["taken_on"] == [
        "2025-07-01 is after Acme churned (2025-06-30)."
    ]
    assert not RetentionAction.objects.exists()
    on_the_day = api.post(
        "/api/v1/retention-actions/",
        {"customer": alert.customer_id, "kind": "call", "taken_on": "2025-06-30"},
        format="json",
    )
    assert on_the_day.status_code == 201


def test_a_retention_action_s_kind_is_read_as_the_bulk_endpoints_read_choices(alert):
    """Trimmed and in any case ("CALL "), ASCII letters only: one rule at every door."""
    api, _ = user_client(alert.owner.user)
    taken = api.post(
        "/api/v1/retention-actions/",
        {"customer": alert.customer_id, "kind": "CALL ", "taken_on": "2024-05-02"},
        format="json",
    )
    assert taken.status_code == 201, taken.content
    assert RetentionAction.objects.get().kind == "call"
    refused = api.post(
        "/api/v1/retention-actions/",
        {"customer": alert.customer_id, "kind": "сall", "taken_on": "2024-05-02"},
        format="json",
    )  # a Cyrillic "с": not the ASCII word
    assert refused.status_code == 400


# --- who records a departure (point 8) ----------------------------------------------------------


def test_hr_records_neither_their_own_departure_nor_an_admin_s():
    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    ada = EmployeeFactory(name="Ada", role="admin")
    api, _ = user_client(hal.user)
    last_day = (TODAY() + dt.timedelta(days=30)).isoformat()
    for employee, message in [
        (hal, "Nobody records their own departure; ask a colleague in HR."),
        (ada, "Ada is an admin: only an admin records their departure."),
    ]:
        response = api.post(
            "/api/v1/departures/",
            {"employee": employee.pk, "last_day": last_day, "reason": "x", "voluntary": True},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["employee"] == [message]
        employee.refresh_from_db()
        assert employee.status == "active"


# --- webhook addresses (point 11) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.5/hook", "private"),
        ("http://192.168.1.20/hook", "private"),
        ("http://[::1]/hook", "loopback"),
    ],
)
def test_webhooks_may_not_point_at_internal_addresses(url, kind):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    api, _ = user_client(root)
    response = api.post("/api/v1/webhooks/", {"name": "x", "url": url}, format="json")
    assert response.status_code == 400
    assert f"a {kind} address" in response.json()["error"]["fields"]["url"][0]
    assert not Webhook.objects.exists()


def test_an_allowed_on_premises_network_and_a_public_address_are_accepted(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    api, _ = user_client(root)
    for url in ("http://10.20.3.4/hook", "https://93.184.215.14/hook"):
        response = api.post("/api/v1/webhooks/", {"name": "x", "url": url}, format="json")
        assert response.status_code == 201, response.json()
    assert (
        api.post(
            "/api/v1/webhooks/", {"name": "x", "url": "http://10.21.0.1/hook"}, format="json"
        ).status_code
        == 400
    )


def test_the_admin_refuses_an_internal_webhook_address(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:alerts_webhook_add"),
        {
            "name": "Metadata",
            "url": "http://169.254.169.254/",
            "secret": "s",
            "events": "[]",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "a link-local address" in response.content.decode()
    assert not Webhook.objects.exists()


def test_an_action_naming_another_s_customer_or_alert_is_told_they_do_not_exist(alert):
    """Another account manager's customer and alert answer as an id never used does: a
    403 would say that they exist."""
    bob = EmployeeFactory(name="Bob", user=UserFactory(username="bob"))
    api, _ = user_client(bob.user)
    never = Alert.objects.order_by("-pk").first().pk + 1000
    for body, field, pk in (
        ({"customer": alert.customer_id, "kind": "call"}, "customer", alert.customer_id),
        (
            {"customer": CustomerFactory(primary_owner=bob).pk, "kind": "call", "alert": alert.pk},
            "alert",
            alert.pk,
        ),
        (
            {"customer": CustomerFactory(primary_owner=bob).pk, "kind": "call", "alert": never},
            "alert",
            never,
        ),
    ):
        response = api.post(
            "/api/v1/retention-actions/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400, response.json()
        assert response.json()["error"]["fields"] == {
            field: [f'Invalid pk "{pk}" - object does not exist.']
        }
    assert not RetentionAction.objects.exists()
