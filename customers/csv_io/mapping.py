"""What a file's columns and options mean: the field each column fills, the mapping's
problems, the decimal mark and date order a file is read with."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from customers import upsert
from customers.file_records import (
    CsvUnreadable,
    column_key,
    records,
)
from customers.row_values import (
    DATE_ORDERS,
    DECIMAL_MARKS,
    POINT_UNLESS_COMMA,
)
from retention.wording import Worded


def fields_of(kind: str) -> list[str]:
    return upsert.KINDS[kind].fields


def default_decimal_mark(delimiter: str) -> str | None:
    """A comma-separated file cannot use a bare decimal comma: its mark is the point
    (but a quoted value with a comma reads two ways: row_values.POINT_UNLESS_COMMA).
    In semicolon files and workbooks either is common, so a number that reads two ways
    is refused unless the import says which."""
    return "." if delimiter == "," else None


def default_mapping(kind: str, header: list[str]) -> dict[str, str]:
    """Column -> field, for the columns whose name matches a field (or a name other
    systems' exports commonly give it, e.g. "Work Email" for an employee's email)."""
    aliases = upsert.KINDS[kind].aliases
    known = {column_key(a): f for a, f in aliases.items()} | {
        column_key(f): f for f in fields_of(kind)
    }
    return {column: known[column_key(column)] for column in header if column_key(column) in known}


def check_mapping(kind: str, header: list[str], mapping: dict[str, str]) -> list[str]:
    """Problems with a mapping: unknown columns or fields, a field filled twice, a
    required field not filled."""
    problems = []
    known = set(fields_of(kind))
    for column, target in mapping.items():
        if column not in header:
            problems.append(
                Worded(
                    gettext_noop("There is no column %(column)s in the file."), column=repr(column)
                )
            )
        elif target not in known:
            problems.append(
                Worded(
                    gettext_noop("Column %(column)s: %(field)s is not a field of %(kind)s."),
                    column=repr(column),
                    field=repr(target),
                    kind=kind,
                )
            )
    targets = [t for t in mapping.values() if t]
    for target in sorted({t for t in targets if targets.count(t) > 1}):
        columns = " and ".join(repr(c) for c in header if mapping.get(c) == target)
        problems.append(
            Worded(
                gettext_noop(
                    "Columns %(columns)s both fill %(field)s; map one of them to nothing."
                ),
                columns=columns,
                field=repr(target),
            )
        )
    spec = upsert.KINDS[kind]
    required = [c.name for c in spec.columns if c.required] + [
        r.name for r in spec.references if r.required
    ]
    for name in required:
        if name not in targets:
            problems.append(
                Worded(
                    gettext_noop("No column fills the required field %(field)s."), field=repr(name)
                )
            )
    return problems


# How far down a file the column names are looked for when the first line lacks them.
HEADER_SEARCH_LINES = 10


def header_below(kind: str, path, delimiter: str) -> int | None:
    """The line (2 to HEADER_SEARCH_LINES) whose cells name every required field of
    `kind` when the first line does not: a report's title or a blank line above the
    column names, as exports of other tools often start. None when no such line."""
    spec = upsert.KINDS[kind]
    required = {c.name for c in spec.columns if c.required} | {
        r.name for r in spec.references if r.required
    }
    try:
        for line, cells in records(path, delimiter):
            if line == 1:
                continue
            if line > HEADER_SEARCH_LINES:
                return None
            names = [str(cell).strip() for cell in cells if str(cell).strip()]
            if required <= set(default_mapping(kind, names).values()):
                return line
    except (CsvUnreadable, ValueError):
        return None
    return None


def mapping_problems(kind: str, header: list[str], mapping: dict[str, str], path, delimiter):
    """check_mapping's problems; when there are any, also where the column names seem to
    be, if further down the file (header_hint)."""
    problems = check_mapping(kind, header, mapping)
    if problems:
        problems += header_hint(kind, path, delimiter)
    return problems


def header_hint(kind: str, path, delimiter: str) -> list[str]:
    """A problem saying where the column names seem to be, when not on the first line."""
    line = header_below(kind, path, delimiter)
    if line is None:
        return []
    return [
        Worded(
            gettext_noop(
                "The column names seem to be on line %(line)s: remove the lines above them "
                "and upload the file again."
            ),
            line=line,
        )
    ]


def decimal_mark_for(delimiter: str, decimal_mark: str | None) -> str | None:
    if decimal_mark and decimal_mark not in DECIMAL_MARKS:
        raise CsvUnreadable(
            Worded(
                gettext_noop("%(mark)s is not a decimal mark; use '.' or ','."),
                mark=repr(decimal_mark),
            )
        )
    if decimal_mark:
        return decimal_mark
    # A comma file's numbers use the point, except a quoted one holding a comma, which a
    # German spreadsheet writes for 1,085 (one point 085) as a US one does for 1085.
    return POINT_UNLESS_COMMA if default_decimal_mark(delimiter) == "." else None


def date_order_for(date_order: str | None) -> str | None:
    if date_order and date_order not in DATE_ORDERS:
        raise CsvUnreadable(
            Worded(
                gettext_noop("%(order)s is not a date order; use %(orders)s."),
                order=repr(date_order),
                orders=", ".join(DATE_ORDERS),
            )
        )
    return date_order or None
