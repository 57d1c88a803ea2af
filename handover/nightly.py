"""The nightly handover job: on each leaver's last day their customers go to the accepted
successors (or the manager), their login closes; overdue steps are escalated, finished
plans closed, open plans re-ranked. Each plan is one transaction; safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, F, FloatField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer, OwnerRole, OwnershipPeriod, OwnershipReason, RiskScore
from handover.chain import acting_manager, managers_up_the_chain
from handover.models import HandoverPlan, HandoverStep, HandoverTask
from handover.services import (
    close_finished_tasks,
    point_steps_to_successors,
    raise_tasks,
    recommend_again,
)
from retention import refusals
from retention.jobs import steps as job_steps
from retention.wording import coded
from staff.language import language_of
from staff.models import Employee

logger = logging.getLogger(__name__)
Kind = HandoverStep.Kind


@dataclass
class NightlyResult:
    handed_over: int = 0
    to_manager: int = 0
    locked_out: int = 0
    escalated: int = 0
    completed_plans: int = 0


def process_handovers(*, as_of: dt.date) -> NightlyResult:
    """Nightly: hand over the customers of everyone whose last day has ended (before
    `as_of`: the night of a day runs in its small hours, and the leaver works their last
    day, with their access, as staff.models.access_ended has it), escalate overdue steps,
    close finished plans. Each plan is one transaction; re-running repeats nothing
    already done."""
    result = NightlyResult()
    _refresh_open_plans(as_of)
    due = HandoverPlan.objects.filter(
        status=HandoverPlan.Status.OPEN, last_day__lt=as_of, last_day_processed_at__isnull=True
    ).select_related("employee", "employee__team", "employee__user")

    # One per departing employee: a handful a night. Within a plan a customer that cannot
    # be handed over (no able successor and no manager to fall back on) stays with its
    # task open and is named on the plan; a plan that fails as a whole is set aside with
    # the reason, shown on its page, stays due, and the other leavers' customers are
    # handed over.
    for plan in due:
        outcome = _last_day_or_set_aside(plan, as_of)
        if outcome is not None:
            result.handed_over += outcome[0]
            result.to_manager += outcome[1]
            result.locked_out += outcome[2]
    close_finished_tasks(HandoverTask.objects.all())  # the last-day job's steps too
    result.completed_plans = _close_finished_plans()
    # Last: a mail server that cannot be reached fails the step after the rest is done.
    result.escalated = _escalate_overdue(as_of)
    return result


def _last_day_or_set_aside(plan: HandoverPlan, as_of: dt.date) -> tuple[int, int, bool] | None:
    try:
        with transaction.atomic():
            raise_tasks(plan=plan, today=as_of)
            return _hand_over_on_last_day(plan, as_of)
    except job_steps.TRANSIENT:
        raise
    except Exception as error:  # noqa: BLE001 - one plan's fault is recorded, not fatal
        logger.exception("Setting aside handover plan %s", plan.pk)
        why = refusals.explain(error, model=HandoverPlan)
        job_steps.set_aside(**_plan_record(plan), **why)
        with transaction.atomic():
            plan = HandoverPlan.objects.select_for_update().get(pk=plan.pk)
            # The plan's page words the reason for its reader; the raw text stays on the
            # jobs page, for admins.
            reason = why["reason"]
            plan.add_log("last_day_failed", reason={"message": str(reason), **coded(reason)})
            plan.save(update_fields=["log"])
        return None


def _refresh_open_plans(as_of: dt.date) -> None:
    """Raise tasks a lost message never raised, and re-rank open tasks by the latest
    scores: priority = value x today's risk x dependence."""
    job_steps.each_or_set_aside(
        HandoverPlan.objects.filter(
            status=HandoverPlan.Status.OPEN, tasks_raised_at__isnull=True
        ).select_related("employee", "employee__team"),
        lambda plan: raise_tasks(plan=plan, today=as_of),
        describe=_plan_record,
    )
    current = RiskScore.objects.current().filter(customer_id=OuterRef("customer_id"))
    open_tasks = HandoverTask.objects.filter(
        status=HandoverTask.Status.OPEN,
        plan__status=HandoverPlan.Status.OPEN,
        ownership_changed_on__isnull=True,
    )
    open_tasks.filter(Exists(current)).update(risk=Subquery(current.values("probability")[:1]))
    open_tasks.update(priority=Cast("annual_value", FloatField()) * F("risk") * F("dependence"))


def _plan_record(plan: HandoverPlan) -> dict:
    return {"model": "handover plan", "object_id": plan.pk, "key": plan.employee.name}


def _hand_over_on_last_day(
    plan: HandoverPlan, as_of: dt.date | None = None
) -> tuple[int, int, bool]:
    """Every customer the leaver still owns goes to its accepted successor, else (or if
    that person can no longer take customers: left, last day passed, login disabled) to
    the leaver's manager. A customer nobody able can take keeps its task open and is
    named in the plan's log and on the jobs page, and the plan stays due for the next
    night; the others are handed over all the same and the leaver is locked out. The ownership
    history stays honest: the leaver's period ends on the last day, or on the day it
    started if that was later (a customer given to them after their last day), and the
    successor's starts where it ended."""
    as_of = as_of or timezone.localdate()
    leaver = plan.employee
    # The manager takes what has no successor; a manager who is leaving too (or gone)
    # passes it on to the nearest manager above who stays.
    chain = managers_up_the_chain(leaver)
    manager = chain[0] if chain else None
    with transaction.atomic():
        plan = HandoverPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.last_day_processed_at:
            return 0, 0, False
        tasks = list(
            plan.tasks.filter(
                status=HandoverTask.Status.OPEN, ownership_changed_on__isnull=True
            ).select_related("customer")
        )
        unable = Employee.cannot_own_customers(
            {t.successor_id for t in tasks if t.successor_id} | {m.pk for m in chain},
            today=as_of,
        )
        taker = next((m for m in chain if m.pk not in unable), None)
        fallback = taker.pk if taker else None
        reason = (
            "no successor accepted by the last day: the manager takes over"
            if taker is manager
            else "no successor accepted by the last day and the manager is leaving: "
            "the next manager up takes over"
        )
        to_manager, stuck = 0, []
        for task in tasks:
            if task.successor_id is not None and task.successor_id not in unable:
                continue
            if fallback is None:
                why = (
                    unable[manager.pk]
                    if manager
                    else _("%(name)s has no manager to take it over; set one.")
                    % {"name": leaver.name}
                )
                stuck.append(f"{task.customer}: {why}")
                continue
            task.successor_id = fallback
            task.recommendation_reasons = [*task.recommendation_reasons, reason]
            to_manager += 1
        stuck_ids = {t.pk for t in tasks if t.successor_id is None or t.successor_id in unable}
        tasks = [t for t in tasks if t.pk not in stuck_ids]
        customers = {
            c.pk: c
            for c in Customer.objects.select_for_update().filter(
                pk__in=[t.customer_id for t in tasks]
            )
        }
        started = {
            (customer_id, role): started_on
            for customer_id, role, started_on in OwnershipPeriod.objects.filter(
                customer_id__in=customers, ended_on__isnull=True
            ).values_list("customer_id", "role", "started_on")
        }
        changed_customers, closing, opening = [], [], []
        for task in tasks:
            customer = customers[task.customer_id]
            field = "primary_owner_id" if task.role == OwnerRole.PRIMARY else "secondary_owner_id"
            if getattr(customer, field) != leaver.pk:
                task.ownership_changed_on = plan.last_day  # already changed by hand
                continue
            new_owner = task.successor_id
            if task.role == OwnerRole.SECONDARY and new_owner == customer.primary_owner_id:
                new_owner = None  # the successor already owns it as primary
            if task.role == OwnerRole.PRIMARY and new_owner == customer.secondary_owner_id:
                customer.secondary_owner_id = None
                closing.append((customer.pk, OwnerRole.SECONDARY))
            setattr(customer, field, new_owner)
            changed_customers.append(customer)
            closing.append((customer.pk, task.role))
            if new_owner:
                leaver_since = started.get((customer.pk, task.role), plan.last_day)
                opening.append(
                    OwnershipPeriod(
                        customer_id=customer.pk,
                        employee_id=new_owner,
                        role=task.role,
                        started_on=max(plan.last_day, leaver_since),
                        changed_by=None,
                        reason=OwnershipReason.HANDOVER_LEFT,
                        reason_params={"name": leaver.name, "day": plan.last_day.isoformat()},
                    )
                )
            task.ownership_changed_on = plan.last_day
        Customer.objects.bulk_update(changed_customers, ["primary_owner", "secondary_owner"])
        closed = Q(pk__in=[])
        for customer_id, role in closing:
            closed |= Q(customer_id=customer_id, role=role)
        OwnershipPeriod.objects.filter(closed, ended_on__isnull=True).update(
            ended_on=Greatest(F("started_on"), Value(plan.last_day))
        )
        OwnershipPeriod.objects.bulk_create(opening)
        HandoverTask.objects.bulk_update(
            tasks, ["successor", "recommendation_reasons", "ownership_changed_on"]
        )
        HandoverStep.objects.filter(
            task__in=tasks, kind=Kind.OWNERSHIP_CHANGE, done_at__isnull=True
        ).update(done_at=timezone.now(), note="Ownership changed by the last-day job.")
        point_steps_to_successors(tasks)
        locked_out = leaver.status != Employee.Status.DEPARTED
        leaver.status = Employee.Status.DEPARTED
        leaver.departure_date = leaver.departure_date or plan.last_day
        leaver.save(update_fields=["status", "departure_date", "updated_at"])
        if leaver.user_id:
            leaver.user.is_active = False
            leaver.user.save(update_fields=["is_active"])
        # The leaver's own steps in other handovers go to someone still here: the
        # introduction and follow-ups of a customer they had taken over with the customer
        # (its successor in this plan, handed over tonight or by hand before, else its
        # primary owner, if able and not that plan's own leaver); an ownership change, or
        # a step nobody able takes that way, to that plan's acting manager.
        _hand_on_earlier_steps(plan, leaver, as_of)
        if changed_customers or locked_out:
            plan.add_log(
                "last_day_processed",
                changed=len(changed_customers),
                count=to_manager,
                manager=str(taker) if taker else None,
                name=leaver.name,
            )
        if stuck:
            # The plan stays due: the next night tries these customers again (a manager
            # set meanwhile takes them); the jobs page and the plan page name them.
            plan.add_log("not_handed_over", count=len(stuck), customers=stuck)
            job_steps.set_aside(**_plan_record(plan), reason=" ".join(stuck)[:1000])
        else:
            plan.last_day_processed_at = timezone.now()
        plan.save()
    recommend_again(leaver_ids=[leaver.pk], today=as_of)
    logger.info("handover %s: last day processed", plan.pk)
    return len(changed_customers), to_manager, locked_out


def _hand_on_earlier_steps(plan: HandoverPlan, leaver: Employee, as_of: dt.date) -> int:
    earlier = list(
        HandoverStep.objects.filter(assignee=leaver, done_at__isnull=True, cancelled=False)
        .exclude(task__plan=plan)
        .select_related("task__plan__employee")
    )
    if not earlier:
        return 0
    customers = {step.task.customer_id for step in earlier}
    successor = dict(
        plan.tasks.filter(customer_id__in=customers, successor__isnull=False).values_list(
            "customer_id", "successor_id"
        )
    )
    primary = dict(Customer.objects.filter(pk__in=customers).values_list("pk", "primary_owner_id"))
    candidates = set(successor.values()) | {p for p in primary.values() if p}
    unable = Employee.cannot_own_customers(candidates, today=as_of) if candidates else {}
    managers: dict[int, Employee | None] = {}
    moved = []
    for step in earlier:
        other_leaver = step.task.plan.employee
        taker = successor.get(step.task.customer_id) or primary.get(step.task.customer_id)
        if (
            step.kind == Kind.OWNERSHIP_CHANGE  # a manager's step
            or taker in (None, leaver.pk, other_leaver.pk)  # not the other plan's leaver
            or taker in unable
        ):
            if other_leaver.pk not in managers:
                managers[other_leaver.pk] = acting_manager(other_leaver, as_of)
            taker = getattr(managers[other_leaver.pk], "pk", None)
        if taker and taker != leaver.pk:
            step.assignee_id = taker
            moved.append(step)
    HandoverStep.objects.bulk_update(moved, ["assignee"])
    return len(moved)


def _escalate_overdue(as_of: dt.date) -> int:
    """Overdue steps go to the leaver's acting manager, one e-mail per manager. A step is
    marked escalated once its manager's e-mail is handed to the mail server (as the
    digests are): a run killed before that, or a message the server refuses (set aside),
    leaves the steps to the step's re-run or the next night, so no escalation is lost;
    at most the one e-mail in flight goes out twice."""
    overdue = HandoverStep.objects.filter(
        # An open plan's; of a cancelled one, the customers it had handed over already.
        Q(task__plan__status=HandoverPlan.Status.OPEN)
        | Q(
            task__plan__status=HandoverPlan.Status.CANCELLED,
            task__ownership_changed_on__isnull=False,
        ),
        task__status=HandoverTask.Status.OPEN,
        done_at__isnull=True,
        cancelled=False,
        escalated_on__isnull=True,
        due_on__lt=as_of,
    ).select_related("task__plan__employee__manager", "task__plan__employee__team__manager")
    # To the leaver's manager, or the nearest manager above who is still here.
    acting: dict[int, Employee | None] = {}

    def escalation_target(leaver: Employee) -> Employee | None:
        if leaver.pk not in acting:
            acting[leaver.pk] = acting_manager(leaver, as_of)
        return acting[leaver.pk]

    by_manager: dict[Employee | None, list[HandoverStep]] = {}
    for step in overdue:
        step.escalated_to = escalation_target(step.task.plan.employee)
        step.escalated_on = as_of
        by_manager.setdefault(step.escalated_to, []).append(step)
    nobody = by_manager.pop(None, [])  # no manager to tell: escalated, with no e-mail
    HandoverStep.objects.bulk_update(nobody, ["escalated_to", "escalated_on"])
    escalated = len(nobody)
    if not by_manager:
        return escalated
    with job_steps.mail_connection() as mail:
        for manager, steps in by_manager.items():
            job_steps.check_still_owner()  # a step taken over meanwhile: its new owner sends
            refused = job_steps.send_or_set_aside(
                mail,
                [(manager, _escalation_message(manager, steps))],
                describe=lambda person: {
                    "model": "handover escalation",
                    "object_id": person.pk,
                    "key": person.name,
                },
            )
            if not refused:
                HandoverStep.objects.bulk_update(steps, ["escalated_to", "escalated_on"])
                escalated += len(steps)
    return escalated


def _escalation_message(manager: Employee, steps: list[HandoverStep]) -> EmailMessage:
    with translation.override(language_of(manager)):
        lines = "\n".join(
            "- "
            + _("%(step)s for %(customer)s (due %(day)s)")
            % {
                "step": s.get_kind_display(),
                "customer": s.task.customer,
                "day": date_format(s.due_on),
            }
            for s in steps
        )
        subject = ngettext(
            "%(count)d overdue handover step", "%(count)d overdue handover steps", len(steps)
        ) % {"count": len(steps)}
        body = _("These handover steps are overdue and now need your attention:")
    return EmailMessage(subject, f"{body}\n{lines}\n", None, [manager.email])


def _close_finished_plans() -> int:
    pending = HandoverStep.objects.filter(
        task__plan=OuterRef("pk"), done_at__isnull=True, cancelled=False
    )
    finished = HandoverPlan.objects.filter(
        status=HandoverPlan.Status.OPEN, last_day_processed_at__isnull=False
    ).filter(~Exists(pending))
    count = 0
    for plan in finished:
        plan.status = HandoverPlan.Status.COMPLETE
        plan.closed_at = timezone.now()
        plan.add_log("complete")
        plan.save(update_fields=["status", "closed_at", "log"])
        count += 1
    return count
