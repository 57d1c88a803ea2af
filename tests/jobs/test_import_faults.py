"""File imports under real faults, with nobody re-running anything by hand: the whole
worker SIGKILLed mid-file and a new one started, only the pool process killed (mid-file
and mid-scoring), the database connections killed mid-file. Each ends with exactly every
row imported and the page saying so. A test-only failpoint (JOBS_FAULT_PAUSE
"csv_import_rows") holds the import once its first block of rows is written, inside its
still open transaction."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from customers.models import CsvImport, Customer, RiskScore
from retention.jobs import steps
from retention.jobs.models import JobStep
from tests.customers.scoring_world import AS_OF, build_world
from tests.factories import UserFactory
from tests.jobs.test_faults import assert_day_scored_once, running
from tests.support.faults import FAULTY_APP, Worker, beat_entries, new_queue, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]
ROWS = 25_000  # three blocks of at most 10,000 rows: the fault strikes after the first


@pytest.fixture
def processes():
    started = []
    yield started
    for process in reversed(started):
        process.stop()


@pytest.fixture
def checked_file():
    header = ["external_id", "name", "segment", "customer_since"]
    lines = [",".join(header)] + [f"F-{i},Firm {i},general,2024-01-01" for i in range(ROWS)]
    job = CsvImport(kind="customers", original_name="firms.csv", header=header)
    job.file.save("firms.csv", ContentFile("\n".join(lines).encode()), save=False)
    job.mapping = {name: name for name in header}
    job.status, job.rows_total, job.rows_done = "importing", ROWS, 0
    job.save()
    yield job
    job.file.delete(save=False)


def start_import(job: CsvImport, queue: str) -> JobStep:
    """What the page's Import button does (customers.tasks.start_csv_job), on the
    test's queue."""
    return steps.add_step(
        AS_OF,
        steps.StepSpec(
            name="csv_import",
            subject=f"import {job.pk}",
            target="customers.tasks.run_csv_import",
            kwargs={"import_id": job.pk},
        ),
        queue=queue,
    )


def reached(worker: Worker, point: str, times: int = 1) -> bool:
    return worker.log_path.read_text().count(f"Fault point {point} reached") >= times


def assert_imported_exactly_once(job: CsvImport, client, logs) -> None:
    wait_for(
        lambda: CsvImport.objects.filter(pk=job.pk, status__in=["done", "failed"]).exists(),
        120,
        "the import to finish",
        logs=logs,
    )
    job.refresh_from_db()
    assert (job.status, job.created, job.error) == ("done", ROWS, "")
    assert Customer.objects.filter(external_id__startswith="F-").count() == ROWS
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Imported 25,000 rows: 25,000 new" in page


def pool_pid(step: JobStep) -> int:
    """The pool process running the step (its owner is host:pid:thread)."""
    return int(step.owner.split(":")[1])


def test_whole_worker_killed_mid_file_a_new_worker_imports_every_row_once(
    processes, checked_file, client
):
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    first = Worker(queue, pause="csv_import_rows=60", beat=False)
    processes.append(first)
    step = start_import(checked_file, queue)
    wait_for(lambda: reached(first, "csv_import_rows"), 60, "rows half-written", logs=[first])

    first.kill()  # SIGKILL to main and pool: the open transaction rolls back
    assert not Customer.objects.filter(external_id__startswith="F-").exists()
    second = Worker(queue)  # its beat runs the watchdog
    processes.append(second)

    assert_imported_exactly_once(checked_file, client, [second])
    step.refresh_from_db()
    assert (step.status, step.attempts, step.retries) == ("done", 2, 1)


def test_pool_process_killed_mid_file_the_worker_imports_every_row_once(
    processes, checked_file, client
):
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    worker = Worker(queue, pause="csv_import_rows=4")
    processes.append(worker)
    step = start_import(checked_file, queue)
    wait_for(lambda: reached(worker, "csv_import_rows"), 60, "rows half-written", logs=[worker])

    os.kill(pool_pid(JobStep.objects.get(pk=step.pk)), signal.SIGKILL)  # the main lives on

    assert_imported_exactly_once(checked_file, client, [worker])
    step.refresh_from_db()
    assert (step.status, step.attempts, step.retries) == ("done", 2, 1)


def test_pool_process_killed_mid_scoring_the_day_is_scored_once(processes):
    world = build_world()
    queue = new_queue()
    beat_entries(queue, night_as_of=AS_OF.isoformat(), night_every=2)
    worker = Worker(queue, pause="score_chunk=4")
    processes.append(worker)
    victim = wait_for(lambda: running("score_chunk", AS_OF), 40, "a chunk to run", logs=[worker])

    os.kill(pool_pid(victim), signal.SIGKILL)

    assert_day_scored_once(world, AS_OF, [worker])
    victim.refresh_from_db()
    assert (victim.status, victim.attempts, victim.retries) == ("done", 2, 1)
    assert RiskScore.objects.filter(day=AS_OF).count() == 2


def test_database_connections_killed_mid_file_the_import_retries_and_imports_every_row(
    processes, checked_file, client
):
    queue = new_queue()
    beat_entries(queue, night_as_of=None)
    worker = Worker(queue, pause="csv_import_rows=3")
    processes.append(worker)
    step = start_import(checked_file, queue)
    wait_for(lambda: reached(worker, "csv_import_rows"), 60, "rows half-written", logs=[worker])

    with connection.cursor() as cursor:  # the worker's connections, its transaction's too
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [FAULTY_APP],
        )
        assert cursor.fetchone()[0] >= 1

    assert_imported_exactly_once(checked_file, client, [worker])
    step.refresh_from_db()
    assert step.status == "done"
    # Retried with a backoff after the database error, not failed.
    assert step.retries >= 1 and step.attempts == step.retries + 1
