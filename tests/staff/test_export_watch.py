"""Export watch on hand-made histories: an unusual day is reported to the manager and HR
once; a normal day is not; anyone leaving who exports is reported."""

import datetime as dt

import pytest
from django.utils import timezone

from staff.models import AccessWarning, AuditEvent
from staff.watch import watch_access
from tests.factories import EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 30)


def at(day: dt.date, hour: int = 11) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def views(employee, day, count):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=at(day),
            employee=employee,
            actor=employee.name,
            action="view",
            object_type="customer",
            object_id=str(i),
            customer_id=i,
        )
        for i in range(count)
    )


def export(employee, day, rows):
    AuditEvent.objects.create(
        at=at(day),
        employee=employee,
        actor=employee.name,
        action="export",
        object_type="customers",
        rows=rows,
        reason="x",
    )


@pytest.fixture
def ann():
    boss = EmployeeFactory(name="Boss", email="boss@example.com")
    EmployeeFactory(name="Hal", role="hr", email="hr@example.com")
    ann = EmployeeFactory(name="Ann", team=TeamFactory(manager=boss))
    for back in range(1, 31):  # 5 customer records a day for the 30 days before
        views(ann, DAY - dt.timedelta(days=back), 5)
    return ann


def test_a_normal_day_raises_nothing(ann):
    views(ann, DAY, 15)  # exactly 3 x the daily average of 5: not more
    assert watch_access(day=DAY) == []


def test_more_than_three_times_the_average_is_reported_once_to_manager_and_hr(ann, mailoutbox):
    views(ann, DAY, 10)
    export(ann, DAY, 6)  # 16 records in all, over 3 x 5
    views(ann, DAY + dt.timedelta(days=1), 99)  # the next day is not this day's business
    (warning,) = watch_access(day=DAY)
    assert (warning.kind, warning.touched, warning.daily_average, warning.exports) == (
        "unusual_volume",
        16,
        5.0,
        1,
    )
    assert warning.notified == ["boss@example.com", "hr@example.com"]
    assert mailoutbox[0].subject == f"Customer data access: Ann on {DAY}"
    assert "viewed or exported 16 customer records" in mailoutbox[0].body
    assert watch_access(day=DAY) == [] and len(mailoutbox) == 1
    assert AccessWarning.objects.count() == 1


def test_more_than_50_in_a_day_is_reported_even_without_history():
    newcomer = EmployeeFactory(name="New")
    views(newcomer, DAY, 50)
    assert watch_access(day=DAY) == []
    views(newcomer, DAY, 1)
    assert [w.kind for w in watch_access(day=DAY)] == ["unusual_volume"]


def test_anyone_leaving_who_exports_at_all_is_reported(ann):
    export(ann, DAY, 1)
    assert watch_access(day=DAY) == []  # staying: one row is nothing unusual
    leaver = EmployeeFactory(name="Lea", departure_date=DAY + dt.timedelta(days=30))
    export(leaver, DAY, 1)
    assert [(w.employee, w.kind) for w in watch_access(day=DAY)] == [(leaver, "departing_export")]
    far = EmployeeFactory(name="Far", departure_date=DAY + dt.timedelta(days=31))
    export(far, DAY, 1)
    assert watch_access(day=DAY) == []
