"""The churn model page: which model the scores come from, how it did on the validation
months, what it looks at, the recent scoring runs; and, for admins, scoring or training
now, with a progress bar polled while the Celery task works."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from celery.result import AsyncResult
from django.contrib import messages
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from customers.model_page.describe import (
    backtest_view,
    duration_text,
    metric_columns,
    metric_rows,
    metrics_caption,
    model_note,
    months_between,
    rules_reason,
    sample_text,
    signal_weights,
    tier_badges,
    top_features,
)
from customers.model_page.jobs import JOBS, job_status
from customers.models import RiskModel, ScoringRun
from customers.scoring import notes
from customers.selectors import latest_scoring_run
from customers.tasks import score_customers, train_risk_model
from retention.celery import app as celery_app
from retention.post_only import post_only
from staff.access import MANAGER_ROLES, Role, has_role, role_required

logger = logging.getLogger(__name__)

RECENT_RUNS = 10
PREVIOUS_MODELS = 20


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
        run.tiers = tier_badges(run.tier_sizes)
        run.duration = duration_text(run)
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
            "metric_columns": metric_columns(model),
            "metric_rows": metric_rows(model),
            "features": top_features(model.feature_importance),
            "signal_weights": signal_weights(model),
            "rules_reason": rules_reason(model) if model.is_rules_based else "",
            "model_note": model_note(model) if not model.is_rules_based else "",
            "sample_text": sample_text(model),
            "churn_counted": notes.churn_label_text(model.churn_label),
            "metrics_caption": metrics_caption(model),
            "history_months": months_between(model.window_start, model.window_end),
        }
    job = request.GET.get("job")
    task_id = request.GET.get("task")
    if context["can_run"] and job in JOBS and task_id:
        context["status"] = job_status(job, task_id, request.GET)
    return render(request, "model_page/model.html", context)


@role_required(Role.ADMIN)
@post_only("model")
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
    status = job_status(job, task_id, request.GET)
    response = render(request, "customers/_job_progress.html", {"status": status})
    if status.finished and request.GET.get("was") == "working":
        response["HX-Refresh"] = "true"  # done: reload so the model and runs show the result
    return response
