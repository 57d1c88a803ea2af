"""The permission matrix for the people who leave: every way in (page, API list, API
detail, export, admin) for someone departing, departed outside the handover (a sync,
a correction in the database), departed by the
last-day job, and past their last day with no job run (the clock alone), through the
session they had before and through their API key. One rule decides (staff/auth.py).

Lou manages team East (under North, whose manager is Mia), owns one customer, is a staff
account with view rights on customers in the admin, and has an API key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from rest_framework.test import APIClient

from handover.nightly import process_handovers
from handover.services import raise_tasks, start_departure
from staff.models import ApiToken, Employee
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # the factory's
OK, FOUND, UNAUTH = 200, 302, 401
TODAY = timezone.localdate


@pytest.fixture
def lou():
    mia = EmployeeFactory(name="Mia", role="manager", email="mia@example.com")
    north = TeamFactory(name="North", manager=mia)
    user = UserFactory(username="lou", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    lou = EmployeeFactory(
        name="Lou", role="manager", user=user, manager=mia, team=TeamFactory(parent=north)
    )
    lou.team.manager = lou
    lou.team.save()
    return lou


def _departed_outside_the_handover(lou):
    """Marked departed outside the handover (an HR system's sync, a correction in the
    database): the admin no longer sets a departure (tests/staff/
    test_admin_departure_read_only.py), but the rule reads the status wherever it came
    from."""
    Employee.objects.filter(pk=lou.pk).update(
        status=Employee.Status.DEPARTED, departure_date=TODAY(), departure_reason="Left"
    )


def _departed_by_the_job(lou):
    # Yesterday was the last day: tonight's job hands over and locks out.
    last_day = TODAY() - dt.timedelta(days=1)
    start_departure(employee=lou, last_day=last_day, reason="New job", voluntary=True, by=None)
    process_handovers(as_of=TODAY())


def _past_the_last_day_without_the_job(lou):
    Employee.objects.filter(pk=lou.pk).update(
        status="departing", departure_date=TODAY() - dt.timedelta(days=1)
    )


def _departing(lou):
    start_departure(
        employee=lou,
        last_day=TODAY() + dt.timedelta(days=10),
        reason="New job",
        voluntary=True,
        by=None,
    )


STATES = {
    "active": lambda lou: None,
    "departing": _departing,
    "departed outside the handover": _departed_outside_the_handover,
    "departed by the last-day job": _departed_by_the_job,
    "past the last day, no job run": _past_the_last_day_without_the_job,
}
GONE = (
    "departed outside the handover",
    "departed by the last-day job",
    "past the last day, no job run",
)

# door -> (how, url maker, outcome while allowed)
DOORS = {
    "page": ("session", lambda c: reverse("customer", args=[c.pk]), OK),
    "API list (session)": ("session", lambda c: "/api/v1/contacts/", OK),
    "API list (key)": ("key", lambda c: "/api/v1/contacts/", OK),
    "API detail (key)": ("key", lambda c: f"/api/v1/customers/{c.pk}/", OK),
    "export": ("session", lambda c: reverse("export", args=["customers"]), OK),
    "admin": ("session", lambda c: reverse("admin:customers_customer_changelist"), OK),
}
# Pages, exports and the admin send the browser back to sign in; the API answers 401.
CASES = [(state, door) for state in STATES for door in DOORS]


@pytest.mark.parametrize(("state", "door"), CASES, ids=[f"{s}-{d}" for s, d in CASES])
def test_every_door_for_every_leaving_state(lou, state, door):
    customer = CustomerFactory(name="Lou's Co", primary_owner=lou)
    session = APIClient()
    session.force_login(lou.user)  # signed in before anything happened
    _, key = ApiToken.issue(name="Lou's script", user=lou.user)
    STATES[state](lou)

    how, url, allowed = DOORS[door]
    client = session
    if how == "key":
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    # An export is a POST (with its reason); the other doors are reads.
    response = (
        client.post(url(customer), {"reason": "x"})
        if door == "export"
        else client.get(url(customer))
    )
    want = (UNAUTH if door.startswith("API") else FOUND) if state in GONE else allowed
    assert response.status_code == want, f"{state}: {door}"
    if state in GONE and how == "session":
        assert "_auth_user_id" not in session.session  # the session itself is over
    if state == "departing" and door == "export":
        assert "Your manager needs to approve this export" in response.content.decode()


@pytest.mark.parametrize("state", GONE)
def test_a_fresh_sign_in_is_refused_with_the_reason(lou, client, state):
    STATES[state](lou)
    response = client.post(reverse("login"), {"username": "lou", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Your access ended" in response.content.decode() or (
        # The last-day job also deactivates the login.
        "This login has been deactivated" in response.content.decode()
    )


def test_a_wrong_password_learns_nothing_about_a_departure(lou, client):
    _past_the_last_day_without_the_job(lou)
    response = client.post(reverse("login"), {"username": "lou", "password": "wrong"})
    assert "access ended" not in response.content.decode()
    assert "Please enter a correct username and password" in response.content.decode()


def test_the_last_day_itself_still_works_and_the_next_day_does_not(lou, client):
    from staff.auth import access_refused

    Employee.objects.filter(pk=lou.pk).update(status="departing", departure_date=TODAY())
    lou.user.refresh_from_db()
    assert access_refused(lou.user) is None
    assert access_refused(lou.user, today=TODAY() + dt.timedelta(days=1)) == (
        f"Your access ended after your last day, {date_format(TODAY())}."
    )


# --- HR and a cancelled plan ----------------------------------------------------------------


def test_hr_stops_seeing_the_customers_of_a_cancelled_plan(lou):
    from handover.models import HandoverPlan
    from handover.services import cancel_departure

    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal", is_staff=True))
    hal.user.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    customer = CustomerFactory(primary_owner=lou)
    plan = start_departure(
        employee=lou, last_day=TODAY() + dt.timedelta(days=20), reason="x", voluntary=True, by=hal
    )
    raise_tasks(plan=plan)
    assert plan.tasks.count() == 1
    page = APIClient()
    page.force_login(hal.user)
    _, key = ApiToken.issue(name="Hal's script", user=hal.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def doors():
        admin_list = page.get(reverse("admin:customers_customer_changelist")).context["cl"]
        return (
            page.get(reverse("customer", args=[customer.pk])).status_code,
            [row["id"] for row in api.get("/api/v1/customers/").json()["results"]],
            api.get(f"/api/v1/customers/{customer.pk}/").status_code,
            page.post(reverse("export", args=["customers"]), {"reason": "x"}).status_code,
            list(admin_list.result_list),
        )

    # page, API list, API detail, export (never HR's), admin
    assert doors() == (OK, [customer.pk], OK, 403, [customer])
    cancel_departure(plan=HandoverPlan.objects.get(pk=plan.pk), by=hal)
    assert doors() == (404, [], 404, 403, [])
