"""Teams and employees from an HR system: the kinds `teams` and `employees` of the bulk
upsert (customers/upsert/), so the file import, `manage.py import_csv` and the API's
bulk endpoints take them with the same rules as every other kind.

- Keyed by the HR system's id (external_id); a team or employee created by hand, without
  one, is taken over by the row with its name (teams) or e-mail (employees).
- A team's parent and an employee's manager may be a row further down the same file or
  request: rows are written first, then who reports to whom.
- A team's manager is an employee (external id or e-mail): import teams, then employees,
  then the teams again if the file names managers (a re-import changes only what differs).
- An employee's team is named by the team's external id or its name.
- A leaving date goes through the departure HR records (handover.services
  .start_departure): the employee is marked departing and the handover plan opens, its
  tasks raised by the same job. Sending the same date again changes nothing; a recorded
  departure is never moved or cancelled by an import (the handover plan is where that
  happens). A leaving date further back than HR may record (DEPARTURE_GRACE_DAYS) is
  history: a new employee is stored as departed (nothing to hand over), an existing one
  who owns no customers too; one who still owns customers is refused.
- No login is created: an imported employee has none until an admin gives them one
  (admin site, Users); an import never creates, changes or enables logins, and never
  makes anyone an admin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from customers.models import Customer
from customers.row_values import RowError, blank, date, email, flag, text
from customers.upsert import Column, Kind, Reference
from retention.email_address import email_key
from retention.wording import Worded
from staff.models import Employee, Team, last_day_problem

IMPORTED_ROLES = [
    Employee.Role.ACCOUNT_MANAGER,
    Employee.Role.MANAGER,
    Employee.Role.HR,
]
DEFAULT_LEAVING_REASON = "Leaving date from the HR system (no reason given)."


def _role(value):
    """A role by its value or its label, in any case ("Account manager"); admins are
    named in the admin site, never by an import."""
    if blank(value):
        return ""
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if key == Employee.Role.ADMIN:
        raise RowError(
            Worded(gettext_noop("Admins are named in the admin site, not by an import."))
        )
    for role in IMPORTED_ROLES:
        if key in (role.value, str(role.label).lower().replace(" ", "_")):
            return role.value
    raise RowError(
        Worded(
            gettext_noop("%(value)s is not one of %(allowed)s."),
            value=repr(value),
            allowed=", ".join(IMPORTED_ROLES),
        )
    )


VOLUNTARY = {"voluntary", "resigned", "resignation", "quit"}
INVOLUNTARY = {
    "involuntary",
    "dismissed",
    "dismissal",
    "terminated",
    "let go",
    "laid off",
    "layoff",
}


def _voluntary(value):
    """Whether a departure was the employee's choice: yes/no, or the words HR systems
    use (Voluntary, Resigned; Involuntary, Dismissed)."""
    if blank(value):
        return None
    word = str(value).strip().lower().replace("_", " ")
    if word in VOLUNTARY:
        return True
    if word in INVOLUNTARY:
        return False
    try:
        return flag(value)
    except RowError:
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is not yes/no (or voluntary/involuntary, resigned/dismissed)."
                ),
                value=repr(value),
            )
        ) from None


def _error(errors: list[dict], index: int, name: str, message: str) -> None:
    errors.append({"index": index, "field": name, "message": message})


def _no_such_manager(errors: list[dict], index: int, manager: str) -> None:
    """The row's manager names nobody stored or in the batch."""
    _error(
        errors,
        index,
        "manager",
        Worded(
            gettext_noop("No employee with email or external id %(value)s."),
            value=repr(manager),
        ),
    )


def _repeated(rows: list[dict], errors: list[dict], name: str, key=lambda v: v) -> None:
    """A value that must name one record, given on two rows of the batch."""
    seen: dict = {}
    for index, row in enumerate(rows):
        value = row.get(name)
        if not value:
            continue
        if key(value) in seen:
            _error(
                errors,
                index,
                name,
                Worded(
                    gettext_noop("%(value)s is also in row %(row)s of this request."),
                    value=repr(value),
                    row=seen[key(value)],
                ),
            )
        seen.setdefault(key(value), index)


def _cycle(parent_of: dict[str, str | None], start: str) -> bool:
    """Whether following parents from `start` comes back to it."""
    seen, current = set(), parent_of.get(start)
    while current is not None and current not in seen:
        if current == start:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


def _employees_named(values: Iterable[str]) -> dict[str, int]:
    """Employee ids by the value naming them: e-mail (any case) or external id."""
    values = set(values)
    if not values:
        return {}
    by_address = dict(
        Employee.objects.annotate(key=Lower("email"))
        .filter(key__in={email_key(v) for v in values})
        .values_list("key", "id")
    )
    by_id = dict(Employee.objects.filter(external_id__in=values).values_list("external_id", "id"))
    return {
        v: by_address.get(email_key(v), by_id.get(v))
        for v in values
        if email_key(v) in by_address or v in by_id
    }


# --- teams -----------------------------------------------------------------------------


def _validate_teams(rows: list[dict], errors: list[dict], present: set[str] | None) -> list[dict]:
    def given(name: str) -> bool:
        return present is None or name in present

    _repeated(rows, errors, "external_id")
    if given("name"):
        _repeated(rows, errors, "name", key=str.lower)
    keys = {row["external_id"] for row in rows if row.get("external_id")}
    names = {row["name"].lower() for row in rows if row.get("name")}
    stored = list(
        Team.objects.annotate(key=Lower("name"))
        .filter(Q(external_id__in=keys) | Q(key__in=names))
        .values("id", "external_id", "name", "region", "parent_id", "manager_id")
    )
    by_key = {t["external_id"]: t for t in stored if t["external_id"]}
    by_name = {t["name"].lower(): t for t in stored}
    parents_wanted = {row["parent"] for row in rows if row.get("parent")}
    parents = dict(
        Team.objects.filter(external_id__in=parents_wanted).values_list("external_id", "id")
    ) | {
        name: pk
        for name, pk in Team.objects.filter(name__in=parents_wanted).values_list("name", "id")
    }
    managers = _employees_named(row["manager"] for row in rows if row.get("manager"))
    # every team's parent, by external id (or "#id" for a team without one), as it will be
    key_of = dict(Team.objects.values_list("id", "external_id"))
    parent_of: dict[str, str | None] = {(key or f"#{pk}"): None for pk, key in key_of.items()}
    for pk, parent in Team.objects.filter(parent__isnull=False).values_list("id", "parent_id"):
        parent_of[key_of[pk] or f"#{pk}"] = key_of[parent] or f"#{parent}"
    for index, row in enumerate(rows):
        if not row.get("external_id"):
            continue  # said above; the other fields are checked all the same
        before = by_key.get(row["external_id"])
        if before is None and row.get("name"):
            claimed = by_name.get(row["name"].lower())
            if claimed is not None and claimed["external_id"] is None:
                before = claimed  # made by hand; the HR system's id now names it
        row["id"] = before["id"] if before else None
        row["before"] = before
        if row.get("name"):
            other = by_name.get(row["name"].lower())
            if other is not None and other["id"] != row["id"]:
                _error(
                    errors,
                    index,
                    "name",
                    Worded(
                        gettext_noop("Another team (%(other)s) is named %(name)s."),
                        other=other["external_id"] or gettext("no external id"),
                        name=repr(other["name"]),
                    ),
                )
        for name, default in (("name", ""), ("region", "")):
            if not given(name):
                row[name] = before[name] if before else default
        if given("parent"):
            parent = row.pop("parent", None)
            if parent is None:
                row["parent_key"] = None
            elif parent in parents:  # stored already
                row["parent_id"] = parents[parent]
                row["parent_key"] = key_of[parents[parent]] or f"#{parents[parent]}"
            elif parent in keys:  # further down the batch: set once it is written
                row["parent_key"] = parent
            else:
                _error(
                    errors,
                    index,
                    "parent",
                    Worded(
                        gettext_noop("No team with external id or name %(value)s."),
                        value=repr(parent),
                    ),
                )
                continue
            if row["parent_key"] == row["external_id"]:
                _error(
                    errors,
                    index,
                    "parent",
                    Worded(gettext_noop("A team cannot be its own parent.")),
                )
                continue
            if before:
                parent_of.pop(f"#{before['id']}", None)
            parent_of[row["external_id"]] = row["parent_key"]
        if given("manager"):
            manager = row.pop("manager", None)
            if manager is not None and manager not in managers:
                _no_such_manager(errors, index, manager)
            row["manager_id"] = managers.get(manager) if manager else None
    for index, row in enumerate(rows):
        if row.get("parent_key") and _cycle(parent_of, row["external_id"]):
            _error(
                errors,
                index,
                "parent",
                Worded(
                    gettext_noop("%(parent)s is below %(team)s: teams would go round in a circle."),
                    parent=repr(row["parent_key"]),
                    team=repr(row["external_id"]),
                ),
            )
    return rows


def _update_changed(model, rows: list[dict], fields: list[str], values) -> set[int]:
    """Update the rows already stored (row["before"]: their stored values) whose wanted
    `values(row)` differ, in one bulk update; the ids of those changed."""
    changed: set[int] = set()
    updates = []
    for row in rows:
        before = row["before"]
        if before is None:
            continue
        wanted = values(row)
        if any(before.get(name) != value for name, value in wanted.items()):
            updates.append(model(id=row["id"], **wanted))
            changed.add(row["id"])
    model.objects.bulk_update(updates, fields, batch_size=1000)
    return changed


def _write_teams(rows: list[dict], present: set[str] | None) -> tuple[int, int]:
    """New teams created, changed ones updated (only what differs); then the parents, as
    every team of the batch now exists."""

    def given(name: str) -> bool:
        return present is None or name in present

    fields = ["external_id", "name", "region"] + (["manager_id"] if given("manager") else [])
    new = [row for row in rows if row["id"] is None]
    created = Team.objects.bulk_create(
        [Team(**{name: row.get(name) for name in fields}) for row in new]
    )
    for row, team in zip(new, created, strict=True):
        row["id"] = team.pk
    changed = _update_changed(Team, rows, fields, lambda row: {n: row.get(n) for n in fields})
    if given("parent"):
        ids = dict(
            Team.objects.filter(
                external_id__in={r["parent_key"] for r in rows if r.get("parent_key")}
            ).values_list("external_id", "id")
        )
        moved = []
        for row in rows:
            if "parent_key" not in row:
                continue
            parent_id = row.get("parent_id") or ids.get(row["parent_key"])
            before = row["before"]
            if (before["parent_id"] if before else None) != parent_id:
                moved.append(Team(id=row["id"], parent_id=parent_id))
                if before:
                    changed.add(row["id"])
        Team.objects.bulk_update(moved, ["parent_id"], batch_size=1000)
    return len(new), len(changed)


# --- employees -------------------------------------------------------------------------


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
        Employee.objects.annotate(key=Lower("email"))
        .filter(Q(external_id__in=keys) | Q(key__in=addresses))
        .values(
            "id",
            "external_id",
            "name",
            "email",
            "role",
            "team_id",
            "manager_id",
            "hired_on",
            "status",
            "departure_date",
        )
    )
    by_key = {e["external_id"]: e for e in stored if e["external_id"]}
    by_address = {email_key(e["email"]): e for e in stored}
    teams_wanted = {row["team"] for row in rows if row.get("team")}
    teams = {
        name: pk
        for name, pk in Team.objects.filter(name__in=teams_wanted).values_list("name", "id")
    } | dict(Team.objects.filter(external_id__in=teams_wanted).values_list("external_id", "id"))
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
            else:
                _no_such_manager(errors, index, manager)
        _departure(row, index, errors, given, before, owning, earliest, name_of)
    return rows


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
    from handover.services import recommend_again, start_departure

    def given(name: str) -> bool:
        return present is None or name in present

    def values(row: dict) -> dict:
        return {
            "external_id": row["external_id"],
            "name": row["name"],
            "email": row["email"],
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


KINDS: dict[str, Kind] = {
    "teams": Kind(
        Team,
        [
            Column("external_id", text(64), required=True),
            Column("name", text(120), required=True),
            Column("region", text(80), default=""),
        ],
        [
            Reference("parent", "parent_id", Team, "external_id"),
            Reference("manager", "manager_id", Employee, "email"),
        ],
        validate=_validate_teams,
        write=_write_teams,
        whole_file=True,
        aliases={
            "team_id": "external_id",
            "department_id": "external_id",
            "id": "external_id",
            "team": "name",
            "team_name": "name",
            "department": "name",
            "department_name": "name",
            "parent_id": "parent",
            "parent_team": "parent",
            "parent_department": "parent",
            "manager_id": "manager",
            "manager_email": "manager",
            "head": "manager",
            "location": "region",
        },
    ),
    "employees": Kind(
        Employee,
        [
            Column("external_id", text(64), required=True),
            Column("name", text(160), required=True),
            Column("email", email(254), required=True),
            Column("role", _role),
            Column("start_date", date, required=True),
            Column("leaving_date", date),
            Column("leaving_reason", text(200), default=""),
            Column("leaving_voluntary", _voluntary),
        ],
        [
            Reference("team", "team_id", Team, "external_id"),
            Reference("manager", "manager_id", Employee, "email"),
        ],
        validate=_validate_employees,
        write=_write_employees,
        whole_file=True,
        aliases={
            "employee_id": "external_id",
            "employee_number": "external_id",
            "employee_no": "external_id",
            "worker_id": "external_id",
            "personnel_number": "external_id",
            "id": "external_id",
            "full_name": "name",
            "employee_name": "name",
            "display_name": "name",
            "work_email": "email",
            "email_address": "email",
            "e_mail": "email",
            "business_email": "email",
            "team_id": "team",
            "department": "team",
            "department_id": "team",
            "crm_role": "role",
            "manager_id": "manager",
            "manager_email": "manager",
            "line_manager": "manager",
            "reports_to": "manager",
            "supervisor_id": "manager",
            "hire_date": "start_date",
            "hired_on": "start_date",
            "date_of_hire": "start_date",
            "original_hire_date": "start_date",
            "start": "start_date",
            "termination_date": "leaving_date",
            "end_date": "leaving_date",
            "last_day": "leaving_date",
            "last_working_day": "leaving_date",
            "departure_date": "leaving_date",
            "termination_reason": "leaving_reason",
            "reason_for_leaving": "leaving_reason",
            "voluntary": "leaving_voluntary",
            "voluntary_termination": "leaving_voluntary",
            "termination_type": "leaving_voluntary",
            "leaving_type": "leaving_voluntary",
        },
    ),
}
