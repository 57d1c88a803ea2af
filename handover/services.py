"""Writes for departures and handovers. Every function here is safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.models import Customer, OwnerRole, OwnershipReason
from handover.chain import acting_manager
from handover.models import HandoverPlan, HandoverStep, HandoverTask
from handover.notices import notify_start, notify_successors
from handover.selectors import handover_proposals
from retention.text_limits import check_length
from retention.wording import Day, Worded
from staff.access import unable_as_read_by
from staff.models import Employee, last_day_problem

logger = logging.getLogger(__name__)
Kind = HandoverStep.Kind


# --- starting and cancelling ----------------------------------------------------------------


def start_departure(
    *,
    employee: Employee,
    last_day: dt.date,
    reason: str,
    voluntary: bool,
    by: Employee | None,
    exit_interview_notes: str = "",
    today: dt.date | None = None,
) -> HandoverPlan:
    """Record that `employee` leaves on `last_day` and open the handover plan; the
    handover tasks are raised by a Celery task once this transaction commits. Two
    requests for one person at once (a double click) record it once: the employee's row
    is locked while the rules are checked, and the second is told the handover is in
    progress (also where the database, not a lock, is what stops it)."""
    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        try:
            with transaction.atomic():
                return _start_departure(
                    employee=employee,
                    last_day=last_day,
                    reason=reason,
                    voluntary=voluntary,
                    by=by,
                    exit_interview_notes=exit_interview_notes,
                    today=today,
                )
        except IntegrityError:
            if not HandoverPlan.objects.filter(employee=employee).exists():
                raise
            raise ValidationError(
                {
                    "employee": Worded(
                        gettext_noop("%(name)s already has a handover in progress."),
                        name=employee.name,
                    )
                }
            ) from None


def _start_departure(
    *,
    employee: Employee,
    last_day: dt.date,
    reason: str,
    voluntary: bool,
    by: Employee | None,
    exit_interview_notes: str = "",
    today: dt.date | None = None,
) -> HandoverPlan:
    today = today or timezone.localdate()
    check_length(HandoverPlan, "exit_interview_notes", exit_interview_notes)
    errors: dict[str, str] = {}
    if employee.status == Employee.Status.DEPARTED:
        errors["employee"] = Worded(
            gettext_noop("%(name)s has already left the company (last day %(last_day)s)."),
            name=employee.name,
            last_day=str(employee.departure_date),
        )
    elif HandoverPlan.objects.filter(employee=employee, status=HandoverPlan.Status.OPEN).exists():
        errors["employee"] = Worded(
            gettext_noop("%(name)s already has a handover in progress."), name=employee.name
        )
    elif by is not None and by.pk == employee.pk:
        errors["employee"] = Worded(
            gettext_noop("Nobody records their own departure; ask a colleague in HR.")
        )
    elif employee.role == Employee.Role.ADMIN and (by is None or by.role != Employee.Role.ADMIN):
        # An integration key or an import has no person behind it: it never ends an
        # admin's access.
        errors["employee"] = _("%(name)s is an admin: only an admin records their departure.") % {
            "name": employee.name
        }
    problem = last_day_problem(last_day, today=today)
    if problem:
        errors["last_day"] = problem
    elif last_day < employee.hired_on:
        errors["last_day"] = Worded(
            gettext_noop("The last day %(last_day)s is before the hire date %(hired_on)s."),
            last_day=str(last_day),
            hired_on=str(employee.hired_on),
        )
    if not reason.strip():
        errors["reason"] = Worded(
            gettext_noop("Give the reason for leaving (it is management data).")
        )
    if errors:
        raise ValidationError(errors)

    from retention.jobs.steps import StepSpec, start_job

    with transaction.atomic():
        employee.status = Employee.Status.DEPARTING
        employee.departure_date = last_day
        employee.departure_announced_on = min(today, last_day)
        employee.departure_reason = reason
        employee.departure_voluntary = voluntary
        employee.save()
        plan = HandoverPlan(
            employee=employee,
            last_day=last_day,
            reason=reason,
            voluntary=voluntary,
            exit_interview_notes=exit_interview_notes,
            created_by=by,
        )
        plan.add_log("departure_recorded", person=str(by) if by else None, day=last_day.isoformat())
        plan.save()
        recommend_again(leaver_ids=[employee.pk], today=today)
        # A durable job, sent once committed: with the broker down the plan is still
        # recorded with its job queued, and the watchdog sends it when the broker is back.
        start_job(
            StepSpec(
                name="raise_handover_tasks",
                subject=f"plan {plan.pk}",
                target="handover.tasks.raise_handover_tasks",
                kwargs={"plan_id": plan.pk},
            )
        )
    return plan


def cancel_departure(*, plan: HandoverPlan, by: Employee | None, note: str = "") -> None:
    """The person stays: close the plan and its open tasks and steps. Ownership already
    changed (by hand or on the last day) is left as it is."""
    try:
        MaxLengthValidator(HandoverPlan.LOG_NOTE_MAX_LENGTH)(note.strip())
    except ValidationError as error:
        raise ValidationError({"note": error.messages}) from None
    if by is not None and by.pk == plan.employee_id:
        raise ValidationError(
            {
                "plan": Worded(
                    gettext_noop("Nobody cancels their own departure; ask a colleague in HR.")
                )
            }
        )
    if plan.status != HandoverPlan.Status.OPEN:
        raise ValidationError(
            {
                "plan": _("This handover is already %(status)s.")
                % {"status": str(plan.get_status_display()).lower()}
            }
        )
    if plan.last_day_processed_at:
        raise ValidationError(
            {
                "plan": _(
                    "The last day (%(day)s) has passed: the access has ended and the customers "
                    "are handed over, so the departure cannot be cancelled. Someone who comes "
                    "back is hired again."
                )
                % {"day": date_format(plan.last_day)}
            }
        )
    if plan.last_day < timezone.localdate():
        # Said as it is: the night's handover job has not run for this plan yet.
        raise ValidationError(
            {
                "plan": _(
                    "The last day (%(day)s) has passed: the access has ended, and the next "
                    "nightly handover run hands the customers over, so the departure cannot be "
                    "cancelled. Someone who comes back is hired again."
                )
                % {"day": date_format(plan.last_day)}
            }
        )
    with transaction.atomic():
        # A step being done now (its ownership change) finishes before the plan closes,
        # or finds it closed (complete_step locks the plan too).
        locked = HandoverPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != HandoverPlan.Status.OPEN:
            raise ValidationError(
                {
                    "plan": _("This handover is already %(status)s.")
                    % {"status": str(locked.get_status_display()).lower()}
                }
            )
        # A customer already handed over (its ownership changed by hand before the
        # cancellation) stays with its new owner, and so do its introduction and
        # follow-ups: it changed hands all the same. The rest is no longer to do.
        handed_over = Q(ownership_changed_on__isnull=False)
        plan.tasks.filter(status=HandoverTask.Status.OPEN).exclude(handed_over).update(
            status=HandoverTask.Status.CANCELLED
        )
        HandoverStep.objects.filter(task__plan=plan, done_at__isnull=True).exclude(
            task__ownership_changed_on__isnull=False
        ).update(cancelled=True)
        employee = plan.employee
        employee.status = Employee.Status.ACTIVE
        employee.departure_date = None
        employee.departure_announced_on = None
        employee.departure_reason = ""
        employee.departure_voluntary = None
        employee.save()
        plan.status = HandoverPlan.Status.CANCELLED
        plan.closed_at = timezone.now()
        plan.add_log("cancelled", person=str(by) if by else None, note=note.strip())
        plan.save()


# --- raising tasks -------------------------------------------------------------------------------


def raise_tasks(*, plan: HandoverPlan, today: dt.date | None = None) -> int:
    """One task per customer the leaver owns (primary or secondary), with its steps.
    Keyed by (plan, customer): a re-run adds only customers the leaver got since."""
    if plan.status != HandoverPlan.Status.OPEN:
        return 0
    today = today or timezone.localdate()
    proposals = handover_proposals(plan.employee, as_of=today)
    existing = set(plan.tasks.values_list("customer_id", flat=True))
    new = [p for p in proposals if p.customer_id not in existing]
    manager = acting_manager(plan.employee, today)
    with transaction.atomic():
        HandoverTask.objects.bulk_create(
            [
                HandoverTask(
                    plan=plan,
                    customer_id=p.customer_id,
                    role=p.role,
                    annual_value=round(p.annual_value, 2),
                    risk=p.risk,
                    dependence=p.dependence,
                    interaction_share=p.interaction_share,
                    exclusive_contacts=p.exclusive_contacts,
                    priority=p.priority,
                    recommended_successor_id=p.successor_id,
                    recommendation_reasons=p.reasons,
                    successor_over_capacity=p.over_capacity,
                )
                for p in new
            ],
            ignore_conflicts=True,
        )
        tasks = plan.tasks.filter(customer_id__in=[p.customer_id for p in new])
        HandoverStep.objects.bulk_create(
            [step for task in tasks for step in _steps_for(task, plan, manager, today)],
            ignore_conflicts=True,
        )
        first_time = plan.tasks_raised_at is None
        plan.tasks_raised_at = plan.tasks_raised_at or timezone.now()
        if new or first_time:
            plan.add_log("tasks_raised", count=len(new))
        plan.save(update_fields=["tasks_raised_at", "log"])
    # The manager is told of the customers no notice has named yet, and that is logged
    # once the e-mail is handed over: a run killed in between (tasks committed, notice
    # not sent) tells them on its re-run, or the next night, instead of never.
    told = sum(
        entry.get("params", {}).get("count", 0)
        for entry in plan.log
        if entry.get("code") == "manager_told"
    )
    untold = plan.tasks.count() - told
    if untold > 0:
        manager = notify_start(plan, new_count=untold)
        if manager is not None:
            plan.add_log("manager_told", count=untold, manager=manager.name)
            plan.save(update_fields=["log"])
    return len(new)


# The note of a knowledge transfer or joint introduction made "not to do": the leaver's
# last day, and so their access, had passed when the departure was recorded or moved.
PAST_LAST_DAY_NOTE = "Not to do: the last day had passed when the departure was recorded."


def _steps_for(
    task: HandoverTask, plan: HandoverPlan, manager: Employee | None, today: dt.date
) -> list[HandoverStep]:
    # The introduction and the follow-ups are the successor's once a manager accepts
    # them (point_steps_to_successors), not before: a recommended colleague is not told
    # of a departure that is only being planned, and cannot act on it.
    successor_id = task.successor_id
    lead = dt.timedelta(days=settings.KNOWLEDGE_TRANSFER_LEAD_DAYS)
    # A departure recorded after its last day (HR late, within DEPARTURE_GRACE_DAYS):
    # the leaver's access has ended, so neither their knowledge transfer nor a joint
    # introduction can happen any more. They are made not to do, rather than overdue
    # from the start and escalated to the manager the first night.
    too_late = plan.last_day < today
    late_note = PAST_LAST_DAY_NOTE
    steps = [
        HandoverStep(
            task=task,
            kind=Kind.KNOWLEDGE_TRANSFER,
            due_on=max(today, plan.last_day - lead),
            assignee_id=plan.employee_id,
            cancelled=too_late,
            note=late_note if too_late else "",
        ),
        HandoverStep(
            task=task,
            kind=Kind.JOINT_INTRODUCTION,
            due_on=plan.last_day,
            assignee_id=successor_id,
            cancelled=too_late,
            note=late_note if too_late else "",
        ),
        HandoverStep(
            task=task,
            kind=Kind.OWNERSHIP_CHANGE,
            due_on=plan.last_day,
            assignee_id=manager.pk if manager else None,
        ),
    ]
    for days in settings.HANDOVER_FOLLOW_UP_DAYS:
        steps.append(
            HandoverStep(
                task=task,
                kind=Kind.FOLLOW_UP,
                days_after_last_day=days,
                due_on=plan.last_day + dt.timedelta(days=days),
                assignee_id=successor_id,
            )
        )
    return steps


# --- successors -------------------------------------------------------------------------------------


def recommend_again(*, leaver_ids: list[int], today: dt.date | None = None) -> int:
    """People who start leaving (or leave) stop being recommended: every open task of
    another open plan whose recommendation names one of them, and that has no accepted
    successor, gets a fresh recommendation (its steps stay unassigned until a successor
    is accepted). One proposal run per affected plan (a handful), one update."""
    today = today or timezone.localdate()
    stale = HandoverTask.objects.filter(
        plan__status=HandoverPlan.Status.OPEN,
        status=HandoverTask.Status.OPEN,
        ownership_changed_on__isnull=True,
        successor__isnull=True,
        recommended_successor_id__in=leaver_ids,
    ).exclude(plan__employee_id__in=leaver_ids)
    by_plan: dict[int, list[HandoverTask]] = {}
    for task in stale.select_related("plan__employee__team"):
        by_plan.setdefault(task.plan_id, []).append(task)
    changed = []
    for tasks in by_plan.values():
        fresh = {p.customer_id: p for p in handover_proposals(tasks[0].plan.employee, as_of=today)}
        for task in tasks:
            proposal = fresh.get(task.customer_id)
            task.recommended_successor_id = proposal.successor_id if proposal else None
            task.recommendation_reasons = proposal.reasons if proposal else []
            task.successor_over_capacity = bool(proposal and proposal.over_capacity)
            changed.append(task)
    if not changed:
        return 0
    HandoverTask.objects.bulk_update(
        changed, ["recommended_successor", "recommendation_reasons", "successor_over_capacity"]
    )
    return len(changed)


def accept_successors(
    *,
    plan: HandoverPlan,
    by: Employee | None,
    choices: dict[int, int] | None = None,
    only_chosen: bool = False,
    skipped: list[str] | None = None,
) -> int:
    """Set the successor of open tasks and return how many changed.

    `choices` maps task id -> employee id. With `only_chosen` only those tasks change
    ("save the successors chosen above"); otherwise every open task without an accepted
    successor takes its recommendation ("accept all") and accepted ones stay as they
    are. A successor chosen by hand who cannot take customers over refuses the whole
    call; a recommendation that no longer holds (the person is leaving, say) is left
    out, and the customer and reason appended to `skipped`, while the valid ones are
    accepted. Successors must be active; those who would go over capacity are flagged,
    not refused. A call that changes nothing writes nothing, logs nothing and e-mails
    nobody."""
    if plan.status != HandoverPlan.Status.OPEN:
        raise ValidationError({"plan": _("Only a handover in progress takes successors.")})
    choices = choices or {}
    skipped = [] if skipped is None else skipped
    tasks = list(
        plan.tasks.filter(
            status=HandoverTask.Status.OPEN, ownership_changed_on__isnull=True
        ).select_related("customer")
    )
    if only_chosen:
        tasks = [t for t in tasks if t.pk in choices]
    wanted = {t.pk: choices.get(t.pk, t.successor_id or t.recommended_successor_id) for t in tasks}
    people = {
        e.pk: e
        for e in Employee.objects.filter(pk__in={v for v in wanted.values() if v}).select_related(
            "team"
        )
    }
    errors = []
    # Worded for the one choosing: a departure they may not know of is not named.
    unable = unable_as_read_by(
        by.user if by is not None else None, Employee.cannot_own_customers(people)
    )
    valid = []
    for task in tasks:
        successor = people.get(wanted[task.pk])
        problem = None
        if wanted[task.pk] is None:
            problem = _("%(customer)s: no successor chosen or recommended.") % {
                "customer": task.customer
            }
        elif successor is None:
            problem = _("%(customer)s: unknown employee #%(id)s.") % {
                "customer": task.customer,
                "id": wanted[task.pk],
            }
        elif reason := HandoverTask.successor_problem(
            successor, leaver_id=plan.employee_id, unable=unable
        ):
            problem = _("%(customer)s: %(problem)s") % {
                "customer": task.customer,
                "problem": reason,
            }
        if problem is None:
            valid.append(task)
        elif task.pk in choices:
            errors.append(problem)
        else:
            skipped.append(problem)
    if errors:
        raise ValidationError({"successor": errors})
    tasks = valid

    loads = dict(
        Customer.objects.filter(status=Customer.Status.ACTIVE, primary_owner_id__in=people)
        .values("primary_owner_id")
        .annotate(n=Count("id"))
        .values_list("primary_owner_id", "n")
    )
    now = timezone.now()
    changed = []
    for task in sorted(tasks, key=lambda t: -t.priority):
        successor_id = wanted[task.pk]
        if task.role == OwnerRole.PRIMARY and task.successor_id != successor_id:
            loads[successor_id] = loads.get(successor_id, 0) + 1
        if task.successor_id != successor_id or task.accepted_at is None:
            task.successor_id = successor_id
            task.accepted_by = by
            task.accepted_at = now
            task.successor_over_capacity = loads.get(successor_id, 0) > settings.SUCCESSOR_CAPACITY
            changed.append(task)
    if not changed:
        return 0
    with transaction.atomic():
        HandoverTask.objects.bulk_update(
            changed, ["successor", "accepted_by", "accepted_at", "successor_over_capacity"]
        )
        point_steps_to_successors(changed)
        plan.add_log("successors_accepted", count=len(changed), person=str(by) if by else None)
        plan.save(update_fields=["log"])
    notify_successors(plan, changed)
    return len(changed)


def point_steps_to_successors(tasks: list[HandoverTask]) -> None:
    """The successor introduces themselves and follows up: one update per successor."""
    for successor_id in {t.successor_id for t in tasks}:
        HandoverStep.objects.filter(
            task__in=[t for t in tasks if t.successor_id == successor_id],
            kind__in=[Kind.JOINT_INTRODUCTION, Kind.FOLLOW_UP],
            done_at__isnull=True,
        ).update(assignee_id=successor_id)


def change_ownership(*, task: HandoverTask, by: Employee | None) -> HandoverTask:
    """Hand the customer to the task's accepted successor now, before the last day: the
    owner changes with its ownership history and audit event (Customer.save), the task
    records the day and its "ownership change" step is done. Running it again changes
    nothing; the last-day job skips a task whose owner already changed."""
    if task.ownership_changed_on is not None:
        return task
    _still_open(task)
    if task.successor_id is None:
        raise ValidationError(
            {
                "successor": _("Accept a successor for %(customer)s before changing the owner.")
                % {"customer": task.customer}
            }
        )
    unable = unable_as_read_by(
        by.user if by is not None else None, Employee.cannot_own_customers([task.successor_id])
    )
    if task.successor_id in unable:
        # Accepted while they could; since then they left, started leaving or moved to
        # a role that owns no customers: choose another successor.
        raise ValidationError({"successor": unable[task.successor_id]})
    plan = task.plan
    leaver = plan.employee
    # Done after the last day, the change is dated on it, as the last-day job dates it:
    # the leaver owned nothing past the day their access ended.
    today = min(timezone.localdate(), plan.last_day)
    with transaction.atomic():
        # The plan locked, then the task read again: a cancellation or a second click
        # committed meanwhile is seen, never undone.
        HandoverPlan.objects.select_for_update().get(pk=plan.pk)
        current = HandoverTask.objects.select_for_update().get(pk=task.pk)
        _still_open(current)
        if current.ownership_changed_on is not None:
            return current
        customer = Customer.objects.select_for_update().get(pk=task.customer_id)
        field = "primary_owner_id" if task.role == OwnerRole.PRIMARY else "secondary_owner_id"
        if getattr(customer, field) == leaver.pk:
            new_owner = task.successor_id
            if task.role == OwnerRole.SECONDARY and new_owner == customer.primary_owner_id:
                new_owner = None  # the successor already owns it as primary
            if task.role == OwnerRole.PRIMARY and new_owner == customer.secondary_owner_id:
                customer.secondary_owner_id = None
            setattr(customer, field, new_owner)
            customer.save(
                changed_by=by,
                change_reason=OwnershipReason.HANDOVER_LEAVES,
                change_reason_params={"name": leaver.name, "day": plan.last_day.isoformat()},
                change_on=today,
            )
        task.ownership_changed_on = today
        task.save(update_fields=["ownership_changed_on"])
        HandoverStep.objects.filter(
            task=task, kind=Kind.OWNERSHIP_CHANGE, done_at__isnull=True
        ).update(done_at=timezone.now(), done_by=by)
        plan = HandoverPlan.objects.select_for_update().get(pk=plan.pk)
        plan.add_log(
            "ownership_changed",
            customer=str(task.customer),
            successor=str(task.successor),
            person=str(by) if by else None,
        )
        plan.save(update_fields=["log"])
    return task


def _still_open(task: HandoverTask) -> None:
    """Refuse work on a task whose departure was cancelled (the person stays) or that is
    no longer open."""
    cancelled = task.plan.status == HandoverPlan.Status.CANCELLED
    if task.status != HandoverTask.Status.OPEN or (cancelled and not task.ownership_changed_on):
        raise ValidationError(
            {
                "step": Worded(
                    gettext_noop(
                        "The departure of %(name)s was cancelled: %(customer)s stays with them "
                        "and this step is no longer to do."
                    ),
                    name=task.plan.employee.name,
                    customer=task.customer.name,
                )
            }
        )


def complete_step(
    *,
    step: HandoverStep,
    by: Employee | None,
    note: str = "",
    satisfaction: int | None = None,
) -> HandoverStep:
    """Close a checklist step, once: the step is read again under lock, so a step done
    meanwhile (a second tab, the back button) keeps its first record and a step whose
    departure was cancelled is refused. The ownership-change step performs the change:
    it is never a checkbox that only looks done."""
    check_length(HandoverStep, "note", note)
    with transaction.atomic():
        # The plan first, as a cancellation locks it: then the step, read again.
        plan_id = HandoverStep.objects.filter(pk=step.pk).values_list("task__plan_id", flat=True)
        HandoverPlan.objects.select_for_update().filter(pk__in=plan_id).first()
        step = (
            HandoverStep.objects.select_for_update(of=("self",))
            .select_related("task__customer", "task__plan__employee", "done_by")
            .get(pk=step.pk)
        )
        if step.cancelled:
            _still_open(step.task)
        if (
            by is not None
            and step.task.plan.employee_id == by.pk
            and step.kind != Kind.KNOWLEDGE_TRANSFER
        ):
            # The leaver writes down what they know; the introduction, the ownership
            # change and the follow-ups are their successor's and manager's.
            raise ValidationError(
                {
                    "step": Worded(
                        gettext_noop(
                            "Only the knowledge transfer of your own handover is yours to do; "
                            "your successor and your manager do the rest."
                        )
                    )
                }
            )
        if step.done_at is not None:
            raise ValidationError(
                {
                    "step": Worded(
                        gettext_noop(
                            "This step was already done on %(day)s by %(person)s; its record "
                            "is kept."
                        ),
                        day=Day(timezone.localdate(step.done_at)),
                        person=step.done_by.name if step.done_by else "-",
                    )
                }
            )
        _still_open(step.task)
        return _complete(step, by, note, satisfaction)


def close_finished_tasks(tasks) -> int:
    """Mark done the open tasks of `tasks` (a queryset) whose steps are all done (none
    left to do, at least one done): the plan page, the API and the admin then read them
    as finished. Returns how many."""
    pending = HandoverStep.objects.filter(
        task=OuterRef("pk"), done_at__isnull=True, cancelled=False
    )
    done = HandoverStep.objects.filter(task=OuterRef("pk"), done_at__isnull=False)
    return (
        tasks.filter(status=HandoverTask.Status.OPEN)
        .filter(Exists(done))
        .exclude(Exists(pending))
        .update(status=HandoverTask.Status.DONE)
    )


def _complete(step: HandoverStep, by, note: str, satisfaction: int | None) -> HandoverStep:
    step = _complete_step(step, by, note, satisfaction)
    close_finished_tasks(HandoverTask.objects.filter(pk=step.task_id))
    return step


def _complete_step(step: HandoverStep, by, note: str, satisfaction: int | None) -> HandoverStep:
    if step.kind == Kind.OWNERSHIP_CHANGE:
        change_ownership(task=step.task, by=by)
        step.refresh_from_db()
        if note:
            step.note = note
            step.save(update_fields=["note"])
        return step
    if step.kind == Kind.FOLLOW_UP and not step.task.ownership_changed_on:
        # A follow-up is the new owner's contact after the handover (14, 30, 90 days
        # after the last day): before the customer is theirs, a recommended successor
        # could tick off a +90 days follow-up on day one.
        raise ValidationError(
            {
                "step": Worded(
                    gettext_noop(
                        "A follow-up comes after the handover: it can be marked done once the "
                        "ownership of %(customer)s has changed."
                    ),
                    customer=step.task.customer.name,
                )
            }
        )
    step.note = note or step.note
    step.satisfaction = satisfaction if satisfaction is not None else step.satisfaction
    step.done_at = timezone.now()
    step.done_by = by
    step.full_clean()
    step.save()
    return step
