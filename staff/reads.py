"""Reads of customer data by someone who is leaving (DOMAIN.md section 2: bulk copying is
noticed). Every read is in the audit trail (staff/audit.py: record_read); here: how many
customer records a person read today, and the daily allowance beyond which a leaving
person's bulk reads wait for their manager's approval, exactly like an export."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext

from staff.access import is_leaving
from staff.models import AuditEvent, Employee, ExportRequest


def rows_read_on(employee: Employee, day: dt.date) -> int:
    """Customer records viewed (one per record opened, the rows of each list read) plus
    rows exported by `employee` on `day`: the export watch's daily figure."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    total = AuditEvent.objects.filter(
        employee=employee,
        action__in=[AuditEvent.Action.VIEW, AuditEvent.Action.EXPORT],
        at__gte=start,
        at__lt=start + dt.timedelta(days=1),
    ).aggregate(rows=Sum("rows"))["rows"]
    return total or 0


def approval_needed(employee: Employee | None, kind: str, rows: int) -> ExportRequest | None:
    """None if `employee` may read `rows` more records of `kind` now; else the export
    request (new or still waiting) their manager must approve first. Only people leaving
    have an allowance (BULK_READ_DAILY_ALLOWANCE a day); an approval of the kind, once
    used, covers the rest of that day."""
    if employee is None or not is_leaving(employee):
        return None
    today = timezone.localdate()
    allowance = settings.BULK_READ_DAILY_ALLOWANCE
    if rows_read_on(employee, today) + rows <= allowance:
        return None
    approvals = ExportRequest.objects.filter(
        employee=employee, kind=kind, approved_at__isnull=False
    )
    if approvals.filter(used_at__date=today).exists():
        return None
    unused = approvals.filter(used_at__isnull=True).first()
    if unused is not None:
        unused.used_at = timezone.now()
        unused.save(update_fields=["used_at"])
        return None
    pending, created = ExportRequest.objects.get_or_create(
        employee=employee,
        kind=kind,
        approved_at=None,
        defaults={"reason": ExportRequest.API_READS % {"allowance": allowance, "kind": kind}},
    )
    if created:
        ask_for_approval(pending)
    return pending


def requests_awaiting(user):
    """The waiting export requests `user` may approve. An approval comes from a manager of
    the requester's team (staff/access.py employee_scope) or an admin, never from the
    requester, and never from someone who is leaving or has left: a leaver could
    otherwise approve their own bulk copy, or a colleague's. The same approval unlocks an
    export and API or admin reads beyond the daily allowance (approval_needed)."""
    from staff.access import Role, employee_of, employee_scope, role_of

    pending = ExportRequest.objects.filter(approved_at__isnull=True)
    if role_of(user) not in (Role.MANAGER, Role.ADMIN):
        return pending.none()
    me = employee_of(user)
    if me is not None:
        if me.status == Employee.Status.DEPARTED or is_leaving(me):
            return pending.none()
        pending = pending.exclude(employee=me)
    scope = employee_scope(user, "employee__")
    return pending if scope is None else pending.filter(scope)


def approver_for(employee: Employee) -> Employee | None:
    """Who is asked to approve `employee`'s request: their line manager, else the manager
    of their team or of the nearest team above it, skipping the requester and anyone
    leaving (a manager who is leaving is asked by their own team's parent)."""

    def may_approve(manager: Employee | None) -> bool:
        return (
            manager is not None
            and manager.pk != employee.pk
            and manager.status != Employee.Status.DEPARTED
            and not is_leaving(manager)
        )

    if may_approve(employee.manager):
        return employee.manager
    team, seen = employee.team, set()
    while team is not None and team.pk not in seen:
        seen.add(team.pk)
        if may_approve(team.manager):
            return team.manager
        team = team.parent
    return None


def ask_for_approval(pending: ExportRequest, approve_at: str = "") -> None:
    """E-mail the leaver's manager that a request waits for them."""
    manager = approver_for(pending.employee)
    if manager is not None and manager.email:
        from staff.language import language_of

        with translation.override(language_of(manager)):
            values = {
                "name": pending.employee.name,
                "kind": pending.kind,
                "reason": pending.reason_text,
                "link": approve_at or gettext("the Export requests page"),
            }
            send_mail(
                gettext("Export approval needed: %(name)s") % values,
                gettext(
                    "%(name)s, who is leaving, asks to export %(kind)s: %(reason)s\n"
                    "Approve or ignore it at %(link)s"
                )
                % values,
                None,
                [manager.email],
            )
