"""Beat's scheduler: django-celery-beat's database scheduler, except that

- the schedules declared in settings only create missing entries: a time an admin changed
  (say the nightly run moved to 03:30) is kept when beat starts again; changes apply
  without a restart because the scheduler re-reads the table when it changes;
- their times of day are read in TIME_ZONE: an entry stored in another zone (TIME_ZONE
  changed since it was made) keeps its hour and minute, now in TIME_ZONE, when beat starts;
- the nightly run is sent with its day (`as_of`, the day in TIME_ZONE when beat sends it),
  so a night sent at 23:58 and taken by a worker after midnight runs for the day it was
  due, not the next one."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

NIGHTLY_TASK = "retention.nightly.run_nightly_jobs"


class KeepAdminSchedule(DatabaseScheduler):
    def update_from_dict(self, mapping):
        existing = set(
            PeriodicTask.objects.filter(name__in=list(mapping)).values_list("name", flat=True)
        )
        _in_time_zone(existing)
        super().update_from_dict({n: e for n, e in mapping.items() if n not in existing})

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if entry.task != NIGHTLY_TASK or entry.kwargs.get("as_of"):
            return super().apply_async(entry, producer, advance, **kwargs)
        # The run is recorded first (as beat does), then sent with the day it is for.
        if advance:
            entry = self.reserve(entry)
        stored = entry.kwargs
        entry.kwargs = {**stored, "as_of": timezone.localdate().isoformat()}
        try:
            return super().apply_async(entry, producer, advance=False, **kwargs)
        finally:
            entry.kwargs = stored  # the next night reads its own day


def _in_time_zone(names) -> None:
    """The crontab schedules of `names` in TIME_ZONE, hour and minute kept."""
    zone = settings.TIME_ZONE
    for task in PeriodicTask.objects.filter(
        name__in=list(names), crontab__isnull=False
    ).select_related("crontab"):
        stored = task.crontab
        if str(stored.timezone) == zone:
            continue
        task.crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=stored.minute,
            hour=stored.hour,
            day_of_week=stored.day_of_week,
            day_of_month=stored.day_of_month,
            month_of_year=stored.month_of_year,
            timezone=zone,
        )
        task.save(update_fields=["crontab"])
        logger.warning(
            "%s ran at %s:%s in %s; TIME_ZONE is %s: now at %s:%s there",
            task.name,
            stored.hour,
            stored.minute,
            stored.timezone,
            zone,
            stored.hour,
            stored.minute,
        )
