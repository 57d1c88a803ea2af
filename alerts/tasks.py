from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from alerts import services


@shared_task
def raise_alerts(as_of: str | None = None) -> dict:
    """After each scoring run: open, refresh and close alerts from the day's signs, then
    send each person their daily digest."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    result = vars(services.raise_alerts(day=day))
    result["digests"] = services.send_digests(day=day)
    return result
