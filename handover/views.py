from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from handover import services
from handover.forms import DepartureForm, ExitInterviewForm, StepDoneForm
from handover.models import HandoverPlan, HandoverStep
from handover.selectors import (
    OUTCOME_WINDOWS,
    departure_outcomes,
    exposure_report,
    handover_proposals,
    open_steps,
    outcome_summary,
    plans_with_progress,
)
from staff.access import (
    HR_ROLES,
    MANAGER_ROLES,
    PEOPLE_ROLES,
    employee_of,
    employee_scope,
    has_role,
    role_required,
    sees_employee,
)
from staff.models import Employee


@role_required(*PEOPLE_ROLES)
def exposure(request: HttpRequest) -> HttpResponse:
    scope = employee_scope(request.user)  # managers: the people in their teams
    ids = (
        None if scope is None else list(Employee.objects.filter(scope).values_list("pk", flat=True))
    )
    rows = exposure_report(as_of=timezone.localdate(), employee_ids=ids)
    return render(request, "handover/exposure.html", {"rows": rows[:100], "total": len(rows)})


@role_required(*PEOPLE_ROLES)
def what_if(request: HttpRequest, employee_id: int) -> HttpResponse:
    employee = get_object_or_404(Employee.objects.select_related("team"), pk=employee_id)
    if not sees_employee(request.user, employee):
        raise Http404("No such employee in your teams.")
    today = timezone.localdate()
    rows = exposure_report(as_of=today, employee_ids=[employee.pk])
    proposals = handover_proposals(employee, as_of=today)
    return render(
        request,
        "handover/what_if.html",
        {
            "employee": employee,
            "row": rows[0] if rows else None,
            "proposals": proposals[:50],
            "count": len(proposals),
        },
    )


@role_required(*HR_ROLES)
def start_departure(request: HttpRequest) -> HttpResponse:
    form = DepartureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.start_departure(by=employee_of(request.user), **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(
                request,
                f"Departure of {plan.employee.name} recorded; the handover tasks are being raised.",
            )
            return redirect("handover:plan", plan.pk)
    return render(request, "handover/start.html", {"form": form})


@role_required(*PEOPLE_ROLES)
def plans(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    all_plans = plans_with_progress().order_by("last_day")
    scope = employee_scope(request.user, "employee__")
    if scope is not None:  # managers: their teams' leavers
        all_plans = all_plans.filter(scope)
    groups = {
        "Upcoming": [p for p in all_plans if p.status == "open" and p.last_day > today],
        "In progress": [p for p in all_plans if p.status == "open" and p.last_day <= today],
        "Done": [p for p in all_plans if p.status != "open"][::-1][:50],
    }
    return render(request, "handover/plans.html", {"groups": groups})


@role_required(*PEOPLE_ROLES)
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(HandoverPlan.objects.select_related("employee"), pk=plan_id)
    if not sees_employee(request.user, plan.employee):
        raise Http404("No such handover plan in your teams.")
    me = employee_of(request.user)
    notes_form = ExitInterviewForm(initial={"exit_interview_notes": plan.exit_interview_notes})
    if request.method == "POST":
        try:
            if "accept_all" in request.POST or "save_successors" in request.POST:
                if not has_role(request.user, MANAGER_ROLES):
                    raise PermissionDenied("Only managers assign successors.")
                choices = {}
                if "save_successors" in request.POST:
                    for key, value in request.POST.items():
                        if key.startswith("successor-") and value:
                            choices[int(key.removeprefix("successor-"))] = int(value)
                count = services.accept_successors(plan=plan, by=me, choices=choices)
                messages.success(request, f"{count} successor(s) accepted.")
            elif "cancel" in request.POST:
                if not has_role(request.user, HR_ROLES):
                    raise PermissionDenied("Only HR cancels a departure.")
                services.cancel_departure(plan=plan, by=me, note=request.POST.get("note", ""))
                messages.success(request, "Departure cancelled: the employee stays.")
            elif "save_notes" in request.POST:
                if not has_role(request.user, HR_ROLES):
                    raise PermissionDenied("Only HR edits exit-interview notes.")
                notes_form = ExitInterviewForm(request.POST)
                if notes_form.is_valid():
                    plan.exit_interview_notes = notes_form.cleaned_data["exit_interview_notes"]
                    plan.save(update_fields=["exit_interview_notes"])
                    messages.success(request, "Exit-interview notes saved.")
            return redirect("handover:plan", plan.pk)
        except ValidationError as error:
            for problem in error.messages:
                messages.error(request, problem)

    tasks = list(
        plan.tasks.select_related("customer", "recommended_successor", "successor")
        .annotate(
            steps_total=Count("steps", filter=Q(steps__cancelled=False)),
            steps_done=Count("steps", filter=Q(steps__done_at__isnull=False)),
        )
        .order_by("-priority")
    )
    candidates = (
        Employee.objects.filter(
            status=Employee.Status.ACTIVE,
            role__in=[Employee.Role.ACCOUNT_MANAGER, Employee.Role.MANAGER],
        )
        .exclude(pk=plan.employee_id)
        .order_by("name")
    )
    done = sum(t.steps_done for t in tasks)
    total = sum(t.steps_total for t in tasks)
    outcome = (
        next(
            (
                o
                for o in departure_outcomes(as_of=timezone.localdate())
                if o.employee_id == plan.employee_id
            ),
            None,
        )
        if plan.last_day_processed_at
        else None
    )
    return render(
        request,
        "handover/plan.html",
        {
            "plan": plan,
            "tasks": tasks,
            "candidates": candidates,
            "progress": round(100 * done / total) if total else 0,
            "steps_done": done,
            "steps_total": total,
            "can_assign": has_role(request.user, MANAGER_ROLES) and plan.status == "open",
            "can_cancel": has_role(request.user, HR_ROLES)
            and plan.status == "open"
            and not plan.last_day_processed_at,
            "is_hr": has_role(request.user, HR_ROLES),
            "notes_form": notes_form,
            "outcome": outcome,
            "windows": OUTCOME_WINDOWS,
        },
    )


@login_required
def my_steps(request: HttpRequest) -> HttpResponse:
    me = employee_of(request.user)
    steps = (
        open_steps(me)
        .select_related("task__customer", "task__plan__employee")
        .order_by("due_on")[:200]
        if me
        else []
    )
    forms = [(step, StepDoneForm(step=step, prefix=f"step-{step.pk}")) for step in steps]
    return render(
        request, "handover/my_steps.html", {"forms": forms, "today": timezone.localdate()}
    )


@login_required
@require_POST
def complete_step(request: HttpRequest, step_id: int) -> HttpResponse:
    me = employee_of(request.user)
    step = get_object_or_404(
        HandoverStep.objects.select_related("task__customer", "task__plan__employee"), pk=step_id
    )
    if step.assignee_id != getattr(me, "pk", None) and not (
        has_role(request.user, MANAGER_ROLES)
        and sees_employee(request.user, step.task.plan.employee)
    ):
        raise PermissionDenied("This step is assigned to someone else.")
    form = StepDoneForm(request.POST, step=step, prefix=f"step-{step.pk}")
    if form.is_valid():
        try:
            services.complete_step(step=step, by=me, **form.cleaned_data)
        except ValidationError as error:
            for problem in error.messages:
                messages.error(request, f"{step}: {problem}")
        else:
            messages.success(request, f"{step} done.")
    else:
        for field, problems in form.errors.items():
            messages.error(request, f"{step}: {field}: {' '.join(problems)}")
    return redirect("handover:my_steps")


@role_required(*PEOPLE_ROLES)
def outcomes(request: HttpRequest) -> HttpResponse:
    results = departure_outcomes(as_of=timezone.localdate(), people=employee_scope(request.user))
    return render(
        request,
        "handover/outcomes.html",
        {
            "outcomes": results[:100],
            "summaries": {days: outcome_summary(results, days) for days in OUTCOME_WINDOWS},
            "windows": OUTCOME_WINDOWS,
        },
    )
