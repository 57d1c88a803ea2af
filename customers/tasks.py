from __future__ import annotations

import datetime as dt

from celery import chord, shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

from customers import services
from customers.scoring import runs, training
from retention.celery import origin_queue


def _day(as_of: str | None) -> dt.date:
    return dt.date.fromisoformat(as_of) if as_of else timezone.localdate()


@shared_task
def roll_contracts(as_of: str | None = None) -> dict[str, int]:
    """Nightly: expire or auto-renew contracts that ended before `as_of` (ISO date; today by default)."""
    result = services.roll_contracts(as_of=_day(as_of))
    return {"expired": result.expired, "renewed": result.renewed}


@shared_task(bind=True)
def score_customers(self, as_of: str | None = None, chunk_size: int | None = None) -> dict:
    """Nightly: score every active customer for `as_of`.

    On a worker the chunks fan out as a chord to all workers and `finish_scoring_run`
    sizes the tiers once they are all in; run in-process (eager, or `task.apply()`), the
    chunks run one after the other here."""
    day = _day(as_of)
    if self.request.is_eager or settings.CELERY_TASK_ALWAYS_EAGER:
        summary = runs.score_all(day=day, chunk_size=chunk_size)
        _after_scoring(day, queue=None, in_process=True)
        return summary
    run, chunks = runs.start_run(day=day, chunk_size=chunk_size)
    if not chunks:
        return runs.finish_run(run_id=run.pk)
    # The chunks and the finishing step go to the queue this task came from.
    queue = origin_queue(self.request)
    chord(
        score_chunk.si(run_id=run.pk, id_from=chunk.id_from, id_to=chunk.id_to).set(queue=queue)
        for chunk in chunks
    )(finish_scoring_run.s(run_id=run.pk).set(queue=queue))
    return {"day": day.isoformat(), "run": run.pk, "chunks": len(chunks), "queued": True}


@shared_task
def score_chunk(*, run_id: int, id_from: int, id_to: int) -> dict:
    return runs.score_chunk(run_id=run_id, id_from=id_from, id_to=id_to)


@shared_task(bind=True)
def finish_scoring_run(self, chunk_results: list[dict], *, run_id: int) -> dict:
    summary = runs.finish_run(run_id=run_id, chunk_results=chunk_results)
    _after_scoring(
        dt.date.fromisoformat(summary["day"]), queue=origin_queue(self.request), in_process=False
    )
    return summary


def _after_scoring(day: dt.date, *, queue: str | None, in_process: bool) -> None:
    """The jobs that read a day's complete scores (settings.SCORING_FOLLOW_UP_TASKS)."""
    for name in settings.SCORING_FOLLOW_UP_TASKS:
        task = import_string(name)
        if in_process:
            # Not .get(): Celery forbids waiting on a result inside a task, even in-process.
            result = task.apply(kwargs={"as_of": day.isoformat()})
            if result.failed():
                raise result.result
        else:
            task.apply_async(kwargs={"as_of": day.isoformat()}, queue=queue)


@shared_task
def train_risk_model(as_of: str | None = None) -> dict:
    """Weekly (and on demand): train, compare and store a new churn model."""
    model = training.train_model(as_of=_day(as_of))
    return {
        "version": model.version,
        "kind": model.kind,
        "description": model.description,
        "metrics": {k: v for k, v in model.metrics.items() if k != "candidates"},
    }


def progress_key(import_id: int) -> str:
    return f"csv-import-progress-{import_id}"


def _csv_job(import_id: int, *, write: bool) -> dict:
    """Check (write=False) or import a CSV file, keeping its progress on the CsvImport."""
    from pathlib import Path

    from customers import csv_io
    from customers.models import CsvImport

    job = CsvImport.objects.get(pk=import_id)
    path = Path(job.file.path)
    rows = CsvImport.objects.filter(pk=import_id)
    rows.update(
        status=CsvImport.Status.IMPORTING if write else CsvImport.Status.CHECKING,
        rows_total=csv_io.count_rows(path),
        rows_done=0,
        error="",
    )
    cache.set(progress_key(import_id), 0, timeout=24 * 3600)

    def progress(done: int) -> None:
        # The import writes in one transaction: the page reads the count from the cache
        # meanwhile (the row's own update shows only once it commits).
        cache.set(progress_key(import_id), done, timeout=24 * 3600)
        rows.update(rows_done=done)

    try:
        run = csv_io.import_file if write else csv_io.check
        report = run(job.kind, path, job.mapping, progress=progress)
    except csv_io.CsvUnreadable as error:
        rows.update(status=CsvImport.Status.FAILED, error=str(error), finished_at=timezone.now())
        return {"error": str(error)}
    if report.problem_count:
        status = CsvImport.Status.FAILED if write else CsvImport.Status.CHECKED
    else:
        status = CsvImport.Status.DONE if write else CsvImport.Status.CHECKED
    rows.update(
        status=status,
        rows_done=report.rows,
        problem_count=report.problem_count,
        problems=report.problems,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        finished_at=timezone.now(),
    )
    return {"rows": report.rows, "problems": report.problem_count, "created": report.created}


@shared_task
def check_csv_import(import_id: int) -> dict:
    """The dry run: every problem by line and column; nothing written."""
    return _csv_job(import_id, write=False)


@shared_task
def run_csv_import(import_id: int) -> dict:
    """The import: all rows in one transaction, or none."""
    return _csv_job(import_id, write=True)


@shared_task
def compute_dashboard_figures(as_of: str | None = None) -> dict[str, int]:
    """The manager dashboard's figures for a scoring day (customers/figures.py)."""
    from customers import figures

    return figures.compute(day=_day(as_of))
