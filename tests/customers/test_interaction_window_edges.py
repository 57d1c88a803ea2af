"""A night moves the interaction windows on from the roll-ups of the edge days alone:
the satisfaction scores from the row's own two and their days, the employees read again
only where a leaving roll-up held the lowest or highest id, rows that do not change left
as they are, new customers added (customers/scoring/interaction_windows.py). The company
is the one of test_interaction_days.py (offsets are days before AS_OF = 2026-06-30):

Delta: offset 0 a survey (score 9, 09:00) and a call by A (score 6, 23:30); 3 a complaint
by B; 45 a discount request by A; 100 an email by A (score 4); 150 a renewal talk by A;
400 a complaint by B; 500 a discount request by A. Echo: 200 a call by B; 250 a survey
(score 7, nobody)."""

import datetime as dt

import pytest
from django.db import connection

from customers.models import InteractionDay, InteractionWindow
from customers.scoring import interaction_days
from tests.customers.scoring_world import AS_OF, IN, OUT, K, at
from tests.customers.test_interaction_days import Company, both_ways
from tests.factories import CustomerFactory, EmployeeFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return Company()


def night(offset: int) -> dict:
    return interaction_days.refresh(window_day=AS_OF - dt.timedelta(days=offset))["windows"]


def row(customer) -> InteractionWindow:
    return InteractionWindow.objects.get(customer_id=customer.pk)


def ctid(customer) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ctid::text FROM customers_interactionwindow WHERE customer_id = %s",
            [customer.pk],
        )
        return cursor.fetchone()[0]


def test_the_night_reads_only_the_edge_days(company):
    night(2)
    # Delta's email day (offset 100) is on no edge of the night of offset 1 (its edges:
    # offsets 1, 31, 61, 91, 121, 181, 366). Removed from the roll-ups behind the
    # refresh's back, it still counts: the night did not read it.
    InteractionDay.objects.filter(customer_id=company.d.pk, day=AS_OF - dt.timedelta(100)).delete()
    night(1)
    # interactions of the last 120 days at offset 1: offsets 3 (2), 45 and 100.
    assert row(company.d).interactions_120d == 4
    assert row(company.d).satisfaction_latest == 4


def test_satisfaction_moves_on_from_the_rows_two_scores(company):
    night(1)
    d, e = row(company.d), row(company.e)
    # Delta's year before AS_OF: the email's 4 only; Echo's: the survey's 7.
    assert (d.satisfaction_latest, d.satisfaction_previous) == (4, None)
    assert (d.satisfaction_latest_day, d.satisfaction_previous_day) == (
        AS_OF - dt.timedelta(100),
        None,
    )
    assert (e.satisfaction_latest, e.satisfaction_latest_day) == (7, AS_OF - dt.timedelta(250))
    # AS_OF brings two scores the same day: 6 (23:30) after 9 (09:00).
    night(0)
    d = row(company.d)
    assert (d.satisfaction_latest, d.satisfaction_previous) == (6, 9)
    assert d.satisfaction_latest_day == d.satisfaction_previous_day == AS_OF
    # A score of 2 the next day: 6 becomes the one before it (AS_OF's latest).
    InteractionFactory(
        customer=company.d, happened_at=at(-1), kind=K.CALL, direction=OUT, satisfaction=2
    )
    night(-1)
    d = row(company.d)
    assert (d.satisfaction_latest, d.satisfaction_previous) == (2, 6)
    assert (d.satisfaction_latest_day, d.satisfaction_previous_day) == (
        AS_OF + dt.timedelta(1),
        AS_OF,
    )
    both_ways(AS_OF + dt.timedelta(1))
    # Echo's 7 (offset 250) is in the year of AS_OF + 114 (its 365th day) and not after.
    for offset in range(-2, -115, -7):  # a day, then weeks up to AS_OF + 114
        night(offset)
    assert row(company.e).satisfaction_latest == 7
    night(-115)
    e = row(company.e)
    assert (e.satisfaction_latest, e.satisfaction_latest_day) == (None, None)
    both_ways(AS_OF + dt.timedelta(115))


def test_employees_are_read_again_only_where_an_extreme_leaves(company):
    # C (the highest id) calls Delta 5 days after AS_OF.
    c = EmployeeFactory(name="C")
    assert company.a.pk < company.b.pk < c.pk
    InteractionFactory(
        customer=company.d, happened_at=at(-5), kind=K.CALL, direction=OUT, employee=c
    )
    # The 180 days of AS_OF + 176 hold offset 3 (B), 0 (A) and -5 (C).
    night(-176)
    d = row(company.d)
    assert (d.employee_low_180d, d.employee_high_180d) == (company.a.pk, c.pk)
    # Offset 3's complaint by B (between A and C) leaves the 180 days on the night of
    # AS_OF + 177: nothing to read again.
    assert night(-177)["recomputed"] == 0
    d = row(company.d)
    assert (d.employee_low_180d, d.employee_high_180d) == (company.a.pk, c.pk)
    both_ways(AS_OF + dt.timedelta(177))
    # AS_OF's call by A (the lowest) leaves on AS_OF + 180: read again, C alone.
    assert night(-180)["recomputed"] == 1
    d = row(company.d)
    assert (d.employee_low_180d, d.employee_high_180d) == (c.pk, c.pk)
    both_ways(AS_OF + dt.timedelta(180))
    # C's call leaves on AS_OF + 185: nobody.
    assert night(-185)["recomputed"] == 1
    d = row(company.d)
    assert (d.employee_low_180d, d.employee_high_180d) == (None, None)
    both_ways(AS_OF + dt.timedelta(185))


def test_the_highest_employee_leaving_reads_the_180_days_again(company):
    c = EmployeeFactory(name="C")
    InteractionFactory(
        customer=company.d, happened_at=at(10), kind=K.CALL, direction=OUT, employee=c
    )
    night(-169)
    assert row(company.d).employee_high_180d == c.pk
    # C's call (offset 10) leaves on the night of AS_OF + 170; A (offset 0) and B
    # (offset 3) remain.
    assert night(-170)["recomputed"] == 1
    d = row(company.d)
    assert (d.employee_low_180d, d.employee_high_180d) == (company.a.pk, company.b.pk)
    both_ways(AS_OF + dt.timedelta(170))


def test_rows_that_do_not_change_are_not_written(company):
    night(71)
    delta, echo = ctid(company.d), ctid(company.e)
    # The night of offset 70: Echo's survey (offset 250: no employee, no renewal talk,
    # score still in the year) leaves the 180 days and changes nothing of Echo's row;
    # Delta's email (offset 100) leaves its 30 days.
    moved = night(70)
    assert (moved["moved"], moved["unchanged"], moved["added"]) == (1, 1, 0)
    assert ctid(company.e) == echo
    assert ctid(company.d) != delta
    assert row(company.d).interactions_30d == 0
    both_ways(AS_OF - dt.timedelta(70))


def test_a_new_customer_gets_a_row_from_its_entering_days(company):
    night(0)
    foxtrot = CustomerFactory(name="Foxtrot", external_id="F", customer_since=AS_OF)
    for hour, score in ((9, 5), (15, 8)):
        InteractionFactory(
            customer=foxtrot,
            happened_at=at(-1, hour),
            kind=K.SUPPORT_TICKET,
            direction=IN,
            satisfaction=score,
        )
    moved = night(-1)
    assert moved["added"] == 1
    f = row(foxtrot)
    assert (f.interactions_30d, f.support_tickets_90d, f.last_interaction_day) == (
        2,
        2,
        AS_OF + dt.timedelta(1),
    )
    assert (f.satisfaction_latest, f.satisfaction_previous) == (8, 5)
    both_ways(AS_OF + dt.timedelta(1))
