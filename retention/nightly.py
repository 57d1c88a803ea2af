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


def start_overdue_night(now: dt.datetime | None = None) -> dt.date | None:
    """Start today's night if its scheduled time has passed and it was never started:
    beat records a run before it sends it, so a broker that is down at that minute
    loses the night with only a line in beat's log. The watchdog (every
    JOBS_WATCHDOG_SECONDS, and when a worker starts) calls this; `start_night` records
    a day's steps once whoever asks, so a night beat did send is not started again.
    Only a daily schedule (`nightly-jobs` at a fixed hour and minute, as shipped, or as
    an admin moved it) is caught up, and only on its own day. Returns the day started."""
    from zoneinfo import ZoneInfo

    from django_celery_beat.models import PeriodicTask

    from retention.jobs.models import JobStep

    task = (
        PeriodicTask.objects.filter(name="nightly-jobs", enabled=True)
        .select_related("crontab")
        .first()
    )
    crontab = task.crontab if task else None
    if crontab is None or not (crontab.hour.isdigit() and crontab.minute.isdigit()):
        return None
    if (crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) != ("*", "*", "*"):
        return None
    zone = ZoneInfo(str(crontab.timezone))
    local = (now or timezone.now()).astimezone(zone)
    # The latest moment the schedule fell due, in the schedule's own zone.
    due = local.replace(hour=int(crontab.hour), minute=int(crontab.minute), second=0, microsecond=0)
    if local < due:
        due -= dt.timedelta(days=1)
    # The night beat sent then is the day it was then in TIME_ZONE (schedule.py sends it
    # with that day), not now's day: the two differ when the schedule is kept in another
    # zone (TIME_ZONE changed, beat not restarted yet; or an admin's schedule in another
    # zone). At 00:56 in Brisbane a night due at 02:00 UTC is yesterday's; at 08:30 UTC
    # a night due at 20:00 in Los Angeles (04:00 UTC) is today's. Only today's is caught up.
    day = timezone.localdate(due)
    if day != timezone.localdate(now or timezone.now()):
        return None
    if JobStep.objects.filter(day__gte=day, name=NIGHTLY_JOBS[0][0]).exists():
        return None  # started already, or a later night was (never go back a day)
    steps.logger.warning("The night of %s was due at %s and never started: starting it", day, due)
    start_night(day)
    return day
