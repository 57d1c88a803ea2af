"""Moving an open plan's last day (the admin's plan page): everything that counts from
it moves with it, in one transaction, and the plan's log says so."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from handover.models import HandoverPlan, HandoverStep
from handover.services import PAST_LAST_DAY_NOTE
from staff.models import Employee, last_day_problem

Kind = HandoverStep.Kind


def last_day_change_problems(
    plan: HandoverPlan, last_day: dt.date, *, today: dt.date | None = None
) -> dict[str, str]:
    """Why a plan's last day cannot be moved to `last_day` (field -> message), or {}:
    only while the plan is open and its last day not yet handled, within the bounds a
    new departure has (last_day_problem), and not before the hire date."""
    # Handled: the night job has run for it (the leaver is departed, even if a customer
    # nobody could take keeps the plan due).
    handled = plan.last_day_processed_at or plan.employee.status == Employee.Status.DEPARTED
    if plan.status != HandoverPlan.Status.OPEN or handled:
        return {
            "last_day": _(
                "The handover of %(name)s is past its last day or closed: its last day stays."
            )
            % {"name": plan.employee.name}
        }
    problem = last_day_problem(last_day, today=today)
    if problem:
        return {"last_day": problem}
    if last_day < plan.employee.hired_on:
        return {
            "last_day": _("The last day %(last_day)s is before the hire date %(hired_on)s.")
            % {"last_day": str(last_day), "hired_on": str(plan.employee.hired_on)}
        }
    return {}


def change_last_day(
    *, plan: HandoverPlan, last_day: dt.date, by: Employee | None, today: dt.date | None = None
) -> HandoverPlan:
    """Move an open plan's last day, everywhere it counts: the employee's departure date
    (when their access ends), the plan, and the due days of the steps not done yet
    (knowledge transfer KNOWLEDGE_TRANSFER_LEAD_DAYS before, introduction and ownership
    change on, follow-ups their days after); a step escalated for a due day that has moved
    ahead is due again. Written to the plan's log. ValidationError as
    last_day_change_problems says."""
    today = today or timezone.localdate()
    with transaction.atomic():
        plan = HandoverPlan.objects.select_for_update().select_related("employee").get(pk=plan.pk)
        errors = last_day_change_problems(plan, last_day, today=today)
        if errors:
            raise ValidationError(errors)
        before = plan.last_day
        if before == last_day:
            return plan
        plan.last_day = last_day
        plan.add_log(
            "last_day_changed",
            person=str(by) if by else None,
            before=before.isoformat(),
            day=last_day.isoformat(),
        )
        plan.save(update_fields=["last_day", "log"])
        # Announced on or before the last day (a constraint): a last day moved before the
        # announcement moves the announcement with it.
        announced = plan.employee.departure_announced_on
        Employee.objects.filter(pk=plan.employee_id).update(
            departure_date=last_day,
            departure_announced_on=min(announced, last_day) if announced else None,
            updated_at=timezone.now(),
        )
        lead = dt.timedelta(days=settings.KNOWLEDGE_TRANSFER_LEAD_DAYS)
        open_steps = HandoverStep.objects.filter(
            task__plan=plan, done_at__isnull=True, cancelled=False
        )
        moved = []
        for step in open_steps:
            if last_day < today and step.kind in (Kind.KNOWLEDGE_TRANSFER, Kind.JOINT_INTRODUCTION):
                # Moved into the past: the leaver's access has ended, so neither can
                # happen any more (as for a departure recorded after its last day).
                step.cancelled, step.note = True, PAST_LAST_DAY_NOTE
                moved.append(step)
                continue
            if step.kind == Kind.KNOWLEDGE_TRANSFER:
                due = max(today, last_day - lead)
            elif step.kind == Kind.FOLLOW_UP:
                due = last_day + dt.timedelta(days=step.days_after_last_day or 0)
            else:
                due = last_day
            if last_day < before and due > step.due_on:
                continue  # an earlier last day never makes a step due later (or less overdue)
            step.due_on = due
            if step.escalated_on and step.due_on >= today:
                step.escalated_on, step.escalated_to = None, None  # due again, ahead
            moved.append(step)
        HandoverStep.objects.bulk_update(
            moved, ["due_on", "escalated_on", "escalated_to", "cancelled", "note"]
        )
    return plan
