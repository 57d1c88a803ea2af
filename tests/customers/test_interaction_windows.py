"""The customers' interaction windows, moved on night by night, give the features the
interactions give computed from scratch: through every window edge, with late,
back-dated, deleted and future-dated interactions on the way
(customers/scoring/interaction_windows.py). The company is the one of
test_interaction_days.py (offsets are days before AS_OF = 2026-06-30)."""

import datetime as dt

import pandas as pd
import pytest
from django.db import connection

from customers.models import InteractionWindow
from customers.scoring import interaction_days, interaction_windows
from tests.customers.scoring_world import AS_OF, IN, OUT, K, at
from tests.customers.test_interaction_days import Company, both_ways
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return Company()


def window_day():
    with connection.cursor() as cursor:
        return interaction_windows.window_day(cursor)


def night(day: dt.date) -> dict:
    done = interaction_days.refresh(window_day=day)
    assert window_day() == day
    return done["windows"]


def test_nights_move_the_windows_through_every_edge(company):
    d, e = company.d, company.e
    start = AS_OF - dt.timedelta(days=60)
    assert night(start)["rebuilt"] == 2  # Delta and Echo had interactions by then
    both_ways(start)
    day, step = start, 0
    while day < AS_OF + dt.timedelta(days=120):
        # Steps of a week and of a day, so each edge is crossed both ways.
        day += dt.timedelta(days=7 if step % 3 else 1)
        step += 1
        moved = night(day)
        assert moved["rebuilt"] == 0
        features = both_ways(day)
        if day == AS_OF:
            assert (features.loc[d.pk, "interactions_30d"], features.loc[d.pk, "usage_30d"]) == (
                4,
                1,
            )
    # 120 days after AS_OF: Delta's last contact was AS_OF, Echo's score of 250 days
    # before AS_OF has left the year, and its call the 180 days.
    features = both_ways(day)
    assert features.loc[d.pk, "days_since_last_interaction"] == (day - AS_OF).days
    assert pd.isna(features.loc[e.pk, "latest_satisfaction"])
    assert features.loc[e.pk, "single_threaded"] == 0


def test_late_deleted_and_future_interactions_between_nights(company):
    night(AS_OF - dt.timedelta(days=3))
    # A back-dated complaint (scored) and a meeting dated two days after the night.
    InteractionFactory(
        customer=company.e, happened_at=at(20), kind=K.COMPLAINT, direction=IN, satisfaction=3
    )
    InteractionFactory(
        customer=company.d, happened_at=at(1), kind=K.MEETING, direction=OUT, employee=None
    )
    company.interactions[("Delta", 45, 12)].delete()
    night(AS_OF - dt.timedelta(days=2))
    features = both_ways(AS_OF - dt.timedelta(days=2))
    assert features.loc[company.e.pk, "complaints_30d"] == 1
    assert features.loc[company.e.pk, "latest_satisfaction"] == 3
    assert features.loc[company.d.pk, "discount_requests_60d"] == 0
    # The meeting enters the windows on the night of its day.
    night(AS_OF - dt.timedelta(days=1))
    features = both_ways(AS_OF - dt.timedelta(days=1))
    assert features.loc[company.d.pk, "days_since_last_outbound"] == 0
    night(AS_OF)
    both_ways(AS_OF)


def test_going_back_or_far_ahead_rebuilds_the_windows(company):
    night(AS_OF)
    assert night(AS_OF - dt.timedelta(days=1))["rebuilt"] == 2
    assert night(AS_OF + dt.timedelta(days=30))["rebuilt"] == 2
    assert night(AS_OF + dt.timedelta(days=30)) == {"moved": 0, "recomputed": 0, "rebuilt": 0}
    both_ways(AS_OF + dt.timedelta(days=30))


def test_the_windows_answer_only_for_their_own_day(company):
    night(AS_OF)
    assert interaction_days.window_features(AS_OF, interaction_days_all()) is not None
    assert (
        interaction_days.window_features(AS_OF - dt.timedelta(days=1), interaction_days_all())
        is None
    )
    assert InteractionWindow.objects.count() == 2
    both_ways(AS_OF - dt.timedelta(days=1))  # another day reads the roll-ups


def interaction_days_all():
    from customers.scoring.features import ALL_CUSTOMERS

    return ALL_CUSTOMERS


def test_employee_bounds_are_read_again_only_when_their_last_day_leaves():
    """Ann (the lower id) met Xeno 178 and 10 days before AS_OF, Bob 100 days before;
    Ann met Yola only 178 days before, Bob 50 days before. Three nights later the day
    178 days back has left the 180 days: Xeno's bounds hold (Ann was seen 10 days back),
    Yola's are read again (Ann's last day left): Bob alone, single-threaded."""
    from tests.factories import CustomerFactory, EmployeeFactory

    ann, bob = EmployeeFactory(name="Ann"), EmployeeFactory(name="Bob")
    assert ann.pk < bob.pk
    xeno, yola = CustomerFactory(name="Xeno"), CustomerFactory(name="Yola")
    for customer, person, offset in [
        (xeno, ann, 178),
        (xeno, ann, 10),
        (xeno, bob, 100),
        (yola, ann, 178),
        (yola, bob, 50),
    ]:
        InteractionFactory(
            customer=customer, employee=person, happened_at=at(offset), kind=K.CALL, direction=OUT
        )
    night(AS_OF)
    rows = {w.customer_id: w for w in InteractionWindow.objects.all()}
    assert (rows[xeno.pk].employee_low_day, rows[xeno.pk].employee_high_day) == (
        AS_OF - dt.timedelta(days=10),
        AS_OF - dt.timedelta(days=100),
    )
    assert rows[yola.pk].employee_low_day == AS_OF - dt.timedelta(days=178)
    later = AS_OF + dt.timedelta(days=3)
    moved = night(later)
    assert moved["recomputed"] == 1  # Yola only
    rows = {w.customer_id: w for w in InteractionWindow.objects.all()}
    assert (rows[xeno.pk].employee_low_180d, rows[xeno.pk].employee_high_180d) == (ann.pk, bob.pk)
    assert (rows[yola.pk].employee_low_180d, rows[yola.pk].employee_high_180d) == (bob.pk, bob.pk)
    assert rows[yola.pk].employee_low_day == AS_OF - dt.timedelta(days=50)
    features = both_ways(later)
    assert (features.loc[xeno.pk, "single_threaded"], features.loc[yola.pk, "single_threaded"]) == (
        0,
        1,
    )
