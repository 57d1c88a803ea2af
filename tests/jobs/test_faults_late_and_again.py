"""A night asked for again after it completed, and a night whose workers start after
its time, against real workers, beat, Redis and PostgreSQL: each completes exactly once,
with exactly the right rows, and the jobs page tells what happened. Workers run as in
test_faults.py (heartbeat 1 s, lost after 4 s, watchdog every 2 s)."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Alert
from customers.models import Contract, RiskScore, ScoringRun
from retention.jobs import steps
from retention.jobs.models import JobStep
from tests.customers.scoring_world import AS_OF, build_world
from tests.factories import ContractFactory, CustomerFactory
from tests.jobs.test_faults import assert_day_scored_once, processes  # noqa: F401
from tests.support.faults import Worker, beat_entries, new_queue, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def night_state() -> dict:
    """What the night wrote: the day's scores, every alert, every contract."""
    return {
        "scores": sorted(RiskScore.objects.on_day(AS_OF).values_list("customer_id", "tier")),
        "alerts": sorted(Alert.objects.values_list("customer_id", "signal", "status")),
        "contracts": sorted(
            Contract.objects.values_list("external_id", "status", "start_date", "end_date")
        ),
        "runs": ScoringRun.objects.filter(day=AS_OF).count(),
    }


def renewing_contract() -> None:
    """A monthly plan of a customer gone before the night (not scored): it ended the day
    before the night and renews once."""
    gone = CustomerFactory(external_id="GONE", customer_since=AS_OF + dt.timedelta(days=30))
    ContractFactory(
        customer=gone,
        external_id="PLAN-31",
        start_date=dt.date(2026, 5, 31),
        end_date=dt.date(2026, 6, 29),
        annual_value=Decimal("1200"),
        auto_renew=True,
    )


def assert_renewed_once() -> None:
    assert list(
        Contract.objects.filter(external_id__startswith="PLAN-31")
        .order_by("start_date")
        .values_list("external_id", "status", "start_date", "end_date")
    ) == [
        ("PLAN-31", "renewed", dt.date(2026, 5, 31), dt.date(2026, 6, 29)),
        ("PLAN-31-R", "active", dt.date(2026, 6, 30), dt.date(2026, 7, 30)),
    ]


def test_a_night_asked_for_again_after_it_completed_runs_nothing_twice(processes):  # noqa: F811
    world = build_world()
    renewing_contract()
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    worker = Worker(queue)
    processes.append(worker)
    from retention.nightly import run_nightly_jobs

    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
    assert_day_scored_once(world, AS_OF, [worker])
    assert_renewed_once()
    done = night_state()

    # Beat fires again, someone runs the command, a message is re-delivered.
    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
    call_command("run_nightly", as_of=AS_OF, queue=True, stdout=StringIO())
    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
    time.sleep(6)  # the watchdog has run twice meanwhile

    assert night_state() == done
    attempts = dict(JobStep.objects.filter(day=AS_OF).values_list("name", "attempts").order_by())
    assert set(attempts.values()) == {1}, attempts
    assert set(JobStep.objects.filter(day=AS_OF).values_list("status", flat=True)) == {"done"}


def test_a_night_re_run_from_the_jobs_page_after_it_completed_writes_the_same_rows(
    processes,  # noqa: F811
):
    world = build_world()
    renewing_contract()
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    worker = Worker(queue)
    processes.append(worker)
    from retention.nightly import run_nightly_jobs

    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
    assert_day_scored_once(world, AS_OF, [worker])
    done = night_state()
    alerts_done = JobStep.objects.get(day=AS_OF, name="raise_alerts").finished_at

    # An admin re-runs the roll and the scoring of the completed night (the jobs page's
    # "Run again"): both run once more, their follow-ups with them.
    for name in ("roll_contracts", "score_customers"):
        steps.rerun(JobStep.objects.get(day=AS_OF, name=name))
    wait_for(
        lambda: JobStep.objects.filter(
            day=AS_OF, name="raise_alerts", status="done", finished_at__gt=alerts_done
        ).exists(),
        60,
        "the re-run's alerts",
        logs=[worker],
    )
    wait_for(
        lambda: not JobStep.objects.filter(day=AS_OF).exclude(status__in=JobStep.FINISHED).exists(),
        30,
        "the re-run to finish",
        logs=[worker],
    )

    after = night_state()
    assert after["scores"] == done["scores"] and after["alerts"] == done["alerts"]
    assert after["contracts"] == done["contracts"]
    assert_renewed_once()
    assert ScoringRun.objects.filter(day=AS_OF, status="complete").count() == 1
    assert set(JobStep.objects.filter(day=AS_OF).values_list("status", flat=True)) == {"done"}
    roll = JobStep.objects.get(day=AS_OF, name="roll_contracts")
    assert roll.attempts == 2 and roll.result == {"expired": 0, "renewed": 0}


def test_a_worker_started_after_the_night_s_time_runs_the_missed_night_once(processes):  # noqa: F811
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    world = build_world()
    renewing_contract()
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    # The night was due three minutes ago; beat last ran it a day ago; nothing ran since.
    now = timezone.now().astimezone(dt.UTC)
    due = now - dt.timedelta(minutes=3)
    nightly = PeriodicTask.objects.get(name="nightly-jobs")
    nightly.interval = None
    nightly.crontab = CrontabSchedule.objects.create(
        minute=str(due.minute), hour=str(due.hour), timezone="UTC"
    )
    nightly.kwargs = json.dumps({"as_of": AS_OF.isoformat()})
    nightly.enabled, nightly.last_run_at = True, now - dt.timedelta(days=1)
    nightly.save()
    # And a message of the night that waited in the queue for a worker.
    from retention.nightly import run_nightly_jobs

    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
    time.sleep(2)
    assert not JobStep.objects.filter(day=AS_OF).exists()  # nobody is there to run it

    worker = Worker(queue)  # late: beat inside it finds the night overdue
    processes.append(worker)

    assert_day_scored_once(world, AS_OF, [worker])
    assert_renewed_once()
    # Beat sent the missed night itself as well as the message that waited: two asks,
    # one night.
    log = worker.log_path.read_text()
    assert "Sending due task nightly-jobs" in log
    assert log.count("run_nightly_jobs[") >= 4  # two received, two succeeded
    time.sleep(4)
    attempts = dict(JobStep.objects.filter(day=AS_OF).values_list("name", "attempts").order_by())
    assert set(attempts.values()) == {1}, attempts
    assert JobStep.objects.filter(day=AS_OF, name="roll_contracts").count() == 1


def test_whole_worker_killed_between_passes_of_the_roll_every_follow_on_is_made_once(
    processes,  # noqa: F811
):
    world = build_world()
    gone = CustomerFactory(external_id="GONE", customer_since=AS_OF + dt.timedelta(days=30))
    ContractFactory(
        customer=gone,
        external_id="OVERDUE",
        start_date=dt.date(2023, 7, 1),
        end_date=dt.date(2024, 6, 30),
        auto_renew=True,
    )
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    first = Worker(queue, pause="roll_contracts_pass=30", beat=False)
    processes.append(first)
    from retention.nightly import run_nightly_jobs

    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
    # The first pass has committed the 2024-25 term; the worker dies before the next.
    wait_for(
        lambda: Contract.objects.filter(external_id="OVERDUE-R").exists(),
        40,
        "the first pass of the roll",
        logs=[first],
    )
    first.kill()
    second = Worker(queue)
    processes.append(second)

    assert_day_scored_once(world, AS_OF, [second])
    assert list(
        Contract.objects.filter(external_id__startswith="OVERDUE")
        .order_by("start_date")
        .values_list("external_id", "status", "start_date", "end_date")
    ) == [
        ("OVERDUE", "renewed", dt.date(2023, 7, 1), dt.date(2024, 6, 30)),
        ("OVERDUE-R", "renewed", dt.date(2024, 7, 1), dt.date(2025, 6, 30)),
        ("OVERDUE-R2", "active", dt.date(2025, 7, 1), dt.date(2026, 6, 30)),  # ends on AS_OF
    ]
    roll = JobStep.objects.get(day=AS_OF, name="roll_contracts")
    assert (roll.status, roll.attempts, roll.retries) == ("done", 2, 1)
    # The second attempt made the follow-on the first did not get to, and only that.
    assert roll.result == {"expired": 0, "renewed": 1}
