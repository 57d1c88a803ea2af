from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from customers import services


@shared_task
def roll_contracts(as_of: str | None = None) -> dict[str, int]:
    """Nightly: expire or auto-renew contracts that ended before `as_of` (ISO date; today by default)."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    result = services.roll_contracts(as_of=day)
    return {"expired": result.expired, "renewed": result.renewed}
