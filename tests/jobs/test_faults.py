"""Real faults against real workers, beat, Redis and PostgreSQL; each test asserts the
final state with nobody re-running anything by hand. Workers run with a heartbeat every
second, steps count as lost after 4 s, and beat (inside the worker) runs the watchdog
every 2 s; a test-only failpoint (JOBS_FAULT_PAUSE) holds a step so it can be hit in
the middle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from alerts.models import Alert
from customers.models import OwnershipPeriod, RiskScore, ScoringRun
from handover.models import HandoverPlan, HandoverTask
from retention.jobs.models import JobStep
from tests.customers.scoring_world import AS_OF, build_world
from tests.handover.world import LAST_DAY, build_team
from tests.support.faults import (
    FAULTY_APP,
    Beat,
    RedisServer,
    Worker,
    beat_entries,
    free_port,
    new_queue,
    wait_for,
)

NIGHT_AFTER = LAST_DAY + dt.timedelta(days=1)  # the night that hands the last day over

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def processes():
    started = []
    yield started
    for process in reversed(started):
        process.stop() if hasattr(process, "stop") else process.kill()


def running(name: str, day: dt.date):
    return JobStep.objects.filter(day=day, name=name, status="running").first()


def assert_day_scored_once(world, day: dt.date, logs) -> None:
    run = wait_for(
        lambda: ScoringRun.objects.filter(day=day, status="complete").first(),
        40,
        f"the scoring run of {day} to complete",
        logs=logs,
    )
    scores = RiskScore.objects.on_day(day)
    assert sorted(scores.values_list("customer_id", flat=True)) == sorted(
        [world.alpha.pk, world.bravo.pk]
    )
    assert run.customers_scored == 2 and run.chunks_total == 2
    wait_for(
        lambda: JobStep.objects.filter(day=day, name="compute_dashboard_figures", status="done"),
        20,
        "the follow-up steps",
        logs=logs,
    )
    # Alpha's six signs, each raised once.
    assert Alert.objects.filter(customer=world.alpha, status="open").count() == 6


def test_whole_worker_killed_mid_scoring_the_night_completes_by_itself(processes):
    world = build_world()
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    first = Worker(queue, pause="score_chunk=30", beat=False)
    processes.append(first)
    from retention.nightly import run_nightly_jobs

    run_nightly_jobs.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
    victim = wait_for(lambda: running("score_chunk", AS_OF), 40, "a chunk to run", logs=[first])

    first.kill()  # SIGKILL to main and pool: its messages stay unacknowledged
    second = Worker(queue)
    processes.append(second)

    assert_day_scored_once(world, AS_OF, [second])
    victim.refresh_from_db()
    assert (victim.status, victim.retries) == ("done", 1)
    assert victim.attempts == 2  # the killed attempt and the one that finished


def test_whole_worker_killed_mid_handover_every_customer_is_handed_over_once(processes):
    team = build_team()
    plan = HandoverPlan.objects.create(
        employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True
    )
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    first = Worker(queue, pause="process_handovers=30", beat=False)
    processes.append(first)
    from retention.jobs import steps

    steps.add_step(
        NIGHT_AFTER,
        steps.StepSpec(
            name="process_handovers",
            target="handover.tasks.process_handovers",
            kwargs={"as_of": NIGHT_AFTER.isoformat()},
        ),
        queue=queue,
    )
    victim = wait_for(
        lambda: running("process_handovers", NIGHT_AFTER), 40, "the last-day job", logs=[first]
    )

    first.kill()
    second = Worker(queue)
    processes.append(second)

    wait_for(
        lambda: JobStep.objects.filter(pk=victim.pk, status="done").exists(),
        40,
        "the last-day job to finish",
        logs=[second],
    )
    team.leo.refresh_from_db()
    assert team.leo.status == "departed"
    # Three customers raised and handed over, each once: one open primary period each.
    assert HandoverTask.objects.filter(plan=plan).count() == 3
    for customer in (team.c1, team.c2):
        periods = OwnershipPeriod.objects.filter(customer=customer, role="primary")
        assert periods.filter(ended_on__isnull=True).count() == 1
        assert periods.filter(employee=team.leo, ended_on__isnull=True).count() == 0


def test_two_beats_run_the_night_once(processes):
    world = build_world()
    queue = new_queue()
    # Both beats send the nightly run every second for the same day.
    beat_entries(queue, night_as_of=AS_OF.isoformat(), night_every=1)
    worker = Worker(queue, beat=False)
    processes.append(worker)
    processes.extend([Beat(), Beat()])

    assert_day_scored_once(world, AS_OF, [worker])
    import time

    time.sleep(3)  # both beats keep sending the night meanwhile
    attempts = dict(JobStep.objects.filter(day=AS_OF).values_list("name", "attempts").order_by())
    assert set(attempts.values()) == {1}, attempts
    assert JobStep.objects.filter(day=AS_OF, name="score_chunk").count() == 2
    assert Alert.objects.filter(customer=world.alpha).count() == 6


def test_broker_restarted_mid_scoring_the_run_completes(processes):
    world = build_world()
    redis = RedisServer(free_port())
    processes.append(redis)
    queue = new_queue()
    beat_entries(queue, night_as_of=AS_OF.isoformat(), night_every=2)
    worker = Worker(queue, broker=redis.url, pause="score_chunk=3")
    processes.append(worker)
    wait_for(lambda: running("score_chunk", AS_OF), 40, "a chunk to run", logs=[worker])

    redis.kill()
    redis.start()

    assert_day_scored_once(world, AS_OF, [worker])


def test_database_connection_killed_mid_step_the_step_retries_and_completes(processes):
    world = build_world()
    queue = new_queue()
    beat_entries(queue, night_as_of=AS_OF.isoformat(), night_every=2)
    worker = Worker(queue, pause="roll_contracts=3")
    processes.append(worker)
    wait_for(lambda: running("roll_contracts", AS_OF), 40, "the contract roll", logs=[worker])

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [FAULTY_APP],
        )
        assert cursor.fetchone()[0] >= 1

    assert_day_scored_once(world, AS_OF, [worker])
    roll = JobStep.objects.get(day=AS_OF, name="roll_contracts")
    assert (roll.status, roll.attempts, roll.retries) == ("done", 2, 1)
