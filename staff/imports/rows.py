"""What the teams and the employees of an HR import share: the role and the voluntary flag
read from a cell, a row's problem recorded, repeats, loops and managers found, and the
rows whose values differ written."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.functions import Lower
from django.utils.translation import gettext_noop

from customers.row_values import RowError, blank, flag
from retention.email_address import email_key
from retention.wording import Worded
from staff.models import Employee, Team, goes_round

IMPORTED_ROLES = [
    Employee.Role.ACCOUNT_MANAGER,
    Employee.Role.MANAGER,
    Employee.Role.HR,
]
# Stored in English; HandoverPlan.reason_text words it in the reader's language.
DEFAULT_LEAVING_REASON = gettext_noop("Leaving date from the HR system (no reason given).")


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


_cycle = goes_round  # a team's parents or an employee's managers going round


def _employees_named(values: Iterable[str]) -> dict[str, int]:
    """Employee ids by the value naming them: e-mail (any case) or external id."""
    values = set(values)
    if not values:
        return {}
    by_address = dict(
        Employee.objects.filter(email_key__in={email_key(v) for v in values}).values_list(
            "email_key", "id"
        )
    )
    by_id = dict(Employee.objects.filter(external_id__in=values).values_list("external_id", "id"))
    return {
        v: by_address.get(email_key(v), by_id.get(v))
        for v in values
        if email_key(v) in by_address or v in by_id
    }


def _teams_named(values: Iterable[str]) -> dict[str, int]:
    """Team ids by the value naming them, for a team's parent and an employee's team
    alike: the external id; else the name as written; else the name in another case,
    when only one team has it in any case (two teams "Team North" and "TEAM NORTH" made
    by hand are told apart by their exact names only)."""
    values = set(values)
    if not values:
        return {}
    exact: dict[str, int] = {}
    by_lower: dict[str, list[int]] = {}
    for name, key, pk in (
        Team.objects.annotate(key=Lower("name"))
        .filter(key__in={v.lower() for v in values})
        .values_list("name", "key", "id")
    ):
        exact[name] = pk
        by_lower.setdefault(key, []).append(pk)
    by_key = dict(Team.objects.filter(external_id__in=values).values_list("external_id", "id"))
    found = {}
    for v in values:
        alike = by_lower.get(v.lower(), [])
        pk = by_key.get(v) or exact.get(v) or (alike[0] if len(alike) == 1 else None)
        if pk is not None:
            found[v] = pk
    return found


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
