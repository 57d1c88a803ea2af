"""Redis down when HR records a departure: the request answers at once, the plan and its
job are recorded, nothing is half-done, and the job runs when the broker is back."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from handover.models import HandoverPlan, HandoverTask
from retention.celery import app
from retention.jobs.models import JobStep
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory
from tests.support.faults import RedisServer, Worker, beat_entries, free_port, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker_of_our_own():
    """This process publishes to a redis-server the test starts and stops."""
    redis = RedisServer(free_port())
    before = app.conf.broker_url
    app.conf.broker_url = redis.url
    app._pool = None
    app.amqp._producer_pool = None
    yield redis
    app.conf.broker_url = before
    app._pool = None
    app.amqp._producer_pool = None
    redis.kill()


def test_departure_recorded_while_redis_is_down_raises_its_tasks_once_it_is_back(
    broker_of_our_own,
):
    redis = broker_of_our_own
    leaver = EmployeeFactory(name="Lea")
    CustomerFactory(primary_owner=leaver)
    CustomerFactory(primary_owner=leaver)
    api, _ = integration_client(role="hr")
    body = {
        "employee": leaver.pk,
        "last_day": str(timezone.localdate() + dt.timedelta(days=30)),
        "reason": "New job",
        "voluntary": True,
    }
    redis.kill()

    began = time.monotonic()
    response = api.post("/api/v1/departures/", body, format="json")
    took = time.monotonic() - began

    assert response.status_code == 201, response.content
    assert took < 5
    plan = HandoverPlan.objects.get(pk=response.json()["plan"])
    step = JobStep.objects.get(name="raise_handover_tasks", subject=f"plan {plan.pk}")
    assert (step.status, step.attempts) == ("queued", 0)
    assert not HandoverTask.objects.filter(plan=plan).exists()

    redis.start()
    beat_entries("celery", night_as_of=None)
    worker = Worker("celery", broker=redis.url)
    try:
        wait_for(
            lambda: HandoverTask.objects.filter(plan=plan).count() == 2,
            30,
            "the handover tasks",
            logs=[worker],
        )
        step.refresh_from_db()
        assert (step.status, step.attempts) == ("done", 1)
    finally:
        worker.stop()
