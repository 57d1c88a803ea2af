"""Reads of customer data by someone who is leaving (DOMAIN.md section 2: bulk copying is
noticed). Every read is in the audit trail (staff/audit.py: record_read); here: how many
customer records a person read today, and the daily allowance beyond which a leaving
person's bulk reads wait for their manager's approval, exactly like an export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

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


def waiting_request(employee: Employee, kind: str, reason: str) -> tuple[ExportRequest, bool]:
    """The request of `employee` for `kind` waiting for approval, made now if there is
    none: (request, made now). One at a time per person (their row locked), so two tabs
    or a double click ask once and the approver gets one e-mail."""
    with transaction.atomic():
        list(Employee.objects.select_for_update().filter(pk=employee.pk).values_list("pk"))
        return ExportRequest.objects.get_or_create(
            employee=employee, kind=kind, approved_at=None, defaults={"reason": reason}
        )


def approval_needed(
    employee: Employee | None, kind: str, rows: int, approve_at: str = ""
) -> ExportRequest | None:
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
    pending, created = waiting_request(
        employee,
        kind,
        ExportRequest.API_READS % {"allowance": allowance, "kind": _english_label(kind)},
    )
    if created:
        ask_for_approval(pending, approve_at)
    return pending


def read_within_allowance(
    employee: Employee | None, kind: str, rows: int, record: Callable[[], object], approve_at=""
) -> ExportRequest | None:
    """Record a read of `rows` records of `kind` (`record()`: its audit events) if
    `employee` may read them now (approval_needed), else leave it unrecorded and return
    the request waiting for approval. A leaver's check and record run one at a time (their
    employee row locked until the read is recorded): requests sent in parallel cannot each
    pass the check before any of them is counted."""
    if employee is None or not is_leaving(employee):
        record()
        return None
    with transaction.atomic():
        list(Employee.objects.select_for_update().filter(pk=employee.pk).values_list("pk"))
        pending = approval_needed(employee, kind, rows, approve_at)
        if pending is None:
            record()
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
    leaving (a manager who is leaving is asked by their own team's parent); for someone
    with no such manager (an admin, say) another admin who is not leaving."""

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
    admins = Employee.objects.filter(
        role=Employee.Role.ADMIN, status=Employee.Status.ACTIVE
    ).exclude(pk=employee.pk)
    return next((admin for admin in admins.order_by("pk") if may_approve(admin)), None)


# The records a leaver's bulk reads and exports cover, named for people (the model's name
# otherwise; "riskscore" means nothing to a manager).
KIND_NAMES = {
    "customer": gettext_lazy("customers"),
    "customers": gettext_lazy("customers"),
    "contact": gettext_lazy("contacts"),
    "contacts": gettext_lazy("contacts"),
    "contract": gettext_lazy("contracts"),
    "contracts": gettext_lazy("contracts"),
    "interaction": gettext_lazy("interactions"),
    "interactions": gettext_lazy("interactions"),
    "riskscore": gettext_lazy("risk scores"),
    "risk_scores": gettext_lazy("risk scores"),
    "alert": gettext_lazy("alerts"),
    "alerts": gettext_lazy("alerts"),
    "retentionaction": gettext_lazy("retention actions"),
    "retention_actions": gettext_lazy("retention actions"),
    "exchange_rates": gettext_lazy("exchange rates"),
    "handoverplan": gettext_lazy("handover plans"),
    "handovertask": gettext_lazy("handover tasks"),
    "ownershipperiod": gettext_lazy("ownership history"),
}


def kind_label(kind: str) -> str:
    """What a request covers, in the reader's language."""
    from django.apps import apps

    if kind in KIND_NAMES:
        return str(KIND_NAMES[kind])
    for model in apps.get_models():
        if model._meta.model_name == kind:
            return str(model._meta.verbose_name_plural)
    return kind.replace("_", " ").replace("-", " ")


def approval_message(number: int, kind: str) -> str:
    """Why a leaver's read waits, naming the request and what it covers in the reader's
    language (the model's verbose name, never its code name)."""
    from django.utils.translation import gettext as _

    return _(
        "You are leaving: reading more customer records today needs your manager's "
        "approval, as an export does. Request %(number)s (%(kind)s) is waiting for it."
    ) % {"number": number, "kind": kind_label(kind)}


def _english_label(kind: str) -> str:
    from django.utils import translation

    with translation.override("en"):
        return kind_label(kind)


# Requests a leaver makes within this many minutes of a waiting one share its e-mail: one
# page of the admin or one script reads several kinds of records in the same second.
APPROVAL_MAIL_QUIET_MINUTES = 10


def ask_for_approval(pending: ExportRequest, approve_at: str = "") -> None:
    """E-mail the leaver's approver (their manager; an admin for someone without one, such
    as an admin) that requests wait for them: one e-mail for the requests of a moment,
    naming every waiting one, in the approver's language, with the link to approve."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from staff.language import language_of

    waiting = ExportRequest.objects.filter(employee=pending.employee, approved_at__isnull=True)
    quiet = timezone.now() - dt.timedelta(minutes=APPROVAL_MAIL_QUIET_MINUTES)
    if waiting.exclude(pk=pending.pk).filter(requested_at__gte=quiet).exists():
        return  # the e-mail about the first of them lists this one on the page it links
    approver = approver_for(pending.employee)
    if approver is None or not approver.email:
        return
    where = approve_at or reverse("export_requests")
    with translation.override(language_of(approver)):
        kinds = ", ".join(sorted({kind_label(r.kind) for r in waiting}))
        values = {"name": pending.employee.name, "kinds": kinds, "reason": pending.reason_text}
        subject = _("Export approval needed: %(name)s") % values
        body = _(
            "%(name)s, who is leaving, asks to export or read in bulk: %(kinds)s.\n"
            "Why: %(reason)s\nApprove or ignore it at %(where)s"
        ) % {**values, "where": where}
    send_mail(subject, body, None, [approver.email])
