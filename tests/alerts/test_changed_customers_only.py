"""A night's alert run reads the signs of the customers whose score changed since the last
run (and of those whose alerts can change for other reasons: a snooze's day, a resolved
alert whose sign still fires, a new owner), not of every customer, and ends with the
same alerts as a run over every customer."""

import datetime as dt

import pytest
from django.db import connection

from alerts.models import Alert
from alerts.services import act_on_alert, raise_alerts
from tests.customers.test_score_history import D1, D2, D3, night
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db

COMPLAINT = {"signal": "complaint", "text": "Complaint 3 days ago"}
DISCOUNT = {"signal": "discount_request", "text": "Asked for a discount 5 days ago"}
D4 = D3 + dt.timedelta(days=1)


@pytest.fixture
def model():
    from customers.models import RiskModel

    return RiskModel.objects.create(
        version=1, kind="rules", as_of=D1, horizon_days=90, window_start=D1, window_end=D1
    )


def live(customer):
    return set(
        Alert.objects.filter(customer=customer, status__in=Alert.LIVE).values_list(
            "signal", flat=True
        )
    )


def test_the_next_night_reads_only_the_changed_customers_and_ends_as_a_full_run(model):
    ann = EmployeeFactory(name="Ann")
    a, b, c = (CustomerFactory(primary_owner=ann) for _ in range(3))
    night(model, D1, {a: (0.5, [COMPLAINT]), b: (0.4, [DISCOUNT]), c: (0.1, [])})
    first = raise_alerts(day=D1)
    assert first.looked_at is None and first.opened == 2  # the first run reads everyone

    # B's discount request is over, C complains; A is as it was.
    night(model, D2, {a: (0.5, [COMPLAINT]), b: (0.4, []), c: (0.1, [COMPLAINT])})
    second = raise_alerts(day=D2)
    assert second.looked_at == 2  # B and C
    assert (second.opened, second.cleared, second.kept) == (1, 1, 1)
    assert (live(a), live(b), live(c)) == ({"complaint"}, set(), {"complaint"})
    # The same day over every customer (a run again reads everyone) finds nothing to do.
    full = raise_alerts(day=D2)
    assert full.looked_at is None
    assert (full.opened, full.cleared, full.refreshed, full.kept) == (0, 0, 0, 2)


def test_a_resolved_alert_whose_sign_still_fires_opens_again_and_a_new_owner_follows(model):
    ann, bob = EmployeeFactory(name="Ann"), EmployeeFactory(name="Bob")
    a, b = CustomerFactory(primary_owner=ann), CustomerFactory(primary_owner=ann)
    night(model, D1, {a: (0.5, [COMPLAINT]), b: (0.1, [])})
    raise_alerts(day=D1)
    act_on_alert(alert=Alert.objects.get(customer=a), action="resolve", note="Called them")

    night(model, D2, {a: (0.5, [COMPLAINT]), b: (0.1, [])})  # nothing changed
    result = raise_alerts(day=D2)
    # A's complaint still fires (as a run over everyone would find): a new alert.
    assert (result.looked_at, result.opened) == (1, 1)
    assert Alert.objects.filter(customer=a, status="open").count() == 1

    # Bob takes A over: on PostgreSQL its live alert follows him in the same statement
    # (migration alerts.0017), and the night finds its routing right; on the embedded
    # database the night moves it.
    a.primary_owner = bob
    a.save()
    at_once = connection.vendor == "postgresql"
    assert Alert.objects.get(customer=a, status="open").owner == (bob if at_once else ann)
    night(model, D3, {a: (0.5, [COMPLAINT]), b: (0.1, [])})
    result = raise_alerts(day=D3)
    assert (result.looked_at, result.refreshed) == (1, 0 if at_once else 1)
    assert Alert.objects.get(customer=a, status="open").owner == bob

    # Nothing changed: B is not read; A only because an alert of A's was resolved
    # today (resolutions are read back to the day before the last run, a day's margin
    # for the clock of the person resolving against the day being scored).
    night(model, D4, {a: (0.5, [COMPLAINT]), b: (0.1, [])})
    result = raise_alerts(day=D4)
    assert (result.looked_at, result.opened, result.cleared, result.kept) == (1, 0, 0, 1)


def test_a_new_manager_or_team_re_routes_only_the_customers_it_concerns(model):
    mia, sam, tom = (EmployeeFactory(name=name) for name in ("Mia", "Sam", "Tom"))
    north, south = TeamFactory(name="North", manager=mia), TeamFactory(name="South", manager=sam)
    ann = EmployeeFactory(name="Ann", team=north)
    a = CustomerFactory(primary_owner=ann)
    b = CustomerFactory(primary_owner=EmployeeFactory(name="Sue", team=south))
    # 50% of 50,000 at risk: 25,000, past the 10,000 that also routes to the manager.
    scores = {a: (0.5, [COMPLAINT], 50_000), b: (0.5, [COMPLAINT], 50_000)}
    night(model, D1, scores)
    raise_alerts(day=D1)
    assert Alert.objects.get(customer=a).manager == mia

    # North gets a new manager: A's alert follows the next night; B is not read.
    north.manager = tom
    north.save()
    night(model, D2, scores)
    result = raise_alerts(day=D2)
    assert (result.looked_at, result.refreshed) == (1, 1)
    assert Alert.objects.get(customer=a).manager == tom

    # Ann moves to South: A's alert goes to South's manager.
    ann.team = south
    ann.save()
    night(model, D3, scores)
    result = raise_alerts(day=D3)
    assert (result.looked_at, result.refreshed) == (1, 1)
    assert (Alert.objects.get(customer=a).manager, Alert.objects.get(customer=b).manager) == (
        sam,
        sam,
    )
    # The same day over every customer finds nothing left to follow.
    full = raise_alerts(day=D3)
    assert (full.looked_at, full.refreshed, full.opened, full.cleared) == (None, 0, 0, 0)
