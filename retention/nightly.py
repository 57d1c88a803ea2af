"""The nightly jobs, in the order they must run. Beat schedules live in settings.

Each job is a durable step of the night (retention/jobs/steps.py): one row per day and step, so
a second beat, a second `run_nightly` or a re-sent message runs nothing twice, and a
step whose worker died is re-queued by the watchdog. A step that fails is marked failed
with its error and the night goes on with the next one; only the steps that read the
day's complete scores (alerts, dashboard figures) are skipped when scoring failed."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from retention.celery import origin_queue
from retention.jobs import steps

# Contracts roll first so scoring sees tonight's contract state; handovers run before
# scoring so tonight's scores see tonight's ownership. The scoring step splits itself
# into chunk steps, a finishing step and the steps that read the complete day
# (settings.SCORING_FOLLOW_UP_TASKS: alerts, dashboard figures).
NIGHTLY_JOBS = [
    ("roll_contracts", "customers.tasks.roll_contracts"),
    ("process_handovers", "handover.tasks.process_handovers"),
    ("settle_retention_actions", "alerts.tasks.settle_retention_actions"),
    ("watch_customer_access", "staff.tasks.watch_customer_access"),
    ("score_customers", "customers.tasks.start_scoring"),
]


def night_steps(day: dt.date) -> list[steps.StepSpec]:
    specs, before = [], ""
    for name, target in NIGHTLY_JOBS:
        specs.append(
            steps.StepSpec(
                name=name, target=target, kwargs={"as_of": day.isoformat()}, after=before
            )
        )
        before = name
    return specs


def start_night(day: dt.date, *, queue: str = "") -> list:
    """Record the night's steps (once per day, whoever asks) and send the first."""
    return steps.add_steps(day, night_steps(day), queue=queue)


@shared_task(bind=True, name="retention.nightly.run_nightly_jobs")
def run_nightly_jobs(self, as_of: str | None = None) -> dict:
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    made = start_night(day, queue=origin_queue(self.request) or "")
    return {"day": day.isoformat(), "steps": len(made)}
