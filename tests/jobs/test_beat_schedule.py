"""Beat keeps the times admins set: settings only add the schedules that are missing."""

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from retention.celery import app
from retention.jobs.schedule import KeepAdminSchedule

pytestmark = pytest.mark.django_db(transaction=True)  # beat closes its connections


def test_a_nightly_time_changed_in_the_admin_survives_beat_starting_again():
    KeepAdminSchedule(app=app)  # the first start creates the entries from settings
    nightly = PeriodicTask.objects.get(name="nightly-jobs")
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("2", "0")
    assert PeriodicTask.objects.filter(name="jobs-watchdog", interval__every=120).exists()
    # An admin moves the night to 03:30.
    nightly.crontab = CrontabSchedule.objects.create(hour="3", minute="30", timezone="UTC")
    nightly.save()

    KeepAdminSchedule(app=app)  # beat restarts

    nightly.refresh_from_db()
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("3", "30")
    assert PeriodicTask.objects.filter(name="nightly-jobs").count() == 1


@pytest.mark.redis
def test_beat_sends_the_night_with_the_day_it_is_sent_on(settings):
    """A night sent at 23:58 and taken by a worker after midnight runs for the day it
    was due: the day travels in the message, read when beat sends it (in TIME_ZONE)."""
    import uuid

    from celery.signals import before_task_publish
    from django.utils import timezone

    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a real Redis broker")
    app.conf.task_always_eager = False
    sent = []

    def capture(sender=None, body=None, **kwargs):
        if sender == "retention.nightly.run_nightly_jobs":
            sent.append(body[1])  # protocol 2: (args, kwargs, embed)

    before_task_publish.connect(capture)
    queue = f"test-beat-{uuid.uuid4().hex[:8]}"  # nobody reads it
    try:
        scheduler = KeepAdminSchedule(app=app)
        entry = scheduler.schedule["nightly-jobs"]
        entry.options = {**entry.options, "queue": queue}
        scheduler.apply_async(entry)
    finally:
        before_task_publish.disconnect(capture)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
    assert sent == [{"as_of": timezone.localdate().isoformat()}]
    # The run is recorded as beat records it.
    assert PeriodicTask.objects.get(name="nightly-jobs").total_run_count == 1


def test_a_schedule_stored_in_another_time_zone_keeps_its_hour_in_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    KeepAdminSchedule(app=app)
    nightly = PeriodicTask.objects.get(name="nightly-jobs")
    nightly.crontab = CrontabSchedule.objects.create(hour="3", minute="30", timezone="UTC")
    nightly.save()
    settings.TIME_ZONE = "America/Los_Angeles"  # the company moves TIME_ZONE

    KeepAdminSchedule(app=app)

    nightly.refresh_from_db()
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("3", "30")
    assert str(nightly.crontab.timezone) == "America/Los_Angeles"
