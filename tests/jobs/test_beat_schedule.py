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
