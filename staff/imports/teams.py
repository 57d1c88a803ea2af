"""Teams from an HR system: checked as a batch (a parent or a manager may be a row further
down), written, then linked to their parents and managers."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_noop

from retention.wording import Worded
from staff.imports.rows import (
    _cycle,
    _employees_named,
    _error,
    _no_such_manager,
    _repeated,
    _teams_named,
    _update_changed,
)
from staff.models import Team


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
    # A parent named by its external id, or by its name in any case (as a row takes a
    # team over by its name): stored, or a row of the batch.
    parents = _teams_named(row["parent"] for row in rows if row.get("parent"))
    batch_names = {
        row["name"].lower(): row["external_id"]
        for row in rows
        if row.get("name") and row.get("external_id")
    }
    managers = _employees_named(row["manager"] for row in rows if row.get("manager"))
    key_of = dict(Team.objects.values_list("id", "external_id"))
    for row in rows:
        if not row.get("external_id"):
            continue  # said below; the other fields are checked all the same
        before = by_key.get(row["external_id"])
        if before is None and row.get("name"):
            claimed = by_name.get(row["name"].lower())
            if claimed is not None and claimed["external_id"] is None:
                before = claimed  # made by hand; the HR system's id now names it
                key_of[before["id"]] = row["external_id"]
        row["id"] = before["id"] if before else None
        row["before"] = before
    # Every team's parent, by external id (or "#id" for a team without one), as it will
    # be: a team made by hand that a row takes over is already keyed by the row's id, so
    # a loop through it (or a team its own parent) is seen whichever way it is named.
    parent_of: dict[str, str | None] = {(key or f"#{pk}"): None for pk, key in key_of.items()}
    for pk, parent in Team.objects.filter(parent__isnull=False).values_list("id", "parent_id"):
        parent_of[key_of[pk] or f"#{pk}"] = key_of[parent] or f"#{parent}"
    for index, row in enumerate(rows):
        if not row.get("external_id"):
            continue
        before = row["before"]
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
            elif parent.lower() in batch_names:  # a row of the batch, by its name
                row["parent_key"] = batch_names[parent.lower()]
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
                row["parent_key"] = parent = None  # said; the row's other fields go on
            if parent is not None and row["parent_key"] == row["external_id"]:
                _error(
                    errors,
                    index,
                    "parent",
                    Worded(gettext_noop("A team cannot be its own parent.")),
                )
                row["parent_key"] = None
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
