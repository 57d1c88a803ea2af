"""One nightly run through a real Celery worker on the real Redis broker and PostgreSQL:
the contract roll, then scoring fanned out as a chord of chunks."""

import datetime as dt
import time

import pytest

from alerts.models import Alert
from customers.models import Contract, RiskScore, ScoringRun
from retention.nightly import run_nightly_jobs
from tests.customers.scoring_world import AS_OF, build_world
from tests.factories import ContractFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def wait_for_complete_run(day: dt.date, timeout: float = 120) -> ScoringRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ScoringRun.objects.filter(day=day, status=ScoringRun.Status.COMPLETE).first()
        if run:
            return run
        time.sleep(0.5)
    pytest.fail(f"No complete scoring run for {day} within {timeout} s")


def test_nightly_jobs_roll_contracts_then_score_every_customer_in_chunks(
    celery_worker_queue,
):
    world = build_world()
    ended = ContractFactory(
        customer=world.bravo, start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31)
    )

    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=celery_worker_queue)

    run = wait_for_complete_run(AS_OF)
    ended.refresh_from_db()
    assert ended.status == Contract.Status.EXPIRED
    assert run.chunks_total == 2  # the worker scores one customer per chunk (conftest)
    scores = RiskScore.objects.filter(day=AS_OF)
    assert sorted(scores.values_list("customer_id", flat=True)) == sorted(
        [world.alpha.pk, world.bravo.pk]
    )
    assert scores.filter(tier__isnull=True).count() == 0
    assert run.model.is_rules_based  # one churner in the history: too few to train
    assert scores.get(customer=world.alpha).reasons[0]["text"] == (
        "Decision-maker left on 2026-05-01"
    )
    # The chord's last step queued the alerts for the complete day: 6 signs for Alpha.
    deadline = time.monotonic() + 60
    while Alert.objects.filter(customer=world.alpha).count() < 6 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert Alert.objects.filter(customer=world.alpha, status="open").count() == 6
    # The night goes on after the alerts (the dashboard figures): the test ends when the
    # worker has finished it, or the next test's flush would meet its writes.
    wait_for_the_whole_night(AS_OF)


def wait_for_the_whole_night(day: dt.date, timeout: float = 120) -> None:
    from retention.jobs.models import JobStep

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        steps = JobStep.objects.filter(day=day)
        if (
            steps.filter(name="compute_dashboard_figures").exists()
            and not steps.exclude(status__in=JobStep.FINISHED).exists()
        ):
            return
        time.sleep(0.5)
    pytest.fail(f"The night of {day} did not finish within {timeout} s")
