"""The jobs page (admins): each night's steps with start, end, rows, attempts, errors and
the records set aside; a failed or stuck step can be run again (audited)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from retention.jobs import steps
from retention.jobs.models import JobStep
from retention.post_only import post_only
from staff import audit
from staff.access import Role, role_required
from staff.models import AuditEvent

Status = JobStep.Status


@role_required(Role.ADMIN)
def nights(request: HttpRequest) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = JobStep.objects.order_by("-day").values_list("day", flat=True).first()
    days = (
        JobStep.objects.values("day")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=Status.DONE)),
            failed=Count("id", filter=Q(status=Status.FAILED)),
            skipped=Count("id", filter=Q(status=Status.SKIPPED)),
            open=Count("id", filter=Q(status__in=[Status.QUEUED, Status.RUNNING, Status.WAITING])),
            set_aside=Count("set_aside"),
        )
        .order_by("-day")[:30]
    )
    day_steps = list(
        JobStep.objects.filter(day=day).prefetch_related("set_aside").order_by("id") if day else []
    )
    now = timezone.now()
    for step in day_steps:
        step.stuck = step.status == Status.RUNNING and steps.owner_lost(step, now=now)
        # Skipped steps run again by themselves once the step they wait for is re-run.
        step.can_rerun = step.status == Status.FAILED or step.stuck
    return render(request, "jobs/nights.html", {"day": day, "days": days, "steps": day_steps})


@role_required(Role.ADMIN)
@post_only("jobs")
def rerun(request: HttpRequest, step_id: int) -> HttpResponse:
    step = get_object_or_404(JobStep, pk=step_id)
    was = step.status
    try:
        steps.rerun(step)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        audit.record(
            AuditEvent.Action.JOB_RERUN,
            "job_step",
            step.pk,
            detail={
                "day": step.day.isoformat(),
                "step": step.name,
                "subject": step.subject,
                "was": was,
            },
        )
        messages.success(
            request,
            _("%(step)s %(subject)s for %(day)s queued again.")
            % {"step": step.label, "subject": step.subject, "day": date_format(step.day)},
        )
    return redirect(f"{reverse('jobs')}?day={step.day.isoformat()}")
