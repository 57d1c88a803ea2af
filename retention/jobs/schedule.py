"""Beat's scheduler: django-celery-beat's database scheduler, except that the schedules
declared in settings only create missing entries. A time an admin changed (say the
nightly run moved to 03:30) is kept when beat starts again; changes apply without a
restart because the scheduler re-reads the table when it changes."""

from __future__ import annotations

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler


class KeepAdminSchedule(DatabaseScheduler):
    def update_from_dict(self, mapping):
        existing = set(
            PeriodicTask.objects.filter(name__in=list(mapping)).values_list("name", flat=True)
        )
        super().update_from_dict({n: e for n, e in mapping.items() if n not in existing})
