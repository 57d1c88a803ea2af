"""A worker whose TIME_ZONE differs from the process that planned the night draws the
night's day on another clock (its midnight hours away from the planner's): it refuses
every step, saying why, instead of scoring and alerting on a shifted day. Run again from
a worker that agrees, the night completes."""

from __future__ import annotations

import pytest
from django.conf import settings

from customers.models import RiskScore, ScoringRun
from retention.jobs import steps
from retention.jobs.models import JobStep
from retention.nightly import start_night
from tests.customers.scoring_world import AS_OF, build_world
from tests.support.faults import Worker, new_queue, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

OTHER_ZONE = "Pacific/Auckland"


@pytest.fixture
def workers():
    started = []
    yield started
    for worker in started:
        worker.stop()


def test_a_worker_in_another_time_zone_refuses_the_night_and_a_rerun_completes_it(workers):
    assert settings.TIME_ZONE != OTHER_ZONE
    build_world()
    queue = new_queue()
    wrong = Worker(queue, beat=False, environment={"TIME_ZONE": OTHER_ZONE})
    workers.append(wrong)

    start_night(AS_OF, queue=queue)

    first = wait_for(
        lambda: JobStep.objects.filter(day=AS_OF, name="roll_contracts", status="failed").first(),
        60,
        "the worker to refuse the contract roll",
        logs=[wrong],
    )
    assert first.error == (
        f"Not run: this worker's TIME_ZONE is {OTHER_ZONE}, but the step was planned in "
        f"{settings.TIME_ZONE}. Give the web server, beat and every worker the same "
        "TIME_ZONE, then run the step again."
    )
    wait_for(
        lambda: (
            not JobStep.objects.filter(day=AS_OF, status__in=["queued", "running"]).exists()
            and not JobStep.objects.filter(day=AS_OF, status="waiting").exists()
        ),
        60,
        "every step of the night to be refused",
        logs=[wrong],
    )
    # Nothing of the day was computed on the wrong clock.
    night = dict(JobStep.objects.filter(day=AS_OF).values_list("name", "status"))
    assert set(night.values()) <= {"failed", "skipped"}, night
    assert night["score_customers"] == "failed"
    assert not ScoringRun.objects.filter(day=AS_OF).exists()
    assert not RiskScore.objects.filter(day=AS_OF).exists()

    wrong.stop()
    workers.remove(wrong)
    workers.append(Worker(queue, beat=False))
    # Re-running each refused step from here (the jobs page does the same) stamps it
    # with this clock, which the new worker shares.
    for step in JobStep.objects.filter(day=AS_OF, status="failed", after=""):
        steps.rerun(step)

    wait_for(
        lambda: (
            ScoringRun.objects.filter(day=AS_OF, status="complete").exists()
            and JobStep.objects.filter(
                day=AS_OF, name="compute_dashboard_figures", status="done"
            ).exists()
        ),
        90,
        "the night to complete on the agreeing worker",
        logs=workers,
    )
    assert (
        RiskScore.objects.filter(day=AS_OF).count()
        == ScoringRun.objects.get(day=AS_OF).customers_scored
    )


def test_two_names_of_one_zone_are_one_clock():
    """UTC and Etc/UTC (Europe/Kiev and Europe/Kyiv) read the same clock: a worker named
    the other way runs the step; zones whose offsets differ do not."""
    assert steps.same_clock("UTC", "Etc/UTC")
    assert steps.same_clock("Europe/Kiev", "Europe/Kyiv")
    assert not steps.same_clock("UTC", "Europe/London")  # summer time
    assert not steps.same_clock("UTC", "No/Such_Zone")
