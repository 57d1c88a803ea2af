"""A scoring or training job started from the model page: its state, read from the result
backend (workers) or from the rows it wrote (in-process), for the progress bar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from celery.backends.base import DisabledBackend
from celery.result import AsyncResult
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from customers.model_page.describe import tier_badges
from customers.models import RiskModel, ScoringRun
from customers.tasks import score_customers, train_risk_model
from retention.celery import app as celery_app

JOBS = {"score": _lazy("Scoring all customers"), "train": _lazy("Training a new model")}


@dataclass
class JobStatus:
    job: str  # "score" or "train"
    state: str  # "waiting", "running", "done" or "failed"
    text: str
    percent: int | None  # None: the task reports no measure of progress (training)
    poll_url: str
    run: ScoringRun | None = None
    model: RiskModel | None = None
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def title(self) -> str:
        return JOBS[self.job]


def job_status(job: str, task_id: str, query) -> JobStatus:
    params = {"job": job, **{key: query[key] for key in ("day", "after") if key in query}}
    poll_url = (
        f"{reverse('model_job_progress', args=[task_id])}?{urlencode({**params, 'was': 'working'})}"
    )
    base = {"job": job, "poll_url": poll_url}
    if job == "score":
        try:
            day = dt.date.fromisoformat(query.get("day", ""))
        except ValueError:
            return JobStatus(
                **base,
                state="failed",
                text=_("Unknown run"),
                percent=None,
                error=_("The link names no scoring day."),
            )
        return _scoring_status(_tracked(score_customers, task_id), day, base)
    try:
        after = int(query.get("after", 0))
    except ValueError:
        after = 0
    return _training_status(_tracked(train_risk_model, task_id), after, base)


def _tracked(task, task_id: str) -> AsyncResult | None:
    """The task's state in the result backend. None when tasks run in-process (no broker):
    then the task finished inside the request that started it, and no backend holds its
    state, so the database rows it wrote tell how it went."""
    if celery_app.conf.task_always_eager or isinstance(task.backend, DisabledBackend):
        return None
    return task.AsyncResult(task_id)


def _failure(result: AsyncResult) -> str:
    error = result.result
    return f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)


def _scoring_status(result: AsyncResult | None, day: dt.date, base: dict) -> JobStatus:
    run = (
        ScoringRun.objects.select_related("model").defer("model__artifact").filter(day=day).first()
    )
    if result is not None:
        state = result.state
        if state == "FAILURE":
            return JobStatus(
                **base,
                state="failed",
                text=_("Scoring failed"),
                percent=100,
                run=run,
                error=_failure(result),
            )
        # Until the task has started this day's run, a row for the day is an earlier run's.
        if state != "SUCCESS" and (run is None or run.status != ScoringRun.Status.RUNNING):
            if state == "PENDING":
                text = _("Waiting for a worker to take the job")
                return JobStatus(**base, state="waiting", text=text, percent=0)
            # No measure yet: the first run (or one after a features change) trains a model.
            text = _("Starting: choosing the model and splitting the customers into chunks")
            return JobStatus(**base, state="running", text=text, percent=None)
    if run is None:
        return JobStatus(
            **base,
            state="failed",
            text=_("Scoring failed"),
            percent=100,
            error=_("No scoring run for %(day)s was recorded.") % {"day": date_format(day)},
        )
    if run.status == ScoringRun.Status.RUNNING:
        return JobStatus(
            **base,
            state="running",
            text=_("Scoring %(day)s: %(done)d of %(total)d chunks done")
            % {"day": date_format(day), "done": run.chunks_done, "total": run.chunks_total},
            percent=round(run.progress * 100),
            run=run,
        )
    if run.status == ScoringRun.Status.FAILED:
        return JobStatus(
            **base,
            state="failed",
            text=_("Scoring failed"),
            percent=100,
            run=run,
            error=run.error or _("The run stopped without saying why."),
        )
    run.tiers = tier_badges(run.tier_sizes)
    text = _("Scored %(day)s") % {"day": date_format(day)}
    return JobStatus(**base, state="done", text=text, percent=100, run=run)


def _training_status(result: AsyncResult | None, after: int, base: dict) -> JobStatus:
    if result is not None:
        state = result.state
        if state == "FAILURE":
            return JobStatus(
                **base,
                state="failed",
                text=_("Training failed"),
                percent=100,
                error=_failure(result),
            )
        if state == "SUCCESS":
            version = (result.result or {}).get("version")
            model = RiskModel.objects.filter(version=version).defer("artifact").first()
            return JobStatus(**base, state="done", text=_("Trained"), percent=100, model=model)
        if state == "STARTED":
            return JobStatus(
                **base,
                state="running",
                text=_(
                    "Training: building the monthly training rows, fitting and validating "
                    "the candidates (minutes on a large company)"
                ),
                percent=None,
            )
        return JobStatus(
            **base, state="waiting", text=_("Waiting for a worker to take the job"), percent=0
        )
    model = (
        RiskModel.objects.filter(version__gt=after).defer("artifact").order_by("version").first()
    )
    if model is None:
        return JobStatus(
            **base,
            state="failed",
            text=_("Training failed"),
            percent=100,
            error=_("No model newer than v%(version)d was stored.") % {"version": after},
        )
    return JobStatus(**base, state="done", text=_("Trained"), percent=100, model=model)
