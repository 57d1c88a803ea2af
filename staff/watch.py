"""Export watch (DOMAIN.md section 2): once a day, from the audit trail, find who viewed or
exported an unusual number of customers, and who exported anything while leaving; tell
their manager and HR. Idempotent: one warning per person, day and kind."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from retention.jobs import steps
from staff.models import AccessWarning, AuditEvent, Employee

LOOKBACK_DAYS = 30


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _touched(since: dt.datetime, until: dt.datetime) -> dict[int, tuple[int, int]]:
    """employee id -> (records viewed + rows exported, exports) between the moments. A
    list read through the API counts its rows (staff/audit.py: record_read)."""
    rows = (
        AuditEvent.objects.filter(
            at__gte=since, at__lt=until, employee__isnull=False, action__in=["view", "export"]
        )
        .values("employee_id")
        .annotate(
            views=Sum("rows", filter=Q(action="view")),
            exported=Sum("rows", filter=Q(action="export")),
            exports=Count("id", filter=Q(action="export")),
        )
        .order_by()
    )
    return {
        r["employee_id"]: ((r["views"] or 0) + (r["exported"] or 0), r["exports"]) for r in rows
    }


def watch_access(*, day: dt.date) -> list[AccessWarning]:
    """Check `day` (a whole local day) against the 30 days before it."""
    today = _touched(_start(day), _start(day + dt.timedelta(days=1)))
    before = _touched(_start(day - dt.timedelta(days=LOOKBACK_DAYS)), _start(day))
    limit, factor = settings.EXPORT_WATCH_DAILY_LIMIT, settings.EXPORT_WATCH_FACTOR
    people = Employee.objects.in_bulk(today.keys())
    made: list[AccessWarning] = []
    found: list[tuple] = []
    for employee_id, (touched, exports) in today.items():
        employee = people[employee_id]
        average = before.get(employee_id, (0, 0))[0] / LOOKBACK_DAYS
        kinds = []
        if touched > limit or (average > 0 and touched > factor * average):
            kinds.append(AccessWarning.Kind.UNUSUAL_VOLUME)
        notice = dt.timedelta(days=settings.EXPORT_WATCH_DEPARTURE_DAYS)
        leaving = employee.status == Employee.Status.DEPARTING or (
            employee.departure_date is not None and day >= employee.departure_date - notice
        )
        if exports and leaving:
            kinds.append(AccessWarning.Kind.DEPARTING_EXPORT)
        for kind in kinds:
            found.append((employee, kind, touched, average, exports))

    def warn(item: tuple) -> None:
        employee, kind, touched, average, exports = item
        warning, created = AccessWarning.objects.get_or_create(
            employee=employee,
            day=day,
            kind=kind,
            defaults={"touched": touched, "daily_average": average, "exports": exports},
        )
        if created:
            warning.notified = _notify(warning)
            warning.save(update_fields=["notified"])
            made.append(warning)

    # A warning whose notice cannot be sent (an address the mail refuses) is set aside
    # with the reason and not recorded, so the next run tries it again; the others go.
    steps.each_or_set_aside(
        found,
        warn,
        describe=lambda item: {
            "model": "access warning",
            "object_id": item[0].pk,
            "key": f"{item[0].name}: {item[1]}",
        },
    )
    return made


def _notify(warning: AccessWarning) -> list[str]:
    from handover.chain import manager_of

    employee = warning.employee
    manager = manager_of(employee)
    hr = Employee.objects.filter(role=Employee.Role.HR, status=Employee.Status.ACTIVE)
    from staff.language import language_of

    readers = {e.email: e for e in [manager, *hr] if e is not None and e.email}
    to = sorted(readers)
    by_language: dict[str, list[str]] = {}
    for address in to:  # one e-mail per language, each in its readers'
        by_language.setdefault(language_of(readers[address]), []).append(address)
    for language, addresses in sorted(by_language.items()):
        with translation.override(language):
            values = {
                "name": employee.name,
                "day": date_format(warning.day),
                "kind": warning.get_kind_display(),
                "touched": warning.touched,
                "exports": warning.exports,
                "average": f"{warning.daily_average:.1f}",
            }
            with steps.mail_server_errors():
                send_mail(
                    gettext("Customer data access: %(name)s on %(day)s") % values,
                    gettext(
                        "%(kind)s.\n%(name)s viewed or exported %(touched)s customer records on "
                        "%(day)s (exports: %(exports)s); their daily average over the 30 days "
                        "before was %(average)s.\nThe details are in the audit trail (admin: Audit "
                        "events)."
                    )
                    % values,
                    None,
                    addresses,
                )
    return to
