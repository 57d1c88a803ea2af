"""Reading a file's rows as field -> text (typed workbook cells, numbers by the decimal
mark, dates by the date order), in chunks; counting and sampling rows."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext_noop

from customers import upsert
from customers.file_records import (
    CsvUnreadable,
    ExcelError,
    UnsavedFormula,
    excel_serial,
    records,
    sniff,
    visible,
)
from customers.row_values import (
    RowError,
    file_date,
    file_moment,
    from_spreadsheet,
    number_text,
    numeric_date_order,
)
from customers.row_values import (
    date as date_parser,
)
from customers.row_values import (
    moment as moment_parser,
)
from retention.wording import Worded

CHUNK = upsert.MAX_ROWS


def _beyond_sheet_digits(value: float) -> bool:
    """A number cell whose digits the sheet did not keep: past 15 significant digits (an
    id typed as 12345678901234567890 is held as 12345678901234567168), or one only an
    exponent can write (1E+21, 1.5E-07), which would be stored as "1e+21"."""
    if not math.isfinite(value):
        return True
    if value.is_integer():
        return abs(value) >= 1e15
    return "e" in repr(value)


def _clock(value: dt.time | dt.timedelta) -> str:
    """A time or duration cell as a sheet shows it: 10:30, 36:00 (hours past a day)."""
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
    else:
        seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}" + (f":{seconds:02}" if seconds else "")


def _cell_text(value, parse: Callable | None) -> str:
    """A cell as the text the field's parser reads (workbooks hold typed cells)."""
    if isinstance(value, str):
        return from_spreadsheet(value) if value[:1] == "'" else value
    if isinstance(value, bool):  # as Excel shows it; yes/no fields read TRUE/FALSE too
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if parse is date_parser:
            if value.time() != dt.time(0):
                raise RowError(
                    Worded(
                        gettext_noop(
                            "%(value)s is a date with a time of day; a date is expected (format "
                            "the cell as a date without a time)."
                        ),
                        value=value.strftime("%Y-%m-%d %H:%M"),
                    )
                )
            return value.date().isoformat()
        if parse is moment_parser:
            return value.isoformat()
        # a text field: as a sheet shows a date cell, the date alone at midnight
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time | dt.timedelta) and parse in (date_parser, moment_parser):
        # A time-only or duration cell (Excel keeps 10:30 or 36:00:00 as a fraction of a
        # day) is no date: said as what the sheet holds, not in the API's words.
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is a time of day or a duration; a date is expected (format "
                    "the cell as a date)."
                ),
                value=_clock(value),
            )
        )
    shown = getattr(value, "shown", None)
    if shown is not None and getattr(parse, "reads_text", False):
        return shown  # a text field reads a number cell as the sheet shows it: "00123"
    if isinstance(value, float):
        if getattr(parse, "reads_text", False) and _beyond_sheet_digits(value):
            raise RowError(
                Worded(
                    gettext_noop(
                        "%(value)s is a number a spreadsheet keeps to 15 digits only; format "
                        "the column as text and type the value again."
                    ),
                    value=repr(value),
                )
            )
        if getattr(parse, "reads_number", False) and math.isfinite(value):
            # An amount, rate or quantity as the sheet shows it and computes with: 15
            # significant digits (a formula's 0.1*3*1000 holds 300.0000000000001 and
            # shows 300), written out plainly.
            return format(Decimal(f"{value:.15g}"), "f")
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    return str(value)


# How Excel shows (and writes to CSV) a number too long for its column: 1.23457E+10.
_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]+)?E\+[0-9]{1,3}", re.IGNORECASE)


def _mangled_id(value) -> Worded | None:
    """Why an id or reference cell is not the id it was, or None: a date cell (Excel
    reads SEPT2 or 1-12 typed into a General column as a date), or text in the
    scientific notation Excel shows a long number in."""
    if isinstance(value, dt.date | dt.datetime):
        return Worded(
            gettext_noop(
                "%(value)s is a date in the sheet, not an id (a spreadsheet turns ids such as "
                "SEPT2 or 1-12 into dates); format the column as text and enter the ids again."
            ),
            value=value.strftime("%Y-%m-%d"),
        )
    if isinstance(value, str) and _SCIENTIFIC.fullmatch(value.strip()):
        return Worded(
            gettext_noop(
                "%(value)s is a number in scientific notation, as a spreadsheet shows a long "
                "number: the id's digits are lost. Format the column as text where the file "
                "was made and export it again."
            ),
            value=repr(value.strip()),
        )
    return None


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
        (position, target, getattr(parsers.get(target), "reads_number", False), parsers.get(target))
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
            if isinstance(value, ExcelError):
                problems.append((target, Worded(ExcelError.message, value=str(value))))
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
            # An id or a reference (no parser of its own: named by its key) that a
            # spreadsheet turned into something else: a date (SEPT2, 1-12) or the
            # scientific notation it shows a long number in (its digits lost).
            if parse is None or getattr(parse, "names_a_record", False):
                mangled = _mangled_id(value)
                if mangled:
                    problems.append((target, mangled))
                    continue
            if isinstance(value, str):
                row[target] = from_spreadsheet(value) if value[:1] == "'" else value
            else:
                try:
                    row[target] = _cell_text(value, parse)
                except RowError as problem:
                    problems.append((target, str(problem)))
        yield line, row, problems


def chunks(kind, path, delimiter, mapping, decimal_mark, date_order=None) -> Iterator[list]:
    """Rows in chunks of CHUNK; a kind whose rows name each other (a team's parent, an
    employee's manager, perhaps further down) in one chunk, the whole file. Where the
    file stops being readable, the rows read before are given, then the refusal."""
    whole = upsert.KINDS[kind].whole_file
    chunk: list = []
    try:
        for item in _rows(kind, path, delimiter, mapping, decimal_mark, date_order):
            chunk.append(item)
            if len(chunk) == CHUNK and not whole:
                yield chunk
                chunk = []
    except CsvUnreadable:
        if chunk:  # the rows read before it are checked and counted, then the refusal
            yield chunk
        raise
    if chunk:
        yield chunk


PROPOSAL_ROWS = 10_000


def propose_date_order(
    path: Path, delimiter: str, kind: str | None = None, mapping: dict[str, str] | None = None
) -> str | None:
    """The date order the file's own dates show (in its first PROPOSAL_ROWS rows): "dmy"
    when a date has a day above 12 first (31/12/2025) or is written with dots, "mdy"
    when one has it second (12/31/2025); None when none says, or they disagree. With
    `kind` and `mapping` (column name -> field) only the columns mapped to a date or a
    moment are read: a note that starts "15.03.2026 customer called" is no date cell."""
    seen: set[str] = set()
    iterator = records(path, delimiter)
    try:
        first = next(iterator, None)
        positions = None
        if kind is not None and mapping is not None:
            parsers = {c.name: c.parse for c in upsert.KINDS[kind].columns}
            header = [visible(h) for h in first[1]] if first else []
            positions = [
                position
                for position, column in enumerate(header)
                if parsers.get(mapping.get(column)) in (date_parser, moment_parser)
            ]
        for (_, record), _ in zip(iterator, range(PROPOSAL_ROWS), strict=False):
            cells = (
                record if positions is None else [record[p] for p in positions if p < len(record)]
            )
            for value in cells:
                if isinstance(value, str) and value[:1].isdigit():
                    order = numeric_date_order(value)
                    if order:
                        seen.add(order)
            if len(seen) > 1:
                return None
    except CsvUnreadable:
        pass  # the check says where the file stops being readable
    return seen.pop() if len(seen) == 1 else None


def count_rows(path: Path) -> int:
    """Data rows in the file (for the progress bar)."""
    delimiter, _ = sniff(path)
    iterator = records(path, delimiter)
    count = 0
    try:
        next(iterator, None)
        for _, record in iterator:
            count += any(str(v).strip() for v in record)
    except CsvUnreadable as error:
        # Counted up to where it stops being readable, that row included: the check
        # counts it as a row of the file too (and says where), so "checked" never
        # passes the total.
        if error.row:
            count = max(count, error.row)
    return count


def samples(path: Path, delimiter: str, count: int = 3) -> list[list[str]]:
    """The first values of each column, to show next to the mapping."""
    iterator = records(path, delimiter)
    first = next(iterator, None)
    header = first[1] if first else []
    columns: list[list[str]] = [[] for _ in header]
    for (_, record), _ in zip(iterator, range(count), strict=False):
        for i, value in enumerate(record[: len(header)]):
            shown = _as_shown(value).strip()
            if shown:
                columns[i].append(shown[:40])
    return columns


def _as_shown(value) -> str:
    """A cell as its sheet shows it, for the mapping page's examples: a date cell as the
    date (with its time only if it has one), TRUE/FALSE, a time as 10:30."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return _cell_text(value, None)
    if isinstance(value, dt.time | dt.timedelta):
        return _clock(value)
    shown = getattr(value, "shown", None)
    return shown if shown is not None else str(value)
