"""API tokens, the error shape, cursor paging, incremental sync, filters and who sees what."""

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import Alert
from staff.models import ApiToken
from tests.api.helpers import client_with, integration_client, user_client
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_hashed_and_records_when_it_was_used():
    token, key = ApiToken.issue(name="Billing")
    assert key.startswith("rt_") and key not in (token.key_hash, token.prefix)
    assert token.key_hash == ApiToken.hash(key) and token.last_used_at is None
    assert client_with(key).get("/api/v1/customers/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_no_key_a_wrong_key_and_a_revoked_key_are_refused_with_the_error_shape():
    anonymous = client_with("rt_wrong").get("/api/v1/customers/")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": {
            "status": 401,
            "code": "authentication_failed",
            "message": "The API key is not valid.",
        }
    }
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    token, key = ApiToken.issue(name="Old system")
    token.revoked_at = timezone.now()
    token.save()
    revoked = client_with(key).get("/api/v1/customers/")
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]["message"]


def test_a_departed_employee_s_token_stops_working():
    user = UserFactory(username="leaver")
    employee = EmployeeFactory(user=user)
    api, _ = user_client(user)
    assert api.get("/api/v1/customers/").status_code == 200
    employee.status = "departed"
    employee.departure_date = dt.date(2026, 1, 1)
    employee.save()
    assert api.get("/api/v1/customers/").status_code == 401


def test_an_account_manager_sees_only_their_customers():
    user = UserFactory(username="am")
    me = EmployeeFactory(user=user)
    mine = CustomerFactory(name="Mine", primary_owner=me)
    shared = CustomerFactory(name="Shared", secondary_owner=me)
    other = CustomerFactory(name="Theirs")
    api, _ = user_client(user)
    names = {c["name"] for c in api.get("/api/v1/customers/").json()["results"]}
    assert names == {"Mine", "Shared"}
    assert api.get(f"/api/v1/customers/{other.pk}/").status_code == 404
    assert api.get(f"/api/v1/customers/{mine.pk}/").json()["external_id"] == mine.external_id
    assert shared.pk


def test_cursor_pages_walk_every_customer_once():
    made = {CustomerFactory().external_id for _ in range(7)}
    api, _ = integration_client()
    seen, url = [], "/api/v1/customers/?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [c["external_id"] for c in page["results"]]
        url = page["next"]
    assert len(seen) == 7 and set(seen) == made


def test_updated_since_returns_only_what_changed():
    old = CustomerFactory(name="Old")
    new = CustomerFactory(name="New")
    cutoff = timezone.now() - dt.timedelta(hours=1)
    type(old).objects.filter(pk=old.pk).update(updated_at=cutoff - dt.timedelta(days=1))
    api, _ = integration_client()
    response = api.get("/api/v1/customers/", {"updated_since": cutoff.isoformat()})
    assert [c["name"] for c in response.json()["results"]] == [new.name]


def test_filters_by_team_and_owner():
    north = TeamFactory(name="North")
    ann = EmployeeFactory(team=north)
    CustomerFactory(name="A", primary_owner=ann)
    CustomerFactory(name="B")
    api, _ = integration_client()
    by_team = api.get("/api/v1/customers/", {"team": north.pk}).json()["results"]
    by_owner = api.get("/api/v1/customers/", {"owner": ann.pk}).json()["results"]
    assert [c["name"] for c in by_team] == ["A"] == [c["name"] for c in by_owner]
    bad = api.get("/api/v1/customers/", {"team": "north"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["team"]


def test_an_alert_is_acknowledged_snoozed_and_resolved_through_the_api():
    user = UserFactory(username="owner")
    me = EmployeeFactory(user=user)
    customer = CustomerFactory(primary_owner=me)
    today = timezone.localdate()
    alert = Alert.objects.create(
        customer=customer,
        signal="complaint",
        text="Complaint today",
        owner=me,
        opened_on=today,
        figures_on=today,
    )
    api, _ = user_client(user)
    url = f"/api/v1/alerts/{alert.pk}/"
    assert api.post(url + "acknowledge/").json()["status"] == "acknowledged"
    too_early = api.post(url + "snooze/", {"until": str(today)}, format="json")
    assert too_early.status_code == 400
    assert too_early.json()["error"]["fields"] == {"until": ["Snooze until a day after today."]}
    later = today + dt.timedelta(days=3)
    assert api.post(url + "snooze/", {"until": str(later)}, format="json").json()[
        "snoozed_until"
    ] == str(later)
    resolved = api.post(url + "resolve/", {"note": "Called, fixed"}, format="json").json()
    assert (resolved["status"], resolved["note"]) == ("resolved", "Called, fixed")
    other = Alert.objects.create(
        customer=CustomerFactory(), signal="complaint", text="x", opened_on=today, figures_on=today
    )
    assert api.post(f"/api/v1/alerts/{other.pk}/acknowledge/").status_code == 404


def test_recording_a_departure_opens_the_handover_plan():
    from handover.models import HandoverPlan

    leaver = EmployeeFactory(name="Lea")
    CustomerFactory(primary_owner=leaver)
    api, _ = integration_client(role="hr")
    last_day = timezone.localdate() + dt.timedelta(days=30)
    body = {
        "employee": leaver.pk,
        "last_day": str(last_day),
        "reason": "New job",
        "voluntary": True,
    }
    response = api.post("/api/v1/departures/", body, format="json")
    assert response.status_code == 201, response.json()
    plan = HandoverPlan.objects.get(pk=response.json()["plan"])
    assert (plan.employee, plan.last_day) == (leaver, last_day)
    leaver.refresh_from_db()
    assert leaver.status == "departing"
    again = api.post("/api/v1/departures/", body, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["employee"] == [
        "Lea already has a handover in progress."
    ]
    account_manager, _ = integration_client(role="account_manager")
    assert account_manager.post("/api/v1/departures/", body, format="json").status_code == 403


def test_a_departure_takes_a_flag_as_true_or_false_and_an_employee_as_an_id():
    """DRF would read "yes" as true and 3.0 as employee 3: a machine's slip (a float
    from a spreadsheet, a word from a form) would record a departure of the wrong kind,
    or of the wrong person. Each is a 400 naming the field; nothing is recorded."""
    from handover.models import HandoverPlan

    leaver = EmployeeFactory(name="Lea")
    api, _ = integration_client(role="hr")
    body = {
        "employee": leaver.pk,
        "last_day": str(timezone.localdate() + dt.timedelta(days=30)),
        "reason": "New job",
        "voluntary": True,
    }
    for field, value, message in (
        ("voluntary", "yes", "must be true or false."),
        ("voluntary", 1, "must be true or false."),
        ("employee", float(leaver.pk), "must be a record id: a whole number."),
        ("employee", True, "must be a record id: a whole number."),
    ):
        response = api.post("/api/v1/departures/", {**body, field: value}, format="json")
        assert response.status_code == 400, (field, value)
        assert response.json()["error"]["fields"][field] == [message]
    assert not HandoverPlan.objects.exists()
    ok = api.post("/api/v1/departures/", {**body, "employee": str(leaver.pk)}, format="json")
    assert ok.status_code == 201, ok.json()


def test_the_schema_and_its_docs_are_served_without_internet():
    api, _ = integration_client()
    schema = api.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/interactions/bulk/" in schema.json()["paths"]
    docs = api.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs and "https://" not in docs.split("<body")[0]


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("1826-09-08T13:13:21-17:25", 200),  # an offset the database would refuse: made UTC
        ("0001-01-01T00:00:00+01:00", 400),  # before the first representable UTC moment
        ("yesterday", 400),
    ],
)
def test_a_far_off_moment_is_taken_or_refused_never_a_server_error(since, status):
    api, _ = integration_client()
    response = api.get("/api/v1/interactions/", {"created_since": since})
    assert response.status_code == status
