"""A worker that takes a step's message while the database refuses connections (a
restart, a failover) sends the message again with a backoff instead of acknowledging
it and losing it until the watchdog resends it minutes later."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from retention.jobs import steps
from retention.jobs.models import JobStep
from tests.support.faults import FAULTY_APP, Worker, new_queue, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

DAY = dt.date(2026, 6, 30)


def allow_connections(allowed: bool) -> None:
    """From the server's maintenance database: a database cannot refuse itself."""
    import psycopg2

    db = connection.settings_dict
    server = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"],
        port=db["PORT"] or 5432,
    )
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(
                f'ALTER DATABASE "{db["NAME"]}" '
                f"WITH ALLOW_CONNECTIONS {'true' if allowed else 'false'}"
            )
            if not allowed:  # the worker's open connections go too, as in a restart
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND application_name = %s",
                    [db["NAME"], FAULTY_APP],
                )
    finally:
        server.close()


def test_a_step_taken_while_the_database_refuses_runs_once_it_answers_again():
    queue = new_queue()
    # No beat, and a resend far off: only the task's own retry can bring the step back.
    worker = Worker(queue, beat=False, environment={"JOBS_RESEND_SECONDS": "3600"})
    try:
        wait_for(lambda: "ready" in worker.log_path.read_text(), 60, "the worker", logs=[worker])
        connection.ensure_connection()  # this test's own connection stays open
        allow_connections(False)
        try:
            step = steps.add_step(
                DAY,
                steps.StepSpec(
                    name="watch_customer_access",
                    target="staff.tasks.watch_customer_access",
                    kwargs={"as_of": DAY.isoformat()},
                ),
                queue=queue,
            )
            wait_for(
                lambda: "not currently accepting connections" in worker.log_path.read_text(),
                30,
                "the worker to meet the refusal",
                logs=[worker],
            )
        finally:
            allow_connections(True)
        done = wait_for(
            lambda: JobStep.objects.filter(pk=step.pk, status="done").first(),
            60,
            "the step to run once the database answers",
            logs=[worker],
        )
        assert done.attempts == 1
    finally:
        worker.stop()
