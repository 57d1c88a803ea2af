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
    assert mailoutbox[0].subject == "Customer data access: Ann on 30 Jun 2026"
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


def test_a_leaver_s_export_waits_for_the_manager_and_then_works_once(client, mailoutbox):
    from django.urls import reverse

    from staff.models import ExportRequest
    from tests.factories import UserFactory

    boss = EmployeeFactory(
        name="Boss", role="manager", email="boss@example.com", user=UserFactory(username="boss")
    )
    lea = EmployeeFactory(
        name="Lea",
        role="manager",
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=10),
        team=TeamFactory(manager=boss),
        user=UserFactory(username="lea"),
    )
    url = reverse("export", args=["customers"])
    client.force_login(lea.user)
    page = client.post(url, {"reason": "Handover notes"})
    assert "Your manager needs to approve this export" in page.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()
    assert mailoutbox[0].to == ["boss@example.com"] and "Handover notes" in mailoutbox[0].body
    client.post(url, {"reason": "Again"})  # still one request, no second e-mail
    assert ExportRequest.objects.count() == 1 and len(mailoutbox) == 1
    # Another manager cannot approve it; Lea's manager can.
    other = EmployeeFactory(role="manager", user=UserFactory(username="other"))
    client.force_login(other.user)
    request_id = ExportRequest.objects.get().pk
    assert client.post(reverse("export_requests"), {"request": request_id}).status_code == 404
    client.force_login(boss.user)
    assert "Handover notes" in client.get(reverse("export_requests")).content.decode()
    client.post(reverse("export_requests"), {"request": request_id})
    client.force_login(lea.user)
    done = client.post(url, {"reason": "Handover notes"})
    assert done["Content-Type"].startswith("text/csv")
    b"".join(done.streaming_content)
    assert AuditEvent.objects.filter(action="export", employee=lea).count() == 1
    again = client.post(url, {"reason": "Once more"})  # used: asks again
    assert "Your manager needs to approve" in again.content.decode()
