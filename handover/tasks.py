from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from handover import nightly, services
from handover.models import HandoverPlan


@shared_task
def raise_handover_tasks(plan_id: int) -> dict:
    """After a departure is recorded: one handover task per customer of the leaver."""
    plan = HandoverPlan.objects.select_related("employee", "employee__team").get(pk=plan_id)
    return {"plan": plan_id, "tasks_raised": services.raise_tasks(plan=plan)}


@shared_task
def process_handovers(as_of: str | None = None) -> dict:
    """Nightly: last-day handovers, escalation of overdue steps, closing finished plans."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return vars(nightly.process_handovers(as_of=day))
