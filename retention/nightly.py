"""The nightly jobs, in the order they must run. Beat schedules live in settings."""

from __future__ import annotations

from celery import chain, shared_task
from django.utils import timezone

from alerts.tasks import settle_retention_actions
from customers.tasks import roll_contracts, score_customers
from handover.tasks import process_handovers
from retention.celery import origin_queue
from staff.tasks import watch_customer_access

# Contracts roll first so scoring sees tonight's contract state; handovers run before
# scoring so tonight's scores see tonight's ownership.
# Alerts follow each complete scoring run (settings.SCORING_FOLLOW_UP_TASKS).
NIGHTLY_JOBS = [
    roll_contracts,
    process_handovers,
    settle_retention_actions,
    watch_customer_access,
    score_customers,
]


@shared_task(bind=True, name="retention.nightly.run_nightly_jobs")
def run_nightly_jobs(self, as_of: str | None = None) -> str:
    as_of = as_of or timezone.localdate().isoformat()
    queue = origin_queue(self.request)
    result = chain(*(task.si(as_of=as_of).set(queue=queue) for task in NIGHTLY_JOBS)).apply_async()
    return result.id
