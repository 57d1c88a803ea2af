"""The churn model page: which model the scores come from, how it did on the validation
months, what it looks at, the recent scoring runs; and, for admins, scoring or training
now, with a progress bar polled while the Celery task works."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from celery.backends.base import DisabledBackend
from celery.result import AsyncResult
from django.conf import settings
from django.contrib import messages
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from customers.models import RiskModel, RiskTier, ScoringRun
from customers.scoring import notes, signals
from customers.selectors import latest_scoring_run
from customers.tasks import score_customers, train_risk_model
from retention.celery import app as celery_app
from staff.access import MANAGER_ROLES, Role, has_role, role_required

logger = logging.getLogger(__name__)

JOBS = {"score": _lazy("Scoring all customers"), "train": _lazy("Training a new model")}
RECENT_RUNS = 10
TOP_FEATURES = 10
PREVIOUS_MODELS = 20
# (key in RiskModel.metrics, label, what it means); training.evaluate stores these.
METRICS = [
    (
        "roc_auc",
        _lazy("ROC AUC"),
        _lazy("Chance that a churner is ranked above a customer who stayed; 0.5 is a coin toss."),
    ),
    (
        "pr_auc",
        _lazy("PR AUC"),
        _lazy("Average precision: how clean the top of the list is. Compare with the base rate."),
    ),
    (
        "lift_top_decile",
        _lazy("Lift in the riskiest 10%"),
        _lazy("How many times the base rate churned among them."),
    ),
    (
        "brier",
        _lazy("Brier score"),
        _lazy("Mean squared error of the probabilities; lower is better."),
    ),
    (
        "brier_skill",
        _lazy("Brier skill score"),
        _lazy(
            "1 - Brier / Brier of always predicting the base rate: 0 is no better, 1 is perfect."
        ),
    ),
    (
        "base_rate",
        _lazy("Base rate"),
        _lazy("Share of the rows evaluated that churned within the horizon."),
    ),
]
NOT_METRICS = {"candidates", "chosen_by", "evaluated_on"}


@role_required(*MANAGER_ROLES)
def model_page(request: HttpRequest) -> HttpResponse:
    latest_run = latest_scoring_run()
    newest_active = (
        RiskModel.objects.filter(is_active=True).defer("artifact").order_by("-version").first()
    )
    # "Current" is what today's scores come from, not what the next run will use.
    model = latest_run.model if latest_run else newest_active
    # The model's pickled estimator can be megabytes; the page never needs it.
    runs = ScoringRun.objects.select_related("model").defer("model__artifact").order_by("-day")
    runs = list(runs[:RECENT_RUNS])
    for run in runs:
        run.tiers = _tier_badges(run.tier_sizes)
        run.duration = _duration_text(run)
    previous = RiskModel.objects.exclude(pk=model.pk if model else None).order_by("-version")
    context = {
        "model": model,
        "latest_run": latest_run,
        "next_model": newest_active if newest_active and newest_active != model else None,
        "runs": runs,
        "previous_models": previous.only(
            "version", "kind", "trained_at", "as_of", "metrics", "is_active"
        )[:PREVIOUS_MODELS],
        "can_run": has_role(request.user, (Role.ADMIN,)),
        "running_today": ScoringRun.objects.filter(
            day=timezone.localdate(), status=ScoringRun.Status.RUNNING
        ).first(),
    }
    # The newest trained model's backtest, shown even when it was not activated.
    tested = (
        RiskModel.objects.filter(backtest__has_key="summary")
        .defer("artifact")
        .order_by("-version")
        .first()
    )
    if tested is not None:
        context["backtest"] = backtest_view(tested)
    if model is not None:
        context |= {
            "metric_columns": _metric_columns(model),
            "metric_rows": _metric_rows(model),
            "features": _top_features(model.feature_importance),
            "signal_weights": _signal_weights(model),
            "rules_reason": _rules_reason(model) if model.is_rules_based else "",
            "model_note": _model_note(model) if not model.is_rules_based else "",
            "sample_text": _sample_text(model),
            "churn_counted": notes.churn_label_text(model.churn_label),
            "metrics_caption": _metrics_caption(model),
            "history_months": _months_between(model.window_start, model.window_end),
        }
    job = request.GET.get("job")
    task_id = request.GET.get("task")
    if context["can_run"] and job in JOBS and task_id:
        context["status"] = _job_status(job, task_id, request.GET)
    return render(request, "model_page/model.html", context)


@role_required(Role.ADMIN)
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    """Start scoring or training now; the page then follows the task with a progress bar."""
    job = request.POST.get("job")
    if job not in JOBS:
        return HttpResponseBadRequest("Say which job to run: score or train.")
    today = timezone.localdate()
    if job == "score":
        running = ScoringRun.objects.filter(day=today, status=ScoringRun.Status.RUNNING).first()
        if running is not None:
            messages.warning(
                request,
                _(
                    "Scoring for %(day)s is already running (started %(time)s, %(done)s of "
                    "%(total)s chunks done). Its progress is in the table of runs; start another "
                    "once it has finished."
                )
                % {
                    "day": date_format(today),
                    "time": f"{timezone.localtime(running.started_at):%H:%M}",
                    "done": running.chunks_done,
                    "total": running.chunks_total,
                },
            )
            return redirect("model")
        hints = {"day": today.isoformat()}
        task = score_customers
    else:
        # Without a result backend the new model is found as the first one above this.
        hints = {"after": RiskModel.objects.aggregate(v=Max("version"))["v"] or 0}
        task = train_risk_model
    try:
        result = _start(task, as_of=today.isoformat())
    except Exception as error:
        logger.exception("%s, started from the model page, failed", JOBS[job])
        messages.error(request, _("%(job)s failed: %(error)s") % {"job": JOBS[job], "error": error})
        return redirect("model")
    query = urlencode({"job": job, "task": result.id, **hints})
    return redirect(f"{reverse('model')}?{query}")


def _start(task, **kwargs) -> AsyncResult:
    """Queue the task for the workers; without a broker (eager) run it here and now, its
    error raised here. `apply` rather than `delay` when eager: Celery forbids a task
    started with an eager `delay` to wait for the follow-up tasks it runs in-process
    (scoring waits for the alerts), while `apply` allows it."""
    if celery_app.conf.task_always_eager:
        return task.apply(kwargs=kwargs)
    return task.delay(**kwargs)


@role_required(Role.ADMIN)
@require_GET
def job_progress(request: HttpRequest, task_id: str) -> HttpResponse:
    """The progress bar of a job started from the page, polled while the task works."""
    job = request.GET.get("job")
    if job not in JOBS:
        raise Http404(_("No such job."))
    status = _job_status(job, task_id, request.GET)
    response = render(request, "customers/_job_progress.html", {"status": status})
    if status.finished and request.GET.get("was") == "working":
        response["HX-Refresh"] = "true"  # done: reload so the model and runs show the result
    return response


# --- a job's state ----------------------------------------------------------------------


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


def _job_status(job: str, task_id: str, query) -> JobStatus:
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
    run.tiers = _tier_badges(run.tier_sizes)
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


# --- what the page shows of a model ----------------------------------------------------


def _tier_badges(tier_sizes: dict) -> list[tuple[int, str, int]]:
    """(tier number, label in the reader's language, customers) in tier order, from a
    run's stored {key: count}. The key is read as a tier code: the runs store the English
    label (customers/scoring/runs.py), so it is looked up among the English labels, never
    among the reader's; a number is taken as the code itself."""
    with translation.override("en"):
        code_of = {str(tier.label): tier for tier in RiskTier}
    code_of |= {str(tier.value): tier for tier in RiskTier}
    counts = {code_of[key]: count for key, count in tier_sizes.items() if key in code_of}
    return [(tier.value, tier.label, counts[tier]) for tier in RiskTier if tier in counts]


def _duration_text(run: ScoringRun) -> str:
    if run.finished_at is None:
        return ""
    seconds = (run.finished_at - run.started_at).total_seconds()
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": number_format(seconds, 1)}
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def _metric_columns(model: RiskModel) -> list[dict]:
    """The chosen model first, then every candidate it was compared with."""
    chosen = (
        _("Rules")
        if model.is_rules_based
        else _("%(kind)s, calibrated") % {"kind": model.get_kind_display()}
    )
    columns = [{"label": chosen, "metrics": model.metrics, "chosen": True}]
    candidates = (model.metrics.get("candidates") or {}).items()
    # Best first (a JSON column does not keep the order they were stored in).
    for kind, values in sorted(candidates, key=lambda item: -item[1].get("roc_auc", 0)):
        label = RiskModel.Kind(kind).label if kind in RiskModel.Kind.values else kind
        winner = kind == model.kind
        label = _("%(kind)s (candidate)") % {"kind": label}
        columns.append({"label": label, "metrics": values, "chosen": winner})
    return columns


def _metric_rows(model: RiskModel) -> list[dict]:
    columns = _metric_columns(model)
    known = [key for key, _label, _meaning in METRICS]
    extra = sorted(
        {
            k
            for c in columns
            for k, v in c["metrics"].items()
            if k not in known and k not in NOT_METRICS and isinstance(v, int | float)
        }
    )
    rows = []
    for key, label, meaning in [*METRICS, *((k, k.replace("_", " "), "") for k in extra)]:
        values = [_metric_text(key, c["metrics"].get(key)) for c in columns]
        if any(values):
            rows.append({"label": label, "meaning": meaning, "values": values})
    return rows


def _metric_text(key: str, value) -> str:
    if not isinstance(value, int | float):
        return ""
    if key == "lift_top_decile":
        return f"{value:.2f}×"
    if key == "base_rate":
        return f"{value:.1%}"
    if key == "brier":
        return f"{value:.4f}"
    if key == "brier_skill":
        return f"{value:+.3f}"
    return f"{value:.3f}"


def feature_label(name: str) -> str:
    """ "complaints_30d" -> "Complaints (30 days)", in the reader's language."""
    from customers.scoring.explain import feature_label as worded

    return worded(name)


def _top_features(importance: dict[str, float]) -> list[dict]:
    """The most important features, largest first, with bar widths relative to the largest."""
    ranked = sorted(importance.items(), key=lambda item: -item[1])[:TOP_FEATURES]
    largest = max((value for _name, value in ranked), default=0)
    return [
        {
            "name": name,
            "label": feature_label(name),
            "value": value,
            "width": round(100 * max(value, 0) / largest, 1) if largest > 0 else 0,
        }
        for name, value in ranked
    ]


def _signal_weights(model: RiskModel) -> list[dict]:
    """Warning signs by weight, largest first: lift for a trained model, the points the
    rules add for the rules-based score."""
    ranked = sorted(model.signal_weights.items(), key=lambda item: -item[1])
    return [
        {
            "code": code,
            "label": signals.SIGNAL_BY_CODE[code].label if code in signals.SIGNAL_BY_CODE else code,
            "text": f"{weight:.0%}" if model.is_rules_based else f"{weight:.2f}×",
        }
        for code, weight in ranked
    ]


def _months_between(first: dt.date, last: dt.date) -> int:
    """Monthly observation dates from `first` to `last`, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


BACKTEST_METRICS = [
    ("roc_auc", _lazy("ROC AUC")),
    ("pr_auc", _lazy("PR AUC")),
    ("lift_top_decile", _lazy("Lift, riskiest 10%")),
    ("brier_skill", _lazy("Brier skill")),
]


def backtest_view(model: RiskModel) -> dict:
    """The model's forward-chained backtest as the page shows it: the decision, mean
    metrics per method, the metrics per fold, and the calibration chart's figures."""
    from customers.scoring.candidates import BLEND_PARTS
    from customers.scoring.training import BASELINES

    record = model.backtest
    chosen = record.get("chosen", model.kind)
    methods = [
        chosen,
        *(m for m in record.get("summary", {}) if m != chosen and m not in BASELINES),
        *BASELINES,
    ]
    methods = [m for m in methods if m in record.get("summary", {})]
    labels = [notes.method_label(m) for m in methods]
    summary = [
        {
            "label": label,
            "values": [_metric_text(key, record["summary"][m].get(key)) for m in methods],
        }
        for key, label in BACKTEST_METRICS
    ]
    folds = []
    for number, fold in enumerate(record.get("folds", []), start=1):
        entry = {
            "number": number,
            "validate": _span(fold["validate_from"], fold["validate_to"]),
            "skipped": notes.fold_skipped_text(fold.get("skipped", "")),
        }
        if not entry["skipped"]:
            entry |= {
                "train": _span(fold["train_from"], fold["train_to"]),
                "rows": fold["validation_rows"],
                "churned": fold["churned"],
                "cells": [
                    [
                        _metric_text(key, fold["methods"][m].get(key))
                        for key, _label in BACKTEST_METRICS
                    ]
                    for m in methods
                ],
            }
        folds.append(entry)
    chart = {
        "datasets": [
            {
                "label": notes.method_label(method),
                "points": [
                    {"x": round(100 * b["predicted"], 2), "y": round(100 * b["observed"], 2)}
                    for b in bins
                ],
            }
            for method, bins in record.get("calibration", {}).items()
        ]
    }
    weights = record.get("blend_weights") or {}
    # In the order of the blend's parts (a JSON column does not keep the stored order).
    parts = [(kind, weights[kind]) for kind in BLEND_PARTS if kind in weights]
    return {
        "model": model,
        "decision": notes.decision_text(record, model.horizon_days),
        "blend_weights": ", ".join(
            f"{weight:.2f} × {notes.method_label(method).lower()}" for method, weight in parts
        ),
        "blend_intercept": f"{weights.get('intercept', 0.0):+.2f}",
        "activated": bool(record.get("beats_rules")),
        "step": record.get("step", "monthly"),
        "label": notes.churn_label_text(model.churn_label),
        "methods": labels,
        "metrics": [label for _key, label in BACKTEST_METRICS],
        "summary": summary,
        "folds": folds,
        "chart": chart,
    }


def _span(first: str, last: str) -> str:
    """Two stored ISO days as "<first> to <last>" in the reader's language."""
    with contextlib.suppress(TypeError, ValueError):
        first, last = (date_format(dt.date.fromisoformat(d)) for d in (first, last))
    return _("%(start)s to %(end)s") % {"start": first, "end": last}


def _model_note(model: RiskModel) -> str:
    """The model's note in the reader's language (the stored English of a model older
    than the note codes)."""
    return notes.note_text(model.note_code, model.note_params) if model.note_code else model.note


def _sample_text(model: RiskModel) -> str:
    if model.sample_every > 1:
        return notes.sample_text(model.sample_every)
    return model.sample_note


def _metrics_caption(model: RiskModel) -> str:
    """What the validation figures were measured on, worded from the stored record."""
    if model.metrics.get("evaluated_on"):
        return _("Evaluated on the latest observation dates (rules are not trained).")
    folds = model.backtest.get("folds_run")
    if model.metrics.get("chosen_by") and not folds:  # chosen before backtests existed
        return _("On the held-out latest months; the model was chosen by validation ROC AUC.")
    if model.metrics.get("chosen_by"):
        return ngettext(
            "On the held-out latest months; the model was chosen by backtest ROC AUC (mean of "
            "%(folds)d forward-chained fold).",
            "On the held-out latest months; the model was chosen by backtest ROC AUC (mean of "
            "%(folds)d forward-chained folds).",
            folds,
        ) % {"folds": folds}
    return _("On the held-out latest months.")


def _rules_reason(model: RiskModel) -> str:
    """Why this model is the rules-based score, from what was recorded when it was made."""
    if model.note_code:
        return notes.note_text(model.note_code, model.note_params)
    if model.note.startswith(RiskModel.RULES_NOTE) and model.note != RiskModel.RULES_NOTE:
        return model.note[len(RiskModel.RULES_NOTE) :].strip()
    needed = settings.MIN_CHURNERS_TO_TRAIN
    if not model.train_rows:
        return _(
            "There is no history to learn from yet: an observation date needs about four "
            "months of interactions before it and %(days)d days after it."
        ) % {"days": model.horizon_days}
    values = {
        "count": model.churners,
        "days": model.horizon_days,
        "start": date_format(model.window_start),
        "end": date_format(model.window_end),
        "needed": needed,
    }
    if model.churners < needed:
        return (
            ngettext(
                "Only %(count)d customer churned within %(days)d days of an observation date "
                "between %(start)s and %(end)s; training needs at least %(needed)d.",
                "Only %(count)d customers churned within %(days)d days of an observation date "
                "between %(start)s and %(end)s; training needs at least %(needed)d.",
                model.churners,
            )
            % values
        )
    return (
        _(
            "%(count)d customers churned in the history, but too few of them in the training "
            "months (at least %(needed)d needed), or none in the validation months, to train "
            "and check a model."
        )
        % values
    )
