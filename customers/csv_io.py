"""Reading and writing files of customers, contacts, contracts, interactions and exchange
rates: the one place where files come in (CSV and Excel .xlsx) and go out (CSV).

Import reads CSV as UTF-8 (with or without a byte-order mark), comma- or
semicolon-separated, or the first sheet of an Excel workbook (.xlsx), with a header row.
Nothing in the file is trusted:

- which bytes, lines, quotes and headers can be read is decided in one place,
  customers/file_records.py: a byte that is not UTF-8 anywhere, UTF-16, a document or
  archive, a quote left open, an overlong line, a column named twice (whatever its case,
  spacing or invisible characters) are refused naming the line;
- two columns that fill the same field (e.g. "email" and "Work Email") are refused
  naming both; trailing empty cells of a row are nothing;
- a file with a header and no rows is refused: there is nothing to check or import;
- a problem is reported at the line where its record starts (a quoted cell may hold line
  breaks);
- numbers are read with the file's decimal mark (chosen on the import, else a point for
  comma-separated files); a number that reads two ways is refused, never scaled;
- dates are read as spreadsheets write them (2025-12-31, 31.12.2025, 12/31/2025,
  2025/12/31, 31-Dec-2025, an ISO date-time at midnight) with the file's date order
  (chosen on the import, proposed from the file when its values say it, e.g. a 31 in
  the first place); a date that reads two ways under no order is refused, never guessed;
  yes/no cells may be TRUE/FALSE, WAHR/FALSCH, VRAI/FAUX, yes/no, 1/0 or 是/否;
- a value exported with a spreadsheet guard (a leading apostrophe before = + - @, tab or
  CR, also after leading spaces) is read back without it, so an export imports back unchanged.

A mapping names the field each column fills; a column mapped to nothing is ignored and
the field it would fill is left as it is on records that exist. A check (dry run)
validates every row with the same rules as every other door (customers/upsert.py) and
reports every problem by line and column; the import writes all rows in one transaction,
or none. Both stream the file in chunks of 10,000 rows, so memory does not grow with its
size.

Export writes CSV in the import's own columns, with a UTF-8 byte-order mark (so Excel
reads accents and Chinese names right) and every text cell safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils.translation import gettext_noop

from customers import upsert
from customers.file_records import (
    BOM,
    DELIMITERS,
    EXCEL,
    CsvUnreadable,
    UnsavedFormula,
    column_key,
    excel_serial,
    is_excel,
    records,
    sniff,
    visible,
)
from customers.row_values import (
    DATE_ORDERS,
    DECIMAL_MARKS,
    RowError,
    file_date,
    file_moment,
    from_spreadsheet,
    money,
    number_text,
    numeric_date_order,
    rate,
    spreadsheet_safe,
)
from customers.row_values import (
    date as date_parser,
)
from customers.row_values import (
    moment as moment_parser,
)
from retention.wording import Worded, coded

__all__ = ["BOM", "DELIMITERS", "EXCEL", "CsvUnreadable", "is_excel", "records", "sniff"]

CHUNK = upsert.MAX_ROWS
MAX_PROBLEMS = 1_000  # reported in full up to this many; the count is always exact


def fields_of(kind: str) -> list[str]:
    return upsert.KINDS[kind].fields


def default_decimal_mark(delimiter: str) -> str | None:
    """A comma-separated file cannot use a bare decimal comma: its mark is the point.
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


def _cell_text(value, parse: Callable | None) -> str:
    """A cell as the text the field's parser reads (workbooks hold typed cells)."""
    if isinstance(value, str):
        return from_spreadsheet(value) if value[:1] == "'" else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if parse is date_parser and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    return str(value)


def _rows(
    kind: str,
    path: Path,
    delimiter: str,
    mapping: dict[str, str],
    decimal_mark: str | None,
    date_order: str | None = None,
) -> Iterator[tuple[int, dict, list[tuple[str, str]]]]:
    """(line where the record starts, row as field -> text, problems as (field, message))
    for every data row."""
    parsers = {c.name: c.parse for c in upsert.KINDS[kind].columns}
    iterator = records(path, delimiter)
    header_line = next(iterator, None)
    header = [visible(h) for h in header_line[1]] if header_line else []
    while header and not header[-1]:
        header.pop()
    width = len(header)
    mapped = [
        (position, target, parsers.get(target) in (money, rate), parsers.get(target))
        for position, target in enumerate(mapping.get(column) for column in header)
        if target
    ]
    for line, record in iterator:
        problems: list[tuple[str | None, str]] = []
        if len(record) > width:
            extra = [
                position
                for position, value in enumerate(record[width:], start=width + 1)
                if str(value).strip()
            ]
            if extra:  # trailing empty cells are nothing; values without a column are
                where = ", ".join(str(position) for position in extra[:5])
                problems.append(
                    (
                        None,
                        Worded(
                            gettext_noop(
                                "1 more value than there are columns (in column %(where)s, "
                                "which the header does not name)."
                            )
                            if len(extra) == 1
                            else gettext_noop(
                                "%(count)s more values than there are columns (in columns "
                                "%(where)s, which the header does not name)."
                            ),
                            count=len(extra),
                            where=where,
                        ),
                    )
                )
            record = record[:width]
        try:
            blank_line = not "".join(record).strip()
        except TypeError:  # a workbook's typed cells
            blank_line = not any(str(value).strip() for value in record)
        if blank_line:
            continue
        row = {}
        filled = len(record)
        for position, target, numeric, parse in mapped:
            if position >= filled:
                continue
            value = record[position]
            if isinstance(value, UnsavedFormula):
                problems.append((target, Worded(UnsavedFormula.message)))
                continue
            if (
                parse in (date_parser, moment_parser)
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                try:
                    row[target] = excel_serial(value, parse)
                except RowError as problem:
                    problems.append((target, str(problem)))
                continue
            if numeric and isinstance(value, str):
                try:
                    value = number_text(value, decimal_mark)
                    parse(value)
                except RowError as problem:  # named as the file writes it, "10,005"
                    said = str(problem)
                    if isinstance(said, Worded) and said.params.get("value") == repr(value):
                        said = Worded(
                            said.code, **said.params | {"value": repr(record[position].strip())}
                        )
                    problems.append((target, said))
                    continue
            if parse in (date_parser, moment_parser) and isinstance(value, str):
                value = from_spreadsheet(value) if value[:1] == "'" else value
                if value.strip():
                    read = file_date if parse is date_parser else file_moment
                    try:
                        value = read(value, date_order)
                    except RowError as problem:
                        problems.append((target, str(problem)))
                        continue
            if isinstance(value, str):
                row[target] = from_spreadsheet(value) if value[:1] == "'" else value
            else:
                row[target] = _cell_text(value, parse)
        yield line, row, problems


def _chunks(kind, path, delimiter, mapping, decimal_mark, date_order=None) -> Iterator[list]:
    """Rows in chunks of CHUNK; a kind whose rows name each other (a team's parent, an
    employee's manager, perhaps further down) in one chunk, the whole file."""
    whole = upsert.KINDS[kind].whole_file
    chunk: list = []
    for item in _rows(kind, path, delimiter, mapping, decimal_mark, date_order):
        chunk.append(item)
        if len(chunk) == CHUNK and not whole:
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


def _mark(delimiter: str, decimal_mark: str | None) -> str | None:
    if decimal_mark and decimal_mark not in DECIMAL_MARKS:
        raise CsvUnreadable(
            Worded(
                gettext_noop("%(mark)s is not a decimal mark; use '.' or ','."),
                mark=repr(decimal_mark),
            )
        )
    return decimal_mark or default_decimal_mark(delimiter)


def _order(date_order: str | None) -> str | None:
    if date_order and date_order not in DATE_ORDERS:
        raise CsvUnreadable(
            Worded(
                gettext_noop("%(order)s is not a date order; use %(orders)s."),
                order=repr(date_order),
                orders=", ".join(DATE_ORDERS),
            )
        )
    return date_order or None


PROPOSAL_ROWS = 10_000


def propose_date_order(path: Path, delimiter: str) -> str | None:
    """The date order the file's own values show (in its first PROPOSAL_ROWS rows): "dmy"
    when a date has a day above 12 first (31/12/2025) or is written with dots, "mdy"
    when one has it second (12/31/2025); None when none says, or they disagree."""
    seen: set[str] = set()
    iterator = records(path, delimiter)
    try:
        next(iterator, None)
        for (_, record), _ in zip(iterator, range(PROPOSAL_ROWS), strict=False):
            for value in record:
                if isinstance(value, str) and value[:1].isdigit():
                    order = numeric_date_order(value)
                    if order:
                        seen.add(order)
            if len(seen) > 1:
                return None
    except CsvUnreadable:
        pass  # the check says where the file stops being readable
    return seen.pop() if len(seen) == 1 else None


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
    mark = _mark(delimiter, decimal_mark)
    order = _order(date_order)
    report = Report()
    for problem in check_mapping(kind, header, mapping):
        report.add(1, None, problem)
    if report.problem_count:
        return report
    try:
        _check_rows(kind, path, delimiter, mapping, mark, report, progress, order=order)
    except CsvUnreadable as error:  # e.g. a byte that is not UTF-8 far into the file
        report.add(error.line, None, str(error))
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
    kind, path, delimiter, mapping, mark, report: Report, progress, *, write=None, order=None
) -> None:
    """Validate every chunk, reporting each problem by line and column. With `write`
    (chunk, clean rows), each chunk is also written as soon as it is validated, as long as
    no problem has been found: an import reads and validates every row once, and the
    caller rolls back if a problem turns up further down."""
    column_of = {target: column for column, target in mapping.items() if target}
    present = set(column_of)
    seen: dict[str, int] = {}
    for chunk in _chunks(kind, path, delimiter, mapping, mark, order):
        lines = [line for line, _, _ in chunk]
        rows = []
        reported: set[tuple[int, str]] = set()
        for index, (line, row, problems) in enumerate(chunk):
            for target, message in problems:
                report.add(line, column_of.get(target) if target else None, message)
                reported.add((index, target))
            key = _row_key(kind, row)
            if key:
                if key in seen:
                    report.add(
                        line,
                        column_of[key[0]],
                        Worded(
                            gettext_noop("%(value)s is also on line %(line)s."),
                            value=repr(key[1]),
                            line=seen[key],
                        ),
                    )
                seen.setdefault(key, line)
            rows.append(row)
        clean, errors = upsert.validate(kind, rows, present=present)
        for error in errors:
            if getattr(error["message"], "code", error["message"]).endswith("of this request."):
                continue  # repeated ids are reported by line above, across chunks too
            index = error["index"]
            if (index, error["field"]) in reported:
                continue  # the value could not be read; said above
            report.add(
                lines[index], column_of.get(error["field"], error["field"]), error["message"]
            )
        if write is not None and not report.problem_count:
            write(chunk, clean)
        report.rows += len(chunk)
        if progress:
            progress(report.rows)


def _row_key(kind: str, row: dict) -> tuple[str, str] | None:
    """(field to point at, the value naming the record): its external id, or for usage
    totals the customer, day and event; None when the row does not name one."""
    names = ["customer" if n == "customer_id" else n for n in upsert.KINDS[kind].key]
    values = [str(row.get(name, "")).strip() for name in names]
    if not all(values):
        return None
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
    mark = _mark(delimiter, decimal_mark)
    order = _order(date_order)
    report = Report()
    for problem in check_mapping(kind, header, mapping):
        report.add(1, None, problem)
    if report.problem_count:
        return report
    present = {target for target in mapping.values() if target}
    column_of = {target: column for column, target in mapping.items() if target}

    def write(chunk: list, clean: list[dict]) -> None:
        try:
            with transaction.atomic():
                outcome = upsert.write_valid(kind, clean, present=present)
        except (OperationalError, InterfaceError):
            raise  # the database went away: the job retries, this is no bad row
        except DatabaseError:
            # A row the rules pass but the database refuses (a contract whose value in
            # the reporting currency overflows): name it; the import writes nothing.
            for line, column, message in _refused_rows(kind, chunk, present):
                report.add(line, column_of.get(column, column), message)
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
            )
        except CsvUnreadable as error:  # e.g. a byte that is not UTF-8 far into the file
            report.add(error.line, None, str(error))
        _refuse_empty(report)
        if report.problem_count:
            transaction.set_rollback(True)
            report.created = report.updated = report.unchanged = 0
    return report


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
            upsert.upsert(kind, [row for _, row, _ in chunk], present=present, max_rows=None)
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


def count_rows(path: Path) -> int:
    """Data rows in the file (for the progress bar)."""
    delimiter, _ = sniff(path)
    iterator = records(path, delimiter)
    count = 0
    try:
        next(iterator, None)
        for _, record in iterator:
            count += any(str(v).strip() for v in record)
    except CsvUnreadable:
        pass  # counted up to where it stops being readable; the check says where
    return count


def samples(path: Path, delimiter: str, count: int = 3) -> list[list[str]]:
    """The first values of each column, to show next to the mapping."""
    iterator = records(path, delimiter)
    first = next(iterator, None)
    header = first[1] if first else []
    columns: list[list[str]] = [[] for _ in header]
    for (_, record), _ in zip(iterator, range(count), strict=False):
        for i, value in enumerate(record[: len(header)]):
            if str(value).strip():
                columns[i].append(str(value).strip()[:40])
    return columns


# --- writing ----------------------------------------------------------------------------


def csv_lines(
    header: list[str], records: Iterable[Iterable], *, every: int = 1000
) -> Iterator[str]:
    """CSV text for a spreadsheet: a UTF-8 byte-order mark first (Excel then reads
    accents and Chinese right), every text cell guarded against running as a formula.
    Yields pieces of about `every` records, for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write(BOM)
    writer.writerow([spreadsheet_safe(h) for h in header])
    yield flush()
    for count, record in enumerate(records, start=1):
        writer.writerow(
            ["" if v is None else spreadsheet_safe(v) if isinstance(v, str) else v for v in record]
        )
        if count % every == 0:
            yield flush()
    yield flush()


def export_rows(kind: str, queryset) -> Iterator[str]:
    """The records as CSV text, header first, in the import's own columns (so an export
    can be edited and imported back)."""
    spec = upsert.KINDS[kind]
    columns = [c.name for c in spec.columns]
    lookups = {r.name: f"{r.name}__{r.key}" for r in spec.references}
    values = queryset.order_by("id").values_list(*columns, *lookups.values())
    records = (
        [v.isoformat() if isinstance(v, dt.datetime) else v for v in record]
        for record in values.iterator(chunk_size=5000)
    )
    return csv_lines(columns + list(lookups), records)
