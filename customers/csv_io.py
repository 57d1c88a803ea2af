"""CSV import and export of customers, contacts, contracts and interactions.

Import reads UTF-8 (with or without a byte-order mark), comma- or semicolon-separated,
with a header row. A mapping names the field each CSV column fills (columns mapped to
nothing are ignored); by default a column fills the field of the same name. A check (dry
run) validates every row with the same rules as the API's bulk upsert and reports every
problem by CSV line and column; the import writes all rows in one transaction, or none.
Both stream the file in chunks of 10,000 rows, so memory does not grow with its size.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from customers import upsert

CHUNK = upsert.MAX_ROWS
MAX_PROBLEMS = 1_000  # reported in full up to this many; the count is always exact
DELIMITERS = ",;"


class CsvUnreadable(ValueError):
    """The file cannot be read as CSV at all (encoding, no header)."""


def fields_of(kind: str) -> list[str]:
    return upsert.KINDS[kind].fields


def _normalise(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def sniff(path: Path) -> tuple[str, list[str]]:
    """The delimiter and the header of a CSV file."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        try:
            sample = handle.read(64 * 1024)
        except UnicodeDecodeError as error:
            raise CsvUnreadable(
                f"The file is not UTF-8 text (byte {error.start + 1}); save it as CSV UTF-8."
            ) from None
    first_line = sample.splitlines()[0] if sample.strip() else ""
    if not first_line:
        raise CsvUnreadable("The file is empty; it needs a header row.")
    delimiter = max(DELIMITERS, key=first_line.count)
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    if not any(h.strip() for h in header):
        raise CsvUnreadable("The first row is empty; it needs the column names.")
    return delimiter, [h.strip() for h in header]


def default_mapping(kind: str, header: list[str]) -> dict[str, str]:
    """CSV column -> field, for the columns whose name matches a field."""
    known = {_normalise(f): f for f in fields_of(kind)}
    return {column: known[_normalise(column)] for column in header if _normalise(column) in known}


def check_mapping(kind: str, header: list[str], mapping: dict[str, str]) -> list[str]:
    """Problems with a mapping: unknown columns or fields, a field filled twice, a
    required field not filled."""
    problems = []
    known = set(fields_of(kind))
    for column, target in mapping.items():
        if column not in header:
            problems.append(f"There is no column {column!r} in the file.")
        elif target not in known:
            problems.append(f"Column {column!r}: {target!r} is not a field of {kind}.")
    targets = [t for t in mapping.values() if t]
    for target in sorted({t for t in targets if targets.count(t) > 1}):
        problems.append(f"More than one column fills {target!r}.")
    spec = upsert.KINDS[kind]
    required = [c.name for c in spec.columns if c.required] + [
        r.name for r in spec.references if r.required
    ]
    for name in required:
        if name not in targets:
            problems.append(f"No column fills the required field {name!r}.")
    return problems


def _rows(path: Path, delimiter: str, mapping: dict[str, str]) -> Iterator[tuple[int, dict]]:
    """(CSV line number, row as field -> value) for every data row."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = [h.strip() for h in next(reader)]
        targets = [mapping.get(column) for column in header]
        for record in reader:
            if not any(value.strip() for value in record):
                continue  # blank lines
            row = {t: v for t, v in zip(targets, record, strict=False) if t}
            if len(record) > len(header):
                row["__extra__"] = record[len(header) :]
            yield reader.line_num, row


def _chunks(path, delimiter, mapping) -> Iterator[list[tuple[int, dict]]]:
    chunk: list[tuple[int, dict]] = []
    for item in _rows(path, delimiter, mapping):
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problem_count: int = 0
    problems: list[dict] = field(default_factory=list)  # {"line", "column", "message"}

    def add(self, line: int, column: str | None, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"line": line, "column": column, "message": message})


Progress = Callable[[int], None]


def check(
    kind: str, path: Path, mapping: dict[str, str], progress: Progress | None = None
) -> Report:
    """Validate every row; nothing is written."""
    delimiter, header = sniff(path)
    report = Report()
    for problem in check_mapping(kind, header, mapping):
        report.add(1, None, problem)
    if report.problem_count:
        return report
    column_of = {target: column for column, target in mapping.items() if target}
    seen: dict[str, int] = {}
    for chunk in _chunks(path, delimiter, mapping):
        lines = [line for line, _ in chunk]
        rows = []
        for line, row in chunk:
            extra = row.pop("__extra__", None)
            if extra:
                report.add(line, None, f"{len(extra)} more value(s) than there are columns.")
            key = _row_key(kind, row)
            if key:
                if key in seen:
                    report.add(line, column_of[key[0]], f"{key[1]!r} is also on line {seen[key]}.")
                seen.setdefault(key, line)
            rows.append(row)
        _, errors = upsert.validate(kind, rows)
        for error in errors:
            if error["message"].endswith("of this request."):
                continue  # repeated ids are reported by line above, across chunks too
            index = error["index"]
            report.add(
                lines[index], column_of.get(error["field"], error["field"]), error["message"]
            )
        report.rows += len(chunk)
        if progress:
            progress(report.rows)
    return report


def _row_key(kind: str, row: dict) -> tuple[str, str] | None:
    """(field to point at, the value naming the record): its external id, or for usage
    totals the customer, day and event; None when the row does not name one."""
    names = ["customer" if n == "customer_id" else n for n in upsert.KINDS[kind].key]
    values = [str(row.get(name, "")).strip() for name in names]
    if not all(values):
        return None
    return (names[-1], values[0] if len(values) == 1 else " / ".join(values))


def import_file(
    kind: str, path: Path, mapping: dict[str, str], progress: Progress | None = None
) -> Report:
    """Check the whole file; if it is clean, write every row in one transaction."""
    report = check(kind, path, mapping, progress=None)
    if report.problem_count:
        return report
    delimiter, _ = sniff(path)
    done = 0
    with transaction.atomic():
        for chunk in _chunks(path, delimiter, mapping):
            outcome = upsert.upsert(kind, [row for _, row in chunk])
            if outcome.errors:  # changed under us since the check: stop, write nothing
                for error in outcome.errors[:MAX_PROBLEMS]:
                    line = chunk[error["index"]][0] if error["index"] is not None else None
                    report.add(line, error["field"], error["message"])
                transaction.set_rollback(True)
                report.created = report.updated = report.unchanged = 0
                return report
            report.created += outcome.created
            report.updated += outcome.updated
            report.unchanged += outcome.unchanged
            done += len(chunk)
            if progress:
                progress(done)
    return report


def export_rows(kind: str, queryset) -> Iterator[str]:
    """The records as CSV text, header first, in the import's own columns (so an export
    can be edited and imported back)."""
    spec = upsert.KINDS[kind]
    columns = [c.name for c in spec.columns]
    lookups = {r.name: f"{r.name}__{r.key}" for r in spec.references}
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns + list(lookups))
    yield flush()
    values = queryset.order_by("id").values_list(*columns, *lookups.values())
    for count, record in enumerate(values.iterator(chunk_size=5000), start=1):
        writer.writerow(["" if v is None else v for v in record])
        if count % 1000 == 0:
            yield flush()
    yield flush()


def count_rows(path: Path) -> int:
    """Data rows in the file (for the progress bar)."""
    delimiter, _ = sniff(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        return sum(1 for record in reader if any(v.strip() for v in record))


def samples(path: Path, delimiter: str, count: int = 3) -> list[list[str]]:
    """The first values of each column, to show next to the mapping."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, [])
        columns: list[list[str]] = [[] for _ in header]
        for record, _ in zip(reader, range(count), strict=False):
            for i, value in enumerate(record[: len(header)]):
                if value.strip():
                    columns[i].append(value.strip()[:40])
    return columns
