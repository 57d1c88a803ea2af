from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.models import Segment
from handover import services
from handover.forms import DepartureForm, ExitInterviewForm, StepDoneForm
from handover.models import HandoverPlan, HandoverStep
from handover.plan_log import entry_text
from handover.selectors import (
    OUTCOME_WINDOWS,
    departure_outcomes,
    exposure_report,
    handover_proposals,
    open_steps,
    outcome_summary,
    plans_seen_by,
    plans_with_progress,
)
from retention.post_only import post_only
from staff.access import (
    HR_ROLES,
    MANAGER_ROLES,
    PEOPLE_ROLES,
    employee_of,
    employee_scope,
    has_role,
    offered_people,
    role_of,
    role_required,
    sees_employee,
    sees_records,
)
from staff.models import OWNER_ROLES, Employee

PLAN_PAGE_SIZE = 25
TASK_STATES = {
    "": (gettext_lazy("All customers"), Q()),
    "needs_successor": (gettext_lazy("No accepted successor"), Q(accepted_at__isnull=True)),
    "accepted": (
        gettext_lazy("Successor accepted, owner not changed"),
        Q(accepted_at__isnull=False, ownership_changed_on__isnull=True),
    ),
    "changed": (gettext_lazy("Owner changed"), Q(ownership_changed_on__isnull=False)),
}
TASK_SORTS = {
    "priority": (gettext_lazy("Priority"), ("-priority", "id")),
    "value": (gettext_lazy("Value"), ("-annual_value", "id")),
    "name": (gettext_lazy("Name"), ("customer__name", "id")),
}


@role_required(*PEOPLE_ROLES)
def exposure(request: HttpRequest) -> HttpResponse:
    scope = employee_scope(request.user)  # managers: the people in their teams
    ids = (
        None if scope is None else list(Employee.objects.filter(scope).values_list("pk", flat=True))
    )
    today = timezone.localdate()
    rows = exposure_report(as_of=today, employee_ids=ids)
    # HR reads no risk score, not even summed per person (README "Who sees what").
    risk_shown = has_role(request.user, MANAGER_ROLES)
    return render(
        request,
        "handover/exposure.html",
        {"rows": rows[:100], "total": len(rows), "today": today, "risk_shown": risk_shown},
    )


@role_required(*PEOPLE_ROLES)
def what_if(request: HttpRequest, employee_id: int) -> HttpResponse:
    employee = get_object_or_404(Employee.objects.select_related("team"), pk=employee_id)
    if not sees_employee(request.user, employee):
        raise Http404(_("No such employee in your teams."))
    today = timezone.localdate()
    rows = exposure_report(as_of=today, employee_ids=[employee.pk])
    proposals = handover_proposals(employee, as_of=today)
    # Managers of the team and admins see the customers by name. HR sees names only for
    # someone who is leaving (their customers are in a handover plan); for anyone else
    # the figures by value tier, without a customer's name (README "Who sees what").
    risk_shown = has_role(request.user, MANAGER_ROLES)
    names_shown = risk_shown or employee.status != "active"
    if not risk_shown:
        # HR reads no customer's risk, dependence, priority or the reasons read from
        # interactions (README "Who sees what"): the leaver's customers by value, as
        # on the plan page, so not even their order tells the risk.
        proposals = sorted(proposals, key=lambda p: (-p.annual_value, p.customer_name))
    by_tier = [
        {
            "label": label,
            "count": sum(1 for p in proposals if p.segment == value),
            "value": sum(p.annual_value for p in proposals if p.segment == value),
            "priority": sum(p.priority for p in proposals if p.segment == value),
        }
        for value, label in Segment.choices
    ]
    return render(
        request,
        "handover/what_if.html",
        {
            "employee": employee,
            "row": rows[0] if rows else None,
            "proposals": proposals[:50] if names_shown else [],
            "names_shown": names_shown,
            "risk_shown": risk_shown,
            "by_tier": by_tier,
            "count": len(proposals),
            # HR opens only customers already in a handover plan: names stay plain there.
            "link_customers": has_role(request.user, MANAGER_ROLES),
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
                _("Departure of %(name)s recorded; the handover tasks are being raised.")
                % {"name": plan.employee.name},
            )
            return redirect("handover:plan", plan.pk)
    return render(request, "handover/start.html", {"form": form})


@role_required(*PEOPLE_ROLES)
def plans(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    # Managers: their teams' leavers; nobody their own departure.
    all_plans = plans_seen_by(request.user, plans_with_progress().order_by("last_day"))
    groups = {
        _("Upcoming"): [p for p in all_plans if p.status == "open" and p.last_day > today],
        _("In progress"): [p for p in all_plans if p.status == "open" and p.last_day <= today],
        _("Done"): [p for p in all_plans if p.status != "open"][::-1][:50],
    }
    return render(request, "handover/plans.html", {"groups": groups})


@role_required(*PEOPLE_ROLES)
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(HandoverPlan.objects.select_related("employee"), pk=plan_id)
    me = employee_of(request.user)
    # Nobody manages their own departure (its successors, its cancellation, their own
    # exit-interview notes): a colleague does.
    if not sees_employee(request.user, plan.employee) or plan.employee_id == getattr(
        me, "pk", None
    ):
        raise Http404(_("No such handover plan in your teams."))
    notes_form = ExitInterviewForm(initial={"exit_interview_notes": plan.exit_interview_notes})
    if request.method == "POST":
        try:
            if "accept_all" in request.POST or "save_successors" in request.POST:
                if not has_role(request.user, MANAGER_ROLES):
                    raise PermissionDenied(_("Only managers assign successors."))
                only_chosen = "save_successors" in request.POST
                choices = _chosen_successors(plan, request.POST)
                if not only_chosen:
                    # "Accept all" keeps what was picked in the lists too: a pick other
                    # than what the row shows (its successor, else its recommendation)
                    # wins; the rest take their recommendations.
                    shown = {
                        pk: successor or recommended
                        for pk, successor, recommended in plan.tasks.values_list(
                            "pk", "successor_id", "recommended_successor_id"
                        )
                    }
                    choices = {pk: e for pk, e in choices.items() if e != shown.get(pk)}
                skipped: list[str] = []
                count = services.accept_successors(
                    plan=plan, by=me, choices=choices, only_chosen=only_chosen, skipped=skipped
                )
                if skipped:
                    messages.warning(
                        request,
                        ngettext(
                            "%(count)d recommendation was not accepted: %(reasons)s",
                            "%(count)d recommendations were not accepted: %(reasons)s",
                            len(skipped),
                        )
                        % {"count": len(skipped), "reasons": " ".join(skipped)},
                    )
                if count:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)d successor accepted.", "%(count)d successors accepted.", count
                        )
                        % {"count": count},
                    )
                elif only_chosen:
                    messages.info(request, _("No successor was changed: choose one first."))
                elif not skipped:
                    messages.info(request, _("Every customer already has an accepted successor."))
            elif "cancel" in request.POST:
                if not has_role(request.user, HR_ROLES):
                    raise PermissionDenied(_("Only HR cancels a departure."))
                services.cancel_departure(plan=plan, by=me, note=request.POST.get("note", ""))
                messages.success(request, _("Departure cancelled: the employee stays."))
            elif "save_notes" in request.POST:
                if not has_role(request.user, HR_ROLES):
                    raise PermissionDenied(_("Only HR edits exit-interview notes."))
                notes_form = ExitInterviewForm(request.POST)
                if notes_form.is_valid():
                    plan.exit_interview_notes = notes_form.cleaned_data["exit_interview_notes"]
                    plan.save(update_fields=["exit_interview_notes"])
                    messages.success(request, _("Exit-interview notes saved."))
            return redirect("handover:plan", plan.pk)
        except ValidationError as error:
            for problem in error.messages:
                messages.error(request, problem)

    state = request.GET.get("state") if request.GET.get("state") in TASK_STATES else ""
    # Priority is value x risk x dependence, read from the customer's scores and
    # interactions: not a sort for HR, who read neither (staff/access.py).
    sees_scores = sees_records(role_of(request.user), "riskscore")
    sorts = {k: v for k, v in TASK_SORTS.items() if sees_scores or k != "priority"}
    default_sort = "priority" if sees_scores else "value"
    sort = request.GET.get("sort") if request.GET.get("sort") in sorts else default_sort
    all_tasks = plan.tasks.annotate(
        steps_total=Count("steps", filter=Q(steps__cancelled=False)),
        steps_done=Count("steps", filter=Q(steps__done_at__isnull=False)),
    )
    totals = plan.tasks.aggregate(
        tasks=Count("id"),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        changed=Count("id", filter=Q(ownership_changed_on__isnull=False)),
    )
    steps = HandoverStep.objects.filter(task__plan=plan).aggregate(
        total=Count("id", filter=Q(cancelled=False)),
        done=Count("id", filter=Q(done_at__isnull=False)),
    )
    shown = all_tasks.filter(TASK_STATES[state][1]) if state else all_tasks
    page = Paginator(
        shown.select_related("customer", "recommended_successor", "successor").order_by(
            *TASK_SORTS[sort][1]
        ),
        PLAN_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    # Those who may own customers, and people leaving whose departure the reader may not
    # know of (refused if chosen, without saying why): the list tells nobody who leaves.
    candidates = (
        offered_people(
            request.user,
            Employee.objects.filter(role__in=OWNER_ROLES).exclude(user__is_active=False),
        )
        .exclude(pk=plan.employee_id)
        .order_by("name")
    )
    done, total = steps["done"], steps["total"]
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
            "page": page,
            "query": query.urlencode(),
            "state": state,
            "states": [(key, label) for key, (label, _) in TASK_STATES.items()],
            "sort": sort,
            "sorts": [(key, label) for key, (label, _) in sorts.items()],
            "totals": totals,
            "candidates": candidates,
            "progress": round(100 * done / total) if total else 0,
            "steps_done": done,
            "steps_total": total,
            "can_assign": has_role(request.user, MANAGER_ROLES) and plan.status == "open",
            "can_cancel": has_role(request.user, HR_ROLES)
            and plan.status == "open"
            and not plan.last_day_processed_at
            and plan.last_day >= timezone.localdate(),
            "is_hr": has_role(request.user, HR_ROLES),
            # HR sees names, values and handover status, not risk or interactions (README,
            # roles): no risk, priority or reasons drawn from interactions.
            "sees_scores": sees_scores,
            "notes_form": notes_form,
            "outcome": outcome,
            "windows": OUTCOME_WINDOWS,
            "empty_state": _empty_state(plan) if not totals["tasks"] else "",
            "problem": _last_day_problem(plan),
            "log": [
                {"at": parse_datetime(entry["at"]), "message": entry_text(entry)}
                for entry in plan.log
            ],
        },
    )


def _chosen_successors(plan: HandoverPlan, data) -> dict[int, int]:
    """The successors chosen on the plan page (`successor-<task id>` = employee id), by
    task. A value that is no employee's id is refused by its customer's name, as
    accept_successors names an unknown one."""
    choices: dict[int, int] = {}
    unreadable: dict[str, str] = {}
    for key, value in data.items():
        if not key.startswith("successor-") or not value:
            continue
        task_key = key.removeprefix("successor-")
        if task_key.isdigit() and value.strip().isdigit():
            choices[int(task_key)] = int(value)
        else:
            unreadable[task_key] = value
    if not unreadable:
        return choices
    names = dict(
        plan.tasks.filter(pk__in=[int(k) for k in unreadable if k.isdigit()]).values_list(
            "pk", "customer__name"
        )
    )
    problems = []
    for task_key, value in unreadable.items():
        customer = names.get(int(task_key)) if task_key.isdigit() else None
        if customer is None:
            problems.append(_("%(task)r is not a customer of this handover.") % {"task": task_key})
        else:
            problems.append(
                _("%(customer)s: %(value)r is not an employee; choose one from the list.")
                % {"customer": customer, "value": value}
            )
    raise ValidationError({"successor": problems})


def _empty_state(plan: HandoverPlan) -> str:
    """What is true of a plan without tasks."""
    if plan.status == HandoverPlan.Status.CANCELLED:
        return _("This departure was cancelled before any customer was handed over.")
    if plan.tasks_raised_at is None and plan.status == HandoverPlan.Status.OPEN:
        return _("The handover tasks are being raised; refresh in a moment.")
    return _("%(name)s owned no active customers: there is nothing to hand over.") % {
        "name": plan.employee.name
    }


def _last_day_problem(plan: HandoverPlan) -> str:
    """The last-day job's latest failure on this plan, for HR and the manager to act on:
    the plan set aside as a whole, or the customers it could not hand over, while the
    plan is still due."""
    if plan.status != HandoverPlan.Status.OPEN or plan.last_day_processed_at:
        return ""
    codes = ("last_day_failed", "not_handed_over", "last_day_processed")
    latest = next((e for e in reversed(plan.log) if e.get("code") in codes), None)
    if latest is None or latest["code"] == "last_day_processed":
        return ""
    return entry_text(latest)


STEPS_PAGE_SIZE = 25


@login_required
def my_steps(request: HttpRequest) -> HttpResponse:
    """My open handover steps, 25 a page, by kind; steps that need nothing written
    (introductions, ownership changes) can be marked done together."""
    me = employee_of(request.user)
    kind = request.GET.get("kind") if request.GET.get("kind") in HandoverStep.Kind.values else ""
    steps = (
        open_steps(me).select_related("task__customer", "task__successor", "task__plan__employee")
        if me
        else HandoverStep.objects.none()
    )
    if kind:
        steps = steps.filter(kind=kind)
    page = Paginator(steps.order_by("due_on", "id"), STEPS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # A refused form comes back as it was typed, open, with its errors (complete_step).
    kept = request.session.pop(REFUSED_STEP_KEY, None) or {}
    forms = [
        (
            step,
            StepDoneForm(
                kept["data"] if kept.get("step") == step.pk else None,
                step=step,
                prefix=f"step-{step.pk}",
            ),
        )
        for step in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "handover/my_steps.html",
        {
            "forms": forms,
            "page": page,
            "query": query.urlencode(),
            "kind": kind,
            "kinds": HandoverStep.Kind.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
@post_only("handover:my_steps")
def complete_steps(request: HttpRequest) -> HttpResponse:
    """Mark several of my steps done at once. Steps that need a note or a satisfaction
    score are refused by name (they have their own form); the others are done, the
    ownership changes performed."""
    me = employee_of(request.user)
    ids = [int(v) for v in request.POST.getlist("step") if v.isdigit()]
    steps = list(
        open_steps(me).filter(pk__in=ids).select_related("task__customer", "task__plan__employee")
        if me
        else []
    )
    done, refused = 0, []
    for step in steps:  # a page's worth at most
        if step.kind in (HandoverStep.Kind.KNOWLEDGE_TRANSFER, HandoverStep.Kind.FOLLOW_UP):
            refused.append(str(step))
            continue
        try:
            services.complete_step(step=step, by=me)
        except ValidationError as error:
            refused.append(f"{step}: {' '.join(error.messages)}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(count)d step done.", "%(count)d steps done.", done) % {"count": done},
        )
    if refused:
        messages.error(
            request,
            _("Not done, they need their own form: %(steps)s") % {"steps": "; ".join(refused)},
        )
    if not steps and ids:  # chosen on a page loaded before they were done or cancelled
        messages.info(
            request,
            _("None of the chosen steps is still to do: done already, or its departure cancelled."),
        )
    elif not steps:
        messages.info(request, _("Choose the steps to mark done first."))
    return redirect("handover:my_steps")


# The session key under which a refused step form's typed values wait for my steps.
REFUSED_STEP_KEY = "handover_refused_step"


@login_required
@post_only("handover:my_steps")
def complete_step(request: HttpRequest, step_id: int) -> HttpResponse:
    me = employee_of(request.user)
    step = get_object_or_404(
        HandoverStep.objects.select_related("task__customer", "task__plan__employee"), pk=step_id
    )
    if step.assignee_id != getattr(me, "pk", None) and not (
        has_role(request.user, MANAGER_ROLES)
        and sees_employee(request.user, step.task.plan.employee)
        and step.task.plan.employee_id != getattr(me, "pk", None)  # not their own plan's
    ):
        # As for another person's alert or customer: not there, rather than there and
        # someone else's.
        raise Http404(_("No such handover step among yours."))
    form = StepDoneForm(request.POST, step=step, prefix=f"step-{step.pk}")
    if form.is_valid():
        try:
            services.complete_step(step=step, by=me, **form.cleaned_data)
        except ValidationError as error:
            for problem in error.messages:
                messages.error(request, f"{step}: {problem}")
        else:
            messages.success(request, _("%(step)s done.") % {"step": step})
            return redirect("handover:my_steps")
    else:
        for field, problems in form.errors.items():
            messages.error(request, f"{step}: {field}: {' '.join(problems)}")
    # Refused: what was typed waits for the list, which shows this form again with it.
    request.session[REFUSED_STEP_KEY] = {
        "step": step.pk,
        "data": {key: request.POST[key] for key in request.POST if key.startswith(form.prefix)},
    }
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
