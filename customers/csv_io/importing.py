"""Checking and importing a file: every row validated by the bulk upsert's rules and
reported by line and column; the import writes every row in one transaction, or none."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils.translation import gettext_noop

from customers import upsert
from customers.csv_io.mapping import (
    date_order_for,
    decimal_mark_for,
    mapping_problems,
)
from customers.csv_io.reading import chunks
from customers.file_records import (
    CsvUnreadable,
    sniff,
)
from retention.wording import Worded, coded

MAX_PROBLEMS = 1_000  # reported in full up to this many; the count is always exact


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problem_count: int = 0
    # {"line", "column", "message"}, and "code", "params" to word it in the reader's
    # language (retention/wording.py)
    problems: list[dict] = field(default_factory=list)

    def add(self, line: int | None, column: str | None, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(
                {"line": line, "column": column, "message": message, **coded(message)}
            )


Progress = Callable[[int], None]


def check(
    kind: str,
    path: Path,
    mapping: dict[str, str],
    progress: Progress | None = None,
    *,
    decimal_mark: str | None = None,
    date_order: str | None = None,
) -> Report:
    """Validate every row; nothing is written."""
    delimiter, header = sniff(path)
    mark = decimal_mark_for(delimiter, decimal_mark)
    order = date_order_for(date_order)
    report = Report()
    for problem in mapping_problems(kind, header, mapping, path, delimiter):
        report.add(1, None, problem)
    if report.problem_count:
        return report
    try:
        _check_rows(
            kind, path, delimiter, mapping, mark, report, progress, order=order, header=header
        )
    except CsvUnreadable as error:  # e.g. a byte that is not UTF-8 far into the file
        report.add(error.line, None, str(error))
        if error.row:  # the row that could not be read is a row of the file too
            report.rows = max(report.rows, error.row)
    _refuse_empty(report)
    return report


def _refuse_empty(report: Report) -> None:
    if not report.rows and not report.problem_count:
        report.add(
            1,
            None,
            Worded(gettext_noop("The file has a header but no rows under it; nothing to import.")),
        )


def _check_rows(
    kind,
    path,
    delimiter,
    mapping,
    mark,
    report: Report,
    progress,
    *,
    write=None,
    order=None,
    header=None,
) -> None:
    """Validate every chunk, reporting each problem by line and column. With `write`
    (chunk, clean rows), each chunk is also written as soon as it is validated, as long as
    no problem has been found: an import reads and validates every row once, and the
    caller rolls back if a problem turns up further down."""
    column_of = {target: column for column, target in mapping.items() if target}
    position = {column: n for n, column in enumerate(header or mapping)}
    present = _present(kind, mapping)
    seen: dict[str, int] = {}
    for chunk in chunks(kind, path, delimiter, mapping, mark, order):
        lines = [line for line, _, _ in chunk]
        rows = []
        reported: set[tuple[int, str]] = set()
        # The chunk's problems, found value by value, then row by row, then by the rules:
        # told by line, then by column as the file has them.
        found: list[tuple[int, str | None, str]] = []
        for index, (line, row, problems) in enumerate(chunk):
            for target, message in problems:
                found.append((line, column_of.get(target) if target else None, message))
                reported.add((index, target))
            rows.append(row)
        clean, errors = upsert.validate(kind, rows, present=present, blank_keeps_stored=True)
        # A record named twice, across chunks too, by its key as read (`usd` and `USD`,
        # `15.11.2026` and `2026-11-15` are one currency and one day), told as the file
        # writes it.
        for index, row in enumerate(clean):
            key = _read_key(kind, row)
            if key is None:
                continue
            if key in seen:
                field, written = _row_key(kind, rows[index])
                found.append(
                    (
                        lines[index],
                        column_of[field],
                        Worded(
                            gettext_noop("%(value)s is also on line %(line)s."),
                            value=repr(written),
                            line=seen[key],
                        ),
                    )
                )
            seen.setdefault(key, lines[index])
        key_fields = {"customer" if n == "customer_id" else n for n in upsert.KINDS[kind].key}
        for error in errors:
            message = error["message"]
            if getattr(message, "code", message).endswith("of this request."):
                if error["field"] in key_fields:
                    continue  # repeated ids are reported by line above, across chunks too
                if getattr(message, "code", "") == _ALSO_IN_ROW:
                    # Another value that must name one record (an e-mail, a team's name),
                    # given twice: said by the file's lines.
                    message = Worded(
                        gettext_noop("%(value)s is also on line %(line)s."),
                        value=message.params["value"],
                        line=lines[message.params["row"]],
                    )
            index = error["index"]
            if (index, error["field"]) in reported:
                continue  # the value could not be read; said above
            found.append((lines[index], column_of.get(error["field"], error["field"]), message))
        found.sort(key=lambda problem: (problem[0], position.get(problem[1], -1)))
        for line, column, message in found:
            report.add(line, column, message)
        if write is not None and not report.problem_count:
            write(chunk, clean)
        report.rows += len(chunk)
        if progress:
            progress(report.rows)


def _read_key(kind: str, row: dict) -> tuple | None:
    """The key naming a validated row's record, as read (its external id; for usage
    totals the customer, day and event; for rates the currency and day); None when a
    part could not be read."""
    key = tuple(row.get(name) for name in upsert.KINDS[kind].key)
    return None if any(part in (None, "") for part in key) else key


def _row_key(kind: str, row: dict) -> tuple[str, str]:
    """(field to point at, the value naming the record as the file writes it)."""
    names = ["customer" if n == "customer_id" else n for n in upsert.KINDS[kind].key]
    values = [str(row.get(name, "")).strip() for name in names]
    return (names[-1], values[0] if len(values) == 1 else " / ".join(values))


def import_file(
    kind: str,
    path: Path,
    mapping: dict[str, str],
    progress: Progress | None = None,
    *,
    decimal_mark: str | None = None,
    date_order: str | None = None,
) -> Report:
    """Check every row and write them all in one transaction, or, if any row has a
    problem, write nothing and report every problem as the check does. Each chunk is
    validated inside the transaction just before it is written (so nothing that changed
    since an earlier check slips through), and only once."""
    delimiter, header = sniff(path)
    mark = decimal_mark_for(delimiter, decimal_mark)
    order = date_order_for(date_order)
    report = Report()
    for problem in mapping_problems(kind, header, mapping, path, delimiter):
        report.add(1, None, problem)
    if report.problem_count:
        return report
    present = _present(kind, mapping)
    column_of = {target: column for column, target in mapping.items() if target}

    def write(chunk: list, clean: list[dict]) -> None:
        # The lines of the records, by key as stored (the write sorts `clean`).
        line_of = {
            row.get("external_id"): line for (line, _, _), row in zip(chunk, clean, strict=True)
        }
        try:
            with transaction.atomic():
                outcome = upsert.write_valid(kind, clean, present=present)
        except (OperationalError, InterfaceError):
            raise  # the database went away: the job retries, this is no bad row
        except upsert.RecordsMoved as moved:  # stored under another customer meanwhile
            for key, message in moved.moved:
                report.add(line_of.get(key, 1), column_of.get("customer", "customer"), message)
            return
        except DatabaseError as error:
            # A row the rules pass but the database refuses (a contract whose value in
            # the reporting currency overflows): name it; the import writes nothing.
            refused = _refused_rows(kind, chunk, present)
            for line, column, message in refused:
                report.add(line, column_of.get(column, column), message)
            if not refused:
                # Refused together, each row passing alone (two rows naming one record
                # by another value the database keeps unique): never reported as written.
                text = str(error).strip().splitlines()
                report.add(
                    chunk[0][0],
                    None,
                    Worded(
                        gettext_noop(
                            "The database refused lines %(first)s to %(last)s together, "
                            "though each passes alone: %(reason)s."
                        ),
                        first=chunk[0][0],
                        last=chunk[-1][0],
                        reason=text[0] if text else str(error),
                    ),
                )
            return
        report.created += outcome.created
        report.updated += outcome.updated
        report.unchanged += outcome.unchanged

    def written(_checked: int) -> None:
        # The bar counts written rows; the callback may also stop the import (Cancel).
        progress(0 if report.problem_count else report.created + report.updated + report.unchanged)

    with transaction.atomic():
        try:
            _check_rows(
                kind,
                path,
                delimiter,
                mapping,
                mark,
                report,
                written if progress else None,
                write=write,
                order=order,
                header=header,
            )
        except CsvUnreadable as error:  # e.g. a byte that is not UTF-8 far into the file
            report.add(error.line, None, str(error))
            if error.row:  # the row that could not be read is a row of the file too
                report.rows = max(report.rows, error.row)
        _refuse_empty(report)
        if report.problem_count:
            transaction.set_rollback(True)
            report.created = report.updated = report.unchanged = 0
    return report


# The batch rules' message for a value that must name one record given on two rows.
_ALSO_IN_ROW = "%(value)s is also in row %(row)s of this request."


# Fields a status column speaks for when the file has no column of their own: a
# customer made active has no churn date or reason, a contact made active no leaving
# date. Given as empty, they keep what is stored unless the row's status clears them
# (upsert.checks._fill_blanks).
_STATUS_SPEAKS_FOR = {
    "customers": ("churned_on", "churn_reason"),
    "contacts": ("left_on",),
}


def _present(kind: str, mapping: dict) -> set[str]:
    """The fields the file gives: its mapped columns, and those its status column
    speaks for (_STATUS_SPEAKS_FOR)."""
    present = {target for target in mapping.values() if target}
    if "status" in present:
        present |= set(_STATUS_SPEAKS_FOR.get(kind, ()))
    return present


class _TryOnly(Exception):
    """Rolls a trial write back."""


# Columns the database fills from another field: a refusal is about that field.
_DERIVED_FROM = {"annual_value_reporting": "annual_value"}


def _refused_rows(kind: str, chunk: list, present: set[str]) -> list[tuple[int, str | None, str]]:
    """(line, field, message) of each row of the chunk the database refuses, found by
    halving the chunk in trial writes that are always rolled back."""
    if not chunk:
        return []
    try:
        with transaction.atomic():
            upsert.upsert(
                kind,
                [row for _, row, _ in chunk],
                present=present,
                max_rows=None,
                blank_keeps_stored=True,
            )
            raise _TryOnly
    except _TryOnly:
        return []
    except (OperationalError, InterfaceError):
        raise
    except DatabaseError as error:
        if len(chunk) == 1:
            text = str(error).strip().splitlines()
            column = re.search(r"column (\w+)", str(error))
            field = column.group(1) if column else None
            return [
                (
                    chunk[0][0],
                    _DERIVED_FROM.get(field, field),
                    Worded(
                        gettext_noop("The database refused this row: %(reason)s."),
                        reason=text[0] if text else str(error),
                    ),
                )
            ]
    middle = len(chunk) // 2
    return _refused_rows(kind, chunk[:middle], present) + _refused_rows(
        kind, chunk[middle:], present
    )
