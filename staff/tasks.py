from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from staff.watch import watch_access


@shared_task
def watch_customer_access(as_of: str | None = None) -> int:
    """Nightly: the export watch over the day before `as_of` (ISO date; today by default)."""
    day = (dt.date.fromisoformat(as_of) if as_of else timezone.localdate()) - dt.timedelta(days=1)
    return len(watch_access(day=day))
