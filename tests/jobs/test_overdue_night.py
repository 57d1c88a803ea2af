"""Beat records a nightly run before it sends it: with Redis down at that minute the
night was lost, with one line in beat's log. The watchdog (every few minutes, and when a
worker starts) starts a night that was due today and never started; it starts nothing
before the night's time, nothing a second time, and nothing without the schedule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from retention.jobs.models import JobStep
from retention.nightly import NIGHTLY_JOBS, start_overdue_night

pytestmark = pytest.mark.django_db


def nightly_at(hour: int, minute: int, *, enabled: bool = True) -> None:
    zone = settings.TIME_ZONE
    crontab = CrontabSchedule.objects.create(hour=str(hour), minute=str(minute), timezone=zone)
    PeriodicTask.objects.create(
        name="nightly-jobs",
        task="retention.nightly.run_nightly_jobs",
        crontab=crontab,
        enabled=enabled,
    )


def local(hour: int, minute: int) -> dt.datetime:
    today = timezone.localdate()
    return dt.datetime.combine(today, dt.time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))


def test_a_night_due_and_never_started_is_started_once():
    nightly_at(2, 0)
    assert start_overdue_night(now=local(2, 7)) == timezone.localdate()
    first = JobStep.objects.get(day=timezone.localdate(), name=NIGHTLY_JOBS[0][0])
    assert start_overdue_night(now=local(2, 9)) is None  # it has its steps now
    assert JobStep.objects.filter(name=NIGHTLY_JOBS[0][0]).get() == first


def test_nothing_starts_before_the_night_s_time_or_without_its_schedule():
    assert start_overdue_night(now=local(23, 59)) is None  # no schedule in the database
    nightly_at(2, 0, enabled=False)
    assert start_overdue_night(now=local(3, 0)) is None
    PeriodicTask.objects.all().delete()
    nightly_at(2, 0)
    assert start_overdue_night(now=local(1, 59)) is None
    assert not JobStep.objects.exists()


def test_a_night_beat_did_send_is_not_started_again():
    from retention.nightly import start_night

    nightly_at(2, 0)
    start_night(timezone.localdate())
    steps = JobStep.objects.count()
    assert start_overdue_night(now=local(4, 0)) is None
    assert JobStep.objects.count() == steps


def test_the_watchdog_task_starts_it():
    from retention.jobs.tasks import watchdog

    nightly_at(0, 0)  # midnight: passed whenever the test runs
    assert watchdog()["night_started"] == timezone.localdate().isoformat()
    assert watchdog()["night_started"] is None


def test_the_watchdog_never_starts_a_night_before_one_already_started():
    from retention.nightly import start_night

    nightly_at(2, 0)
    start_night(timezone.localdate() + dt.timedelta(days=1))  # a later night ran already
    assert start_overdue_night(now=local(3, 0)) is None
    assert not JobStep.objects.filter(day=timezone.localdate()).exists()


def test_a_schedule_kept_in_another_zone_starts_no_night_before_its_time(settings):
    """The schedule stored at 02:00 UTC, TIME_ZONE changed to Brisbane (UTC+10) and beat
    not restarted yet: at 14:56 UTC it is 00:56 on the next day in Brisbane. The night
    due at 02:00 UTC was that of the day before (started); the new day's night is not due
    before 02:00 Brisbane, so the watchdog starts nothing."""
    crontab = CrontabSchedule.objects.create(hour="2", minute="0", timezone="UTC")
    PeriodicTask.objects.create(
        name="nightly-jobs", task="retention.nightly.run_nightly_jobs", crontab=crontab
    )
    settings.TIME_ZONE = "Australia/Brisbane"
    now = dt.datetime(2026, 12, 1, 14, 56, tzinfo=dt.UTC)
    from retention.nightly import start_night

    with timezone.override("Australia/Brisbane"):
        start_night(dt.date(2026, 12, 1))  # beat sent it at 02:00 UTC (12:00 in Brisbane)
        assert start_overdue_night(now=now) is None
    assert not JobStep.objects.filter(day=dt.date(2026, 12, 2)).exists()


def test_a_night_due_in_another_zone_before_midnight_there_is_caught_up(settings):
    """TIME_ZONE is UTC and the schedule 20:00 in Los Angeles: the night of 2 Dec (UTC)
    fell due at 04:00 UTC (20:00 on 1 Dec there). At 08:30 UTC it is 00:30 on 2 Dec in Los
    Angeles, before that day's 20:00, yet the night due at 04:00 UTC never started and is
    today's in TIME_ZONE: it is started."""
    crontab = CrontabSchedule.objects.create(hour="20", minute="0", timezone="America/Los_Angeles")
    PeriodicTask.objects.create(
        name="nightly-jobs", task="retention.nightly.run_nightly_jobs", crontab=crontab
    )
    with timezone.override("UTC"):
        now = dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.UTC)
        assert start_overdue_night(now=now) == dt.date(2026, 12, 2)
