from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from retention.jobs import steps


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # The database not answering before the step is claimed (a restart, a moment of
    # refused connections): the message is sent again with a backoff of 2, 4, 8 ... s
    # (at most a minute), instead of being acknowledged and lost until the watchdog
    # resends it (JOBS_RESEND_SECONDS later). A failure inside the step is the step's
    # own to record and retry (steps._failed).
    autoretry_for=steps.TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=12,
)
def run_step(step_id: int) -> dict:
    """One durable step (retention/jobs/steps.py): claimed, beaten on while it runs, recorded."""
    return steps.run_step(step_id)


@shared_task(ignore_result=True)
def watchdog() -> dict:
    """Beat, every few minutes: re-queue steps whose worker was lost, re-send lost
    messages, and start a night that was due and never started (the broker down at its
    minute: retention.nightly.start_overdue_night)."""
    from retention.nightly import start_overdue_night

    healed = steps.watchdog()
    started = start_overdue_night()
    return healed | {"night_started": started.isoformat() if started else None}


@worker_ready.connect
def heal_on_start(sender=None, **kwargs) -> None:
    """A worker starting after a crash picks up at once what the crashed one held."""
    try:
        watchdog()
    except Exception:  # noqa: BLE001 - the database may not be there yet; beat tries again
        steps.logger.exception("Watchdog at worker start failed")
