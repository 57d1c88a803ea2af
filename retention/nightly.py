"""The nightly jobs, in the order they must run. Beat schedules live in settings."""

from __future__ import annotations

from celery import chain, shared_task
from django.utils import timezone

from customers.tasks import roll_contracts, score_customers

# Contracts roll first so scoring sees tonight's contract state.
NIGHTLY_JOBS = [roll_contracts, score_customers]


@shared_task(name="retention.nightly.run_nightly_jobs")
def run_nightly_jobs(as_of: str | None = None) -> str:
    as_of = as_of or timezone.localdate().isoformat()
    result = chain(*(task.si(as_of=as_of) for task in NIGHTLY_JOBS)).apply_async()
    return result.id
