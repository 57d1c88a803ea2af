"""`run_nightly` without workers runs the steps in its own process (retention/jobs/steps.py
`in_this_process`, `run_here`). Killed there, it must heal as a worker's night does: a
step left running by a process that is gone is taken over by the next `run_nightly`;
each step commits its own writes as it goes and is done before the next starts (not
run inside the step that started it, where a kill rolled back a night of digests marked
sent and left the scoring step running until the night ended); and a step running here
beats, so a watchdog elsewhere does not take a live step over."""

from __future__ import annotations

import datetime as dt
import subprocess
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from retention.jobs import steps
from retention.jobs.models import JobStep

DAY = dt.date(2026, 3, 2)
TARGET = "tests.jobs.test_night_in_this_process.record"
SEEN: list[tuple[str, bool, dt.datetime | None]] = []


def record(label: str, hold: float = 0.0) -> dict:
    """A step's work: notes whether it ran inside a transaction and, after holding, the
    heartbeat its row carries then."""
    time.sleep(hold)
    beat = None
    if hold:
        beat = JobStep.objects.filter(day=DAY, name=label).values_list("heartbeat_at", flat=True)[0]
    SEEN.append((label, connection.in_atomic_block, beat))
    return {"label": label}


@pytest.fixture(autouse=True)
def _fresh():
    SEEN.clear()
    yield
    SEEN.clear()


def a_gone_process() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.django_db
def test_a_step_left_running_by_a_killed_run_nightly_is_taken_over_and_the_night_ends():
    gone = f"{steps.HOST}:{a_gone_process()}:1"
    now = timezone.now()
    JobStep.objects.bulk_create(
        [
            JobStep(
                day=DAY,
                name="first",
                target=TARGET,
                kwargs={"label": "first"},
                status=JobStep.Status.RUNNING,
                owner=gone,
                heartbeat_at=now,  # fresh: only its process is gone
                attempts=1,
                started_at=now,
            ),
            JobStep(
                day=DAY,
                name="second",
                target=TARGET,
                kwargs={"label": "second"},
                after="first",
                status=JobStep.Status.WAITING,
            ),
        ]
    )
    with steps.in_this_process():
        steps.run_here(DAY)
    assert [label for label, *_ in SEEN] == ["first", "second"]
    assert dict(JobStep.objects.filter(day=DAY).values_list("name", "status")) == {
        "first": JobStep.Status.DONE,
        "second": JobStep.Status.DONE,
    }
    assert JobStep.objects.get(day=DAY, name="first").attempts == 2


@pytest.mark.django_db(transaction=True)
def test_steps_started_in_this_process_run_after_their_starter_commits():
    spec = steps.StepSpec(name="inner", target=TARGET, kwargs={"label": "inner"})
    with steps.in_this_process():
        with transaction.atomic():
            steps.add_steps(DAY, [spec])
            assert SEEN == []  # not inside the transaction that recorded it
        steps.run_here(DAY)
        assert [(label, inside) for label, inside, _ in SEEN] == [("inner", False)]
    assert JobStep.objects.get(day=DAY, name="inner").status == JobStep.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_a_step_running_in_this_process_beats(settings):
    settings.JOBS_HEARTBEAT_SECONDS = 0.5
    spec = steps.StepSpec(name="slow", target=TARGET, kwargs={"label": "slow", "hold": 2.0})
    with steps.in_this_process():
        steps.add_steps(DAY, [spec])
        steps.run_here(DAY)
    step = JobStep.objects.get(day=DAY, name="slow")
    (_, _, beat) = SEEN[0]
    # Claimed at started_at; beaten since, while its work was holding.
    assert beat is not None and beat - step.started_at >= dt.timedelta(seconds=1)


def spawn(label: str) -> dict:
    """A step that starts another while it runs (as scoring starts its chunks)."""
    steps.add_steps(
        DAY, [steps.StepSpec(name="spawned", target=TARGET, kwargs={"label": "spawned"})]
    )
    SEEN.append((label, connection.in_atomic_block, None))
    return {}


@pytest.mark.django_db(transaction=True)
def test_a_step_started_by_a_running_step_runs_after_it_is_done():
    spec = steps.StepSpec(
        name="starter",
        target="tests.jobs.test_night_in_this_process.spawn",
        kwargs={"label": "starter"},
    )
    with steps.in_this_process():
        steps.add_steps(DAY, [spec])
        steps.run_here(DAY)
    assert [label for label, *_ in SEEN] == ["starter", "spawned"]
    starter = JobStep.objects.get(day=DAY, name="starter")
    spawned = JobStep.objects.get(day=DAY, name="spawned")
    # Not run inside the starter: it was done (and committed) before the other began.
    assert starter.finished_at <= spawned.started_at


@pytest.mark.django_db
def test_a_step_a_live_process_here_runs_is_not_taken_over_however_old_its_heartbeat():
    """On SQLite steps run here do not beat: a second `run_nightly` must leave the first
    one's step alone while that process lives."""
    alive = subprocess.Popen(["sleep", "60"])
    try:
        old = timezone.now() - dt.timedelta(hours=1)
        JobStep.objects.create(
            day=DAY,
            name="busy",
            target=TARGET,
            kwargs={"label": "busy"},
            status=JobStep.Status.RUNNING,
            owner=f"{steps.HOST}:{alive.pid}:1",
            heartbeat_at=old,
            attempts=1,
            started_at=old,
        )
        with steps.in_this_process():
            steps.run_here(DAY)
        assert SEEN == []
        assert JobStep.objects.get(day=DAY, name="busy").attempts == 1
    finally:
        alive.kill()
        alive.wait()


def steal(label: str) -> dict:
    """A step's work during which another process takes the step over."""
    JobStep.objects.filter(day=DAY, name=label).update(owner="elsewhere:1:1", attempts=2)
    return {"label": label}


@pytest.mark.django_db
def test_a_step_taken_over_while_it_ran_is_left_to_its_new_owner():
    spec = steps.StepSpec(
        name="stolen",
        target="tests.jobs.test_night_in_this_process.steal",
        kwargs={"label": "stolen"},
    )
    with steps.in_this_process():
        steps.add_steps(DAY, [spec])
        steps.run_here(DAY)
    step = JobStep.objects.get(day=DAY, name="stolen")
    assert (step.status, step.owner, step.result) == (JobStep.Status.RUNNING, "elsewhere:1:1", {})


def set_one_aside(key: str) -> dict:
    """A step's work that sets one record aside."""
    steps.set_aside(model="contract", key=key, reason="Set aside by the attempt that ran.")
    return {"set_aside": 1}


@pytest.mark.django_db
def test_a_step_taken_over_lists_what_its_latest_attempt_set_aside_once():
    """A killed attempt had set the record aside already (with an older reason); the
    attempt that takes over sets it aside again: the jobs page lists it once."""
    from retention.jobs.models import SetAside

    now = timezone.now()
    step = JobStep.objects.create(
        day=DAY,
        name="roll",
        target="tests.jobs.test_night_in_this_process.set_one_aside",
        kwargs={"key": "K-1"},
        status=JobStep.Status.RUNNING,
        owner=f"{steps.HOST}:{a_gone_process()}:1",
        heartbeat_at=now,
        attempts=1,
        started_at=now,
    )
    SetAside.objects.create(step=step, model="contract", key="K-1", reason="An older reason.")
    with steps.in_this_process():
        steps.run_here(DAY)
    assert list(step.set_aside.values_list("key", "reason")) == [
        ("K-1", "Set aside by the attempt that ran.")
    ]
