"""A live step is not run twice. Heartbeats are written and judged by the database's
clock, so a worker whose own clock runs ahead does not find a live step stale; and a
worker that was frozen past the stale limit (its step given to another meanwhile) stops
before its next e-mail instead of sending what its successor sends too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection

from retention.jobs import steps
from retention.jobs.models import JobStep

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
DAY = dt.date(2026, 3, 2)


def given_away_then_mail() -> dict:
    """A step's work: meanwhile the watchdog gave the step to another worker (this one
    was frozen); then it would send an e-mail."""
    step = steps.current_step()
    JobStep.objects.filter(pk=step.pk).update(owner="elsewhere:1:1")
    steps.check_still_owner()
    mail.send_mail("Sent", "by the worker that lost its step", None, ["ann@example.com"])
    return {"sent": 1}


def test_a_step_given_away_while_its_worker_was_frozen_sends_nothing_more(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    (step,) = steps.add_steps(
        DAY,
        [steps.StepSpec(name="mailing", target=f"{__name__}.given_away_then_mail")],
    )
    # (Tests run a step as it is added.) It stopped before the e-mail, and the step is
    # left, not failed, to its new owner.
    assert mail.outbox == []
    step.refresh_from_db()
    assert (step.status, step.owner, step.error) == ("running", "elsewhere:1:1", "")
    assert steps.run_step(step.pk) == {"step": step.pk, "ran": False}  # a live owner's


def test_a_worker_whose_clock_runs_ahead_leaves_a_live_step_alone(settings, time_machine):
    settings.JOBS_STALE_SECONDS = 90
    (step,) = steps.add_steps(DAY, [steps.StepSpec(name="long", target="builtins.dict")])
    with connection.cursor() as cursor:  # beating now, by the database's clock
        cursor.execute(
            "UPDATE jobs_jobstep SET status = 'running', owner = 'elsewhere:1:1', "
            "heartbeat_at = statement_timestamp() WHERE id = %s",
            [step.pk],
        )
    # This worker's clock is five minutes ahead of the database's.
    time_machine.move_to(steps.db_now() + dt.timedelta(minutes=5), tick=True)
    assert steps.watchdog()["requeued"] == 0
    step.refresh_from_db()
    assert (step.status, step.owner) == ("running", "elsewhere:1:1")
