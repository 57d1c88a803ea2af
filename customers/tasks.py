from __future__ import annotations

import contextlib
import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers import services
from customers.models import ScoringRun
from customers.scoring import runs, training
from retention import refusals
from retention.celery import app as celery_app
from retention.celery import origin_queue
from retention.jobs import steps
from retention.jobs.models import JobStep
from retention.wording import Worded, coded


def _day(as_of: str | None) -> dt.date:
    return dt.date.fromisoformat(as_of) if as_of else timezone.localdate()


@shared_task
def roll_contracts(as_of: str | None = None) -> dict[str, int]:
    """Nightly: expire or auto-renew contracts that ended before `as_of` (ISO date; today by default)."""
    result = services.roll_contracts(as_of=_day(as_of))
    return {"expired": result.expired, "renewed": result.renewed}


SCORING_STEPS = ["score_chunk", "finish_scoring"]


def _follow_up_steps(day: dt.date) -> list[steps.StepSpec]:
    """The steps that read the complete day (settings.SCORING_FOLLOW_UP_TASKS)."""
    return [
        steps.StepSpec(
            name=path.rsplit(".", 1)[-1],
            target=path,
            kwargs={"as_of": day.isoformat()},
            after="finish_scoring",
            needs_success=True,
        )
        for path in settings.SCORING_FOLLOW_UP_TASKS
    ]


def start_scoring(as_of: str | None = None, chunk_size: int | None = None) -> dict:
    """The night's scoring step: start the day's run and split it into chunk steps, a
    finishing step and the follow-up steps (they run once every chunk has finished)."""
    day = _day(as_of)
    run, chunks = runs.start_run(day=day, chunk_size=chunk_size)
    specs = [
        steps.StepSpec(
            name="score_chunk",
            subject=f"customers {chunk.id_from}-{chunk.id_to}",
            target="customers.scoring.runs.score_chunk",
            kwargs={"run_id": run.pk, "id_from": chunk.id_from, "id_to": chunk.id_to},
        )
        for chunk in chunks
    ]
    specs.append(
        steps.StepSpec(
            name="finish_scoring",
            target="customers.tasks.finish_scoring",
            kwargs={"run_id": run.pk},
            after="score_chunk" if chunks else "",
        )
    )
    follow_ups = _follow_up_steps(day)
    steps.replace_steps(day, SCORING_STEPS + [s.name for s in follow_ups], specs + follow_ups)
    return {"day": day.isoformat(), "run": run.pk, "chunks": len(chunks)}


def finish_scoring(run_id: int) -> dict:
    """Size the tiers and swap the day in, only when every chunk of this run is done;
    otherwise the run is marked failed and the previous day's scores stay current."""
    run = ScoringRun.objects.get(pk=run_id)
    chunk_steps = list(JobStep.objects.filter(day=run.day, name="score_chunk"))
    missing = [s for s in chunk_steps if s.status != JobStep.Status.DONE]
    if missing or len(chunk_steps) != run.chunks_total:
        error = "Chunks not scored: " + ", ".join(
            f"{s.subject} ({s.get_status_display().lower()}: {s.error[:200]})" for s in missing
        )
        if len(chunk_steps) != run.chunks_total:
            error += f" {len(chunk_steps)} chunk steps for {run.chunks_total} chunks."
        runs.fail_run(run_id=run_id, error=error)
        raise steps.StepFailed(
            Worded(
                gettext_noop(
                    "%(missing)s of %(total)s chunks were not scored, so the day's scores "
                    "were not kept: run the failed chunks again."
                ),
                missing=len(missing) or abs(run.chunks_total - len(chunk_steps)),
                total=run.chunks_total,
            )
        )
    try:
        return runs.finish_run(run_id=run_id, chunk_results=[s.result for s in chunk_steps])
    except runs.StagingLost as lost:  # the run is failed; trying again cannot help
        raise steps.StepFailed(lost.args[0]) from lost


def score_day(day: dt.date, *, chunk_size: int | None = None, queue: str = "") -> JobStep:
    """Score a day now (admin, model page, `score_customers --queue`): the day's scoring
    step is run again if it has finished, and refused while it runs."""
    kwargs = {"as_of": day.isoformat(), **({"chunk_size": chunk_size} if chunk_size else {})}
    spec = steps.StepSpec(
        name="score_customers", target="customers.tasks.start_scoring", kwargs=kwargs
    )
    with transaction.atomic():
        step = JobStep.objects.select_for_update().filter(day=day, name="score_customers").first()
        busy = JobStep.objects.filter(
            day=day,
            name__in=SCORING_STEPS,
            status__in=[JobStep.Status.QUEUED, JobStep.Status.RUNNING, JobStep.Status.WAITING],
        ).first()
        if busy is not None and not steps.owner_lost(busy):
            raise ValidationError(
                Worded(
                    gettext_noop(
                        "Scoring for %(day)s is still running (%(step)s %(subject)s is "
                        "%(status)s); start it again once it has finished."
                    ),
                    day=str(day),
                    step=busy.name,
                    subject=busy.subject,
                    status=busy.status,
                )
            )
        # The page shows the day as running from now on; readers keep the previous scores.
        ScoringRun.objects.filter(day=day).update(
            status=ScoringRun.Status.RUNNING, chunks_done=0, error=""
        )
        JobStep.objects.filter(day=day, name__in=SCORING_STEPS).delete()
        if step is None:
            step = steps.add_step(day, spec, queue=queue)
        else:
            JobStep.objects.filter(pk=step.pk).update(kwargs=kwargs, after="")
            step = steps.rerun(step)
    if celery_app.conf.task_always_eager:
        steps.run_here(day)
    return step


@shared_task(bind=True)
def score_customers(self, as_of: str | None = None, chunk_size: int | None = None) -> dict:
    """Score every active customer for `as_of` (ISO date; today by default), through the
    day's durable steps: chunks fan out to all workers, the finishing step sizes the
    tiers once every chunk is in. Without a broker it all runs here."""
    day = _day(as_of)
    step = score_day(day, chunk_size=chunk_size, queue=origin_queue(self.request) or "")
    run = ScoringRun.objects.filter(day=day).first()
    return {"day": day.isoformat(), "step": step.pk, "status": run.status if run else "queued"}


@shared_task
def train_risk_model(as_of: str | None = None) -> dict:
    """Weekly (and on demand): train, compare and store a new churn model."""
    model = training.train_model(as_of=_day(as_of))
    return {
        "version": model.version,
        "kind": model.kind,
        "model": model.summary,
        "metrics": {k: v for k, v in model.metrics.items() if k != "candidates"},
    }


def progress_key(import_id: int) -> str:
    return f"csv-import-progress-{import_id}"


class ImportCancelled(Exception):
    """Someone pressed Cancel: the import stops at the next chunk and writes nothing."""


def _csv_job(import_id: int, *, write: bool, attempt: int | None = None) -> dict:
    """Check (write=False) or import a file, keeping its progress on the CsvImport.
    Whatever goes wrong, the import ends failed with a message, never stuck "checking"
    or "importing": it can be checked again. A lost database connection is retried by
    the job (with a backoff), the file read again from the start. A cancelled job
    stops at the next chunk; an import's rows are written, and its status set, in one
    transaction that holds the import's row, so a cancel either comes first (nothing
    written) or finds the import done."""
    import logging
    from pathlib import Path

    from customers import csv_io
    from customers.models import CsvImport

    job = CsvImport.objects.get(pk=import_id)
    path = Path(job.file.path)
    rows = CsvImport.objects.filter(pk=import_id)
    working = CsvImport.Status.IMPORTING if write else CsvImport.Status.CHECKING
    step = steps.current_step()
    if step is not None:
        attempt = step.attempts
        retry_note = (
            Worded(
                gettext_noop("Attempt %(attempt)s: %(error)s"), attempt=attempt, error=step.error
            )
            if step.retries
            else ""
        )
    else:  # the embedded mode's thread (run_csv_job_here) counts its own attempts
        retry_note = (
            Worded(
                gettext_noop("Attempt %(attempt)s: the database was unavailable."), attempt=attempt
            )
            if attempt and attempt > 1
            else ""
        )
    if write and job.status == CsvImport.Status.DONE:
        # Its rows and its outcome committed together; the worker died before the job's
        # step was marked done, and the step runs again: the import stands as it is
        # (importing it again reported 0 created, every row unchanged).
        return {"created": job.created, "updated": job.updated, "unchanged": job.unchanged}
    started = rows.exclude(status=CsvImport.Status.CANCELLED).update(
        status=working, rows_done=0, error=retry_note, error_wording=coded(retry_note)
    )
    if not started:
        return {"cancelled": True}
    cache.set(progress_key(import_id), 0, timeout=24 * 3600)

    def progress(done: int) -> None:
        # An import writes in one transaction: the page reads the count from the cache
        # (updating the row here would also hold it, and keep a Cancel waiting).
        cache.set(progress_key(import_id), done, timeout=24 * 3600)
        if not write:
            rows.update(rows_done=done)
        elif done:
            steps.fault_point("csv_import_rows")  # tests: strike with rows half-written
        if rows.filter(status=CsvImport.Status.CANCELLED).exists():
            raise ImportCancelled

    def failed(message: str) -> dict:
        rows.exclude(status=CsvImport.Status.CANCELLED).update(
            status=CsvImport.Status.FAILED,
            error=message,
            error_wording=coded(message),
            finished_at=timezone.now(),
        )
        return {"error": message}

    try:
        rows.update(rows_total=csv_io.count_rows(path))
        # An import's rows and its final status commit together; a check writes none.
        with transaction.atomic() if write else contextlib.nullcontext():
            run = csv_io.import_file if write else csv_io.check
            report = run(
                job.kind,
                path,
                job.mapping,
                progress=progress,
                decimal_mark=job.decimal_mark or None,
                date_order=job.date_order or None,
            )
            with transaction.atomic():
                # Holds the row until the rows commit: a Cancel waits, then finds it done.
                if not rows.select_for_update().exclude(status=CsvImport.Status.CANCELLED):
                    raise ImportCancelled
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
                    error="",
                    error_wording={},
                    finished_at=timezone.now(),
                )
    except ImportCancelled:
        return {"cancelled": True}
    except csv_io.CsvUnreadable as error:
        return failed(str(error))
    except steps.TRANSIENT as error:
        # The database went away: the job retries with a backoff, unless this was its
        # last attempt; either way the page says what happened.
        connection.close()  # a killed connection must not be reused
        if attempt is not None and attempt < settings.JOBS_MAX_ATTEMPTS:
            with contextlib.suppress(DatabaseError):
                unavailable = Worded(
                    gettext_noop("Database unavailable (%(error)s); trying again."),
                    error=str(error),
                )
                rows.update(error=unavailable, error_wording=coded(unavailable))
            raise
        return failed(
            Worded(
                gettext_noop(
                    "The database stayed unavailable (%(error)s); nothing was written. Start it "
                    "again."
                ),
                error=f"{type(error).__name__}: {error}",
            )
        )
    except Exception as error:
        logging.getLogger(__name__).exception("CSV import %s failed", import_id)
        return failed(
            Worded(
                gettext_noop(
                    "The import stopped on an unexpected error (%(error)s); nothing was "
                    "written. Check the file again."
                )
                if write
                else gettext_noop(
                    "The check stopped on an unexpected error (%(error)s); nothing was "
                    "written. Check the file again."
                ),
                # A refusal the database gave, in words (the raw text is in the log).
                error=refusals.refusal(error)
                if isinstance(error, DatabaseError)
                else f"{type(error).__name__}: {error}",
            )
        )
    return {"rows": report.rows, "problems": report.problem_count, "created": report.created}


def run_csv_job_here(import_id: int, *, write: bool) -> dict:
    """The embedded mode (no workers): the check or import in this thread, retried with
    a backoff while the database is unavailable, as a worker's job is."""
    import time

    from django import db

    for attempt in range(1, settings.JOBS_MAX_ATTEMPTS + 1):
        try:
            return _csv_job(import_id, write=write, attempt=attempt)
        except steps.TRANSIENT:
            db.connections.close_all()
            time.sleep(min(2**attempt, 60))
    return {"error": "database unavailable"}  # the last attempt marks the import failed


def settle_csv_job(job) -> None:
    """A check or import whose job gave up (its worker lost too often, the database
    away for good) is marked failed with the job's reason, never left "importing"."""
    from customers.models import CsvImport

    if not job.working:
        return
    name = "csv_import" if job.status == CsvImport.Status.IMPORTING else "csv_check"
    step = JobStep.objects.filter(name=name, subject=f"import {job.pk}").order_by("-id").first()
    if step is None or step.status != JobStep.Status.FAILED:
        return
    error = Worded(
        gettext_noop("The import gave up: %(error)s Nothing was written; start it again.")
        if name == "csv_import"
        else gettext_noop("The check gave up: %(error)s Nothing was written; start it again."),
        error=step.error,
    )
    if CsvImport.objects.filter(pk=job.pk, status=job.status).update(
        status=CsvImport.Status.FAILED,
        error=error,
        error_wording=coded(error),
        finished_at=timezone.now(),
    ):
        job.status, job.error, job.error_wording = CsvImport.Status.FAILED, error, coded(error)


def cancel_csv_job(*, job) -> bool:
    """Cancel a check or import that is queued or running: marked cancelled at once (the
    worker or thread stops at its next chunk and its transaction rolls back). Audited
    (who: the request's actor). False when it had already finished."""
    from customers.models import CsvImport
    from staff import audit
    from staff.models import AuditEvent

    cancelled = CsvImport.objects.filter(
        pk=job.pk, status__in=[CsvImport.Status.CHECKING, CsvImport.Status.IMPORTING]
    ).update(status=CsvImport.Status.CANCELLED, error="", finished_at=timezone.now())
    if cancelled:
        audit.record(
            AuditEvent.Action.IMPORT_CANCEL,
            "csv_import",
            job.pk,
            detail={"kind": job.kind, "file": job.original_name, "was": job.status},
        )
    return bool(cancelled)


def start_csv_job(import_id: int, *, write: bool) -> JobStep:
    """The check or import of a file as a durable job (retention/jobs/steps.py): recorded with the
    request, sent once it commits, re-queued by the watchdog if a worker dies mid-file."""
    name = "csv_import" if write else "csv_check"
    return steps.start_job(
        steps.StepSpec(
            name=name,
            subject=f"import {import_id}",
            target=f"customers.tasks.{'run_csv_import' if write else 'check_csv_import'}",
            kwargs={"import_id": import_id},
        )
    )


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
    """The manager dashboard's figures for a scoring day (customers/figures/nightly.py)."""
    from customers.figures import nightly as figures

    return figures.compute(day=_day(as_of))
