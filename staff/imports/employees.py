"""Employees from an HR system: checked as a batch (a manager may be a row further down; a
leaving date is a departure HR records, or history), written, then linked to their
managers, then their departures started."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers.models import Customer
from retention.email_address import email_key
from retention.wording import Worded
from staff.imports.rows import (
    DEFAULT_LEAVING_REASON,
    _cycle,
    _employees_named,
    _error,
    _no_such_manager,
    _repeated,
    _teams_named,
    _update_changed,
)
from staff.models import Employee, last_day_problem


def _validate_employees(
    rows: list[dict], errors: list[dict], present: set[str] | None
) -> list[dict]:
    def given(name: str) -> bool:
        return present is None or name in present

    today = timezone.localdate()
    earliest = today - dt.timedelta(days=settings.DEPARTURE_GRACE_DAYS)
    _repeated(rows, errors, "external_id")
    if given("email"):
        _repeated(rows, errors, "email", key=email_key)
    keys = {row["external_id"] for row in rows if row.get("external_id")}
    addresses = {email_key(row["email"]) for row in rows if row.get("email")}
    stored = list(
        Employee.objects.filter(Q(external_id__in=keys) | Q(email_key__in=addresses)).values(
            "id",
            "external_id",
            "name",
            "email",
            "email_key",
            "role",
            "team_id",
            "manager_id",
            "hired_on",
            "status",
            "departure_date",
            "departure_reason",
            "departure_voluntary",
        )
    )
    by_key = {e["external_id"]: e for e in stored if e["external_id"]}
    # The batch's own people by e-mail: a manager may be named by it, as by external id.
    batch_by_address = {
        email_key(row["email"]): row["external_id"]
        for row in rows
        if row.get("email") and row.get("external_id")
    }
    by_address = {email_key(e["email"]): e for e in stored}
    teams = _teams_named(row["team"] for row in rows if row.get("team"))
    managers = _employees_named(row["manager"] for row in rows if row.get("manager"))
    past = [row for row in rows if row.get("leaving_date") and row["leaving_date"] < earliest]
    past_keys = {row.get("external_id") for row in past}
    past_addresses = {email_key(row["email"]) for row in past if row.get("email")}
    candidates = [
        e["id"]
        for e in stored
        if e["external_id"] in past_keys or email_key(e["email"]) in past_addresses
    ]
    owning = set(
        Customer.objects.filter(primary_owner_id__in=candidates)
        .values_list("primary_owner_id", flat=True)
        .distinct()
    ) | set(
        Customer.objects.filter(secondary_owner_id__in=candidates)
        .values_list("secondary_owner_id", flat=True)
        .distinct()
    )
    # Someone whose customers would be left with an owner who may not see them (moved to
    # HR) is refused by row, as the admin refuses it (Employee.role_change_problem).
    owned = Employee.active_customers_owned(e["id"] for e in stored)
    for index, row in enumerate(rows):
        if not row.get("external_id"):
            continue  # said above; the other fields are checked all the same
        before = by_key.get(row["external_id"])
        if before is None and row.get("email"):
            claimed = by_address.get(email_key(row["email"]))
            if claimed is not None and claimed["external_id"] is None:
                before = claimed  # made by hand; the HR system's id now names them
        row["id"] = before["id"] if before else None
        row["before"] = before
        name_of = row.get("name") or (before["name"] if before else row["external_id"])
        if row.get("email"):
            other = by_address.get(email_key(row["email"]))
            if other is not None and other["id"] != row["id"]:
                _error(
                    errors,
                    index,
                    "email",
                    Worded(
                        gettext_noop("Another employee (%(other)s) has this e-mail address."),
                        other=other["external_id"] or other["name"],
                    ),
                )
        stored_values = {
            "name": "name",
            "email": "email",
            "role": "role",
            "start_date": "hired_on",
        }
        for name, column in stored_values.items():
            if not given(name) or name not in row:
                row[name] = before[column] if before else None
        if not row.get("role"):
            row["role"] = before["role"] if before else Employee.Role.ACCOUNT_MANAGER
        if (
            before
            and before["role"] == Employee.Role.ADMIN
            and row["role"] != Employee.Role.ADMIN
            and given("role")
        ):
            _error(
                errors,
                index,
                "role",
                Worded(
                    gettext_noop(
                        "%(name)s is an admin; an admin's role is changed in the admin site."
                    ),
                    name=name_of,
                ),
            )
        elif before and given("role") and row["role"] != before["role"]:
            problem = Employee.role_change_problem(name_of, row["role"], owned.get(row["id"], 0))
            if problem:
                _error(errors, index, "role", problem)
        if given("team"):
            team = row.pop("team", None)
            if team is not None and team not in teams:
                _error(
                    errors,
                    index,
                    "team",
                    Worded(
                        gettext_noop("No team with external id or name %(value)s."),
                        value=repr(team),
                    ),
                )
            row["team_id"] = teams.get(team) if team else None
        else:
            row["team_id"] = before["team_id"] if before else None
        if given("manager"):
            manager = row.pop("manager", None)
            row["manager_named"] = manager
            row["manager_key"] = None
            row["manager_id"] = None
            if manager is None:
                pass
            elif manager == row["external_id"] or (
                row["id"] and managers.get(manager) == row["id"]
            ):
                _error(
                    errors,
                    index,
                    "manager",
                    Worded(gettext_noop("An employee cannot be their own manager.")),
                )
            elif manager in managers:  # stored already
                row["manager_id"] = managers[manager]
            elif manager in keys:  # further down the batch: set once it is written
                row["manager_key"] = manager
            elif email_key(manager) in batch_by_address:  # by e-mail, further down
                if batch_by_address[email_key(manager)] == row["external_id"]:
                    _error(
                        errors,
                        index,
                        "manager",
                        Worded(gettext_noop("An employee cannot be their own manager.")),
                    )
                else:
                    row["manager_key"] = batch_by_address[email_key(manager)]
            else:
                _no_such_manager(errors, index, manager)
        _departure(row, index, errors, given, before, owning, earliest, name_of)
    if given("manager"):
        _refuse_manager_circles(rows, errors)
    return rows


def _refuse_manager_circles(rows: list[dict], errors: list[dict]) -> None:
    """A manager who, through the batch and the stored reporting lines, reports to the
    employee: refused, as a team below its own child is (the handover's chain of
    managers would go round)."""
    batch_ids = {row["id"]: row["external_id"] for row in rows if row.get("id")}

    def node(employee_id: int | None):
        if employee_id is None:
            return None
        return ("row", batch_ids[employee_id]) if employee_id in batch_ids else ("id", employee_id)

    manager_of = {
        node(employee): node(manager)
        for employee, manager in Employee.objects.filter(manager__isnull=False).values_list(
            "id", "manager_id"
        )
    }
    for row in rows:
        if row.get("external_id"):
            manager_of[("row", row["external_id"])] = (
                ("row", row["manager_key"]) if row.get("manager_key") else node(row["manager_id"])
            )
    for index, row in enumerate(rows):
        if row.get("external_id") and _cycle(manager_of, ("row", row["external_id"])):
            _error(
                errors,
                index,
                "manager",
                Worded(
                    gettext_noop(
                        "%(manager)s reports to %(employee)s: managers would go round in a circle."
                    ),
                    manager=repr(row.get("manager_named")),
                    employee=repr(row.get("name")),
                ),
            )


def _departure(row, index, errors, given, before, owning, earliest, name_of) -> None:
    """What the leaving date does: nothing, start the departure HR would record
    ("start"), or store a departure of the past ("departed"); refused where neither
    HR nor the handover plan would allow it."""
    row["departure"] = None
    hired_on = row.get("start_date")
    last_day = row.get("leaving_date") if given("leaving_date") else None
    recorded = before["departure_date"] if before else None
    if recorded and hired_on and recorded < hired_on:
        _error(
            errors,
            index,
            "start_date",
            Worded(
                gettext_noop(
                    "The start date %(start)s is after the recorded last day %(last_day)s."
                ),
                start=str(hired_on),
                last_day=str(recorded),
            ),
        )
        return
    if last_day is None:
        return  # an empty leaving date never cancels a departure: the handover plan does
    if hired_on and last_day < hired_on:
        _error(
            errors,
            index,
            "leaving_date",
            Worded(
                gettext_noop("The leaving date %(last_day)s is before the start date %(start)s."),
                last_day=str(last_day),
                start=str(hired_on),
            ),
        )
        return
    latest = timezone.localdate() + dt.timedelta(days=settings.DEPARTURE_MAX_DAYS_AHEAD)
    if last_day > latest:
        _error(errors, index, "leaving_date", last_day_problem(last_day))
        return
    status = before["status"] if before else Employee.Status.ACTIVE
    if status == Employee.Status.ACTIVE and Employee.Role.ADMIN in (
        row.get("role"),
        before and before["role"],
    ):
        _error(
            errors,
            index,
            "leaving_date",
            Worded(
                gettext_noop(
                    "%(name)s is an admin: an admin records an admin's departure on the "
                    "departure page, not an import."
                ),
                name=name_of,
            ),
        )
        return
    if status != Employee.Status.ACTIVE:
        if last_day != recorded:
            _error(
                errors,
                index,
                "leaving_date",
                Worded(
                    gettext_noop(
                        "%(name)s left on %(last_day)s as recorded; a recorded departure is "
                        "changed on its handover plan, not by an import."
                    )
                    if status == Employee.Status.DEPARTED
                    else gettext_noop(
                        "%(name)s is leaving on %(last_day)s as recorded; a recorded departure "
                        "is changed on its handover plan, not by an import."
                    ),
                    name=name_of,
                    last_day=str(recorded),
                ),
            )
            return
        # The same last day: the HR system may correct whether it was voluntary and why
        # (what the outcomes of departures are pooled by); a value not given, or not
        # read, keeps what is recorded.
        correction = {}
        voluntary = row.get("leaving_voluntary")
        if (
            given("leaving_voluntary")
            and voluntary is not None
            and voluntary != before["departure_voluntary"]
        ):
            correction["voluntary"] = voluntary
        reason = (row.get("leaving_reason") or "").strip()[:200]
        if given("leaving_reason") and reason and reason != before["departure_reason"]:
            correction["reason"] = reason
        row["departure_correction"] = correction
        return
    row["leaving_reason"] = (row.get("leaving_reason") or "").strip() or DEFAULT_LEAVING_REASON
    row["leaving_voluntary"] = row.get("leaving_voluntary")
    if "leaving_voluntary" not in row and given("leaving_voluntary"):
        return  # could not be read: said above
    if last_day >= earliest:
        if row["leaving_voluntary"] is None:
            _error(
                errors,
                index,
                "leaving_voluntary" if given("leaving_voluntary") else "leaving_date",
                Worded(
                    gettext_noop(
                        "Say whether the departure is voluntary (yes or no), as HR does when "
                        "recording one."
                    )
                ),
            )
            return
        row["departure"] = "start"
    elif before and before["id"] in owning:
        _error(
            errors,
            index,
            "leaving_date",
            Worded(
                gettext_noop(
                    "The leaving date %(last_day)s is more than %(days)s days in the past and "
                    "%(name)s still owns customers; record the departure on the departure page "
                    "to hand them over."
                ),
                last_day=str(last_day),
                days=settings.DEPARTURE_GRACE_DAYS,
                name=name_of,
            ),
        )
    else:
        row["departure"] = "departed"


def _write_employees(rows: list[dict], present: set[str] | None) -> tuple[int, int]:
    """New employees created (no login), changed ones updated (only what differs); then
    the managers, as every employee of the batch now exists; then the departures."""
    from handover.models import HandoverPlan
    from handover.services import recommend_again, start_departure

    def given(name: str) -> bool:
        return present is None or name in present

    def values(row: dict) -> dict:
        return {
            "external_id": row["external_id"],
            "name": row["name"],
            "email": row["email"],
            "email_key": email_key(row["email"]),
            "role": row["role"],
            "team_id": row["team_id"],
            "hired_on": row["start_date"],
            **({"manager_id": row["manager_id"]} if given("manager") else {}),
        }

    def departed(row: dict) -> dict:
        return {
            "status": Employee.Status.DEPARTED,
            "departure_date": row["leaving_date"],
            "departure_announced_on": row["leaving_date"],
            "departure_reason": row["leaving_reason"][:200],
            "departure_voluntary": row["leaving_voluntary"],
        }

    new = [row for row in rows if row["id"] is None]
    created = Employee.objects.bulk_create(
        [
            Employee(**values(row), **(departed(row) if row["departure"] == "departed" else {}))
            for row in new
        ]
    )
    for row, employee in zip(new, created, strict=True):
        row["id"] = employee.pk
    fields = list(values(rows[0])) if rows else []
    changed = _update_changed(Employee, rows, fields, values)
    if given("manager"):
        ids = dict(
            Employee.objects.filter(
                external_id__in={r["manager_key"] for r in rows if r.get("manager_key")}
            ).values_list("external_id", "id")
        )
        later = []
        for row in rows:
            if not row.get("manager_key"):
                continue
            manager_id = ids[row["manager_key"]]
            later.append(Employee(id=row["id"], manager_id=manager_id))
            if row["before"] and row["before"]["manager_id"] != manager_id:
                changed.add(row["id"])
        Employee.objects.bulk_update(later, ["manager_id"], batch_size=1000)
    past = [row for row in rows if row["departure"] == "departed" and row["before"]]
    for row in past:  # existing employees who own nothing: history, no handover
        Employee.objects.filter(pk=row["id"]).update(**departed(row))
        changed.add(row["id"])
    if past:
        from django.contrib.auth import get_user_model

        get_user_model().objects.filter(employee__in=[row["id"] for row in past]).update(
            is_active=False
        )
        recommend_again(leaver_ids=[row["id"] for row in past])
    for row in rows:  # a recorded departure's voluntary flag or reason corrected
        correction = row.get("departure_correction")
        if not correction:
            continue
        Employee.objects.filter(pk=row["id"]).update(
            **{f"departure_{name}": value for name, value in correction.items()}
        )
        HandoverPlan.objects.filter(employee_id=row["id"]).exclude(
            status=HandoverPlan.Status.CANCELLED
        ).update(**correction)
        changed.add(row["id"])
    leaving = [row for row in rows if row["departure"] == "start"]
    employees = Employee.objects.in_bulk([row["id"] for row in leaving])
    for row in leaving:  # one plan per leaver, as HR records them: a handful per file
        start_departure(
            employee=employees[row["id"]],
            last_day=row["leaving_date"],
            reason=row["leaving_reason"][:200],
            voluntary=row["leaving_voluntary"],
            by=None,
        )
        if row["before"]:
            changed.add(row["id"])
    return len(new), len(changed)
