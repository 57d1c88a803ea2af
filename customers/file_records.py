"""Reading an uploaded file into records: the one place that decides which bytes are a
file the import can read. Every door (the Import page, its worker job or embedded
thread, `manage.py import_csv`, the teams and employees import) reads through here, so
a file is refused the same way, with the same words, wherever it comes in.

- CSV is UTF-8, with or without a byte-order mark; a byte that is not UTF-8, wherever
  it is, is refused naming its line. UTF-16 and UTF-32 text, old Excel workbooks (.xls),
  PDFs, images and archives are refused by name before anything is read.
- Lines end in CRLF, LF or a lone CR (old Macs), or a mix; a line is counted the same
  way everywhere, so the line a refusal names is the line an editor shows.
- Quotes are read strictly: a quote left open, or text after a closing quote, is
  refused at the line where its record starts, never silently merged into one value.
- A physical line longer than MAX_LINE_CHARS, a value longer than the csv module's
  field limit or a header of more than MAX_COLUMNS columns is refused, so one huge line
  cannot fill the memory.
- An Excel workbook (.xlsx) is known by its content, whatever its name ends in.
- The header names every column once: names that differ only by case, spaces, hyphens,
  underscores or invisible characters (a byte-order mark, a zero-width space) are the
  same name; an unnamed column between named ones is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from itertools import islice, zip_longest
from pathlib import Path

from django.utils.translation import gettext_noop

from customers.row_values import RowError
from customers.row_values import date as date_parser
from retention.wording import Joined, Worded

EXCEL = "x"  # the "delimiter" recorded for an Excel workbook
BOM = "\ufeff"
DELIMITERS = ",;\t"
# A first line "sep=;" (Excel writes it, and reads it as the file's delimiter).
_SEP_HINT = re.compile(r"\Asep=(.)\Z", re.IGNORECASE)
# Delimiters that the import does not read, named when a header holds them in one column.
OTHER_DELIMITERS = "|^~"
MAX_LINE_CHARS = 1_048_576
MAX_COLUMNS = 1_000
MAX_HEADER_PROBLEMS = 10  # named in full; the rest counted
FIELD_LIMIT = csv.field_size_limit()

# Files that are not text at all, by their first bytes.
SIGNATURES = [
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        gettext_noop(
            "an old Excel workbook (.xls), a password-protected workbook or another Office "
            "97-2003 file"
        ),
    ),
    (b"%PDF-", gettext_noop("a PDF document")),
    (b"\x1f\x8b", gettext_noop("a gzip archive")),
    (b"7z\xbc\xaf\x27\x1c", gettext_noop("a 7-Zip archive")),
    (b"Rar!\x1a\x07", gettext_noop("a RAR archive")),
    (b"\x89PNG", gettext_noop("a PNG image")),
    (b"\xff\xd8\xff", gettext_noop("a JPEG image")),
    (b"{\\rtf", gettext_noop("an RTF document")),
]
UTF16_OR_32 = gettext_noop(
    "The file is not UTF-8 text: it looks like UTF-16 or UTF-32 (line 1 has NUL bytes or "
    "a UTF-16 byte-order mark); save it as CSV UTF-8."
)


class CsvUnreadable(ValueError):
    """The file cannot be read (encoding, no header, a bad header, a broken workbook);
    the message says where and why, `line` where the reading stopped (the line where
    the record starts)."""

    def __init__(self, message: str, line: int | None = None, row: int | None = None):
        super().__init__(message)
        self.line = line
        self.row = row  # the data row that could not be read, when known


def column_key(name: str) -> str:
    """A column name as compared with others and with field names: without case,
    spaces, hyphens, underscores, dots or invisible characters ("E-Mail", " email ",
    "\\ufeffemail" are all "email")."""
    return re.sub(r"[\s_\-.]+", "", visible(name).lower())


def visible(name: str) -> str:
    """A header cell without invisible format characters (byte-order marks, zero-width
    spaces, direction marks) and surrounding spaces."""
    return "".join(c for c in str(name) if unicodedata.category(c) != "Cf").strip()


def is_excel(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"  # a zip container: .xlsx


# --- lines and records ------------------------------------------------------------------

_LINE_END = re.compile(rb"\r\n|\r|\n")


def _raw_lines(path: Path) -> Iterator[bytes]:
    """The file's lines as bytes, split as the CSV reader splits them (CRLF, LF or a
    lone CR), each at most MAX_LINE_CHARS long."""
    with open(path, "rb") as handle:
        pending = b""
        number = 0
        while True:
            block = handle.read(1 << 20)
            pending += block
            position = 0
            while end := _LINE_END.search(pending, position):
                if end.group() == b"\r" and end.end() == len(pending) and block:
                    break  # a CR at the end of a block: its LF may come with the next one
                number += 1
                yield pending[position : end.end()]
                position = end.end()
            pending = pending[position:]
            if not block:
                if pending:
                    yield pending
                return
            if len(pending) > MAX_LINE_CHARS * 4:  # bytes: up to four per character
                raise _too_long(number + 1)


def _too_long(line: int) -> CsvUnreadable:
    return CsvUnreadable(
        Worded(
            gettext_noop(
                "Line %(line)s is longer than %(most)s characters; a CSV file has one record "
                "per line (is this a CSV file, or are its line breaks lost?)."
            ),
            line=line,
            most=f"{MAX_LINE_CHARS:,}",
        ),
        line,
    )


def decoded_lines(path: Path) -> Iterator[str]:
    """The file's lines as text, decoded strictly: a byte that is not UTF-8 is refused
    with its line, wherever it is in the file."""
    for number, raw in enumerate(_raw_lines(path), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CsvUnreadable(
                Worded(
                    gettext_noop(
                        "Line %(line)s is not UTF-8 text (byte %(at)s of the line, %(byte)s); "
                        "save it as CSV UTF-8."
                    ),
                    line=number,
                    at=error.start + 1,
                    # As hex ("0xE9"), not a Python bytes literal.
                    byte=f"0x{raw[error.start]:02X}",
                ),
                number,
            ) from None
        if number == 1 and line.startswith(BOM):
            line = line[1:]
        if len(line) > MAX_LINE_CHARS:
            raise _too_long(number)
        yield line


def _text_lines(handle) -> Iterator[str]:
    """Lines of a text file opened with newline="", none longer than MAX_LINE_CHARS."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise _too_long(number)
        yield line


def _quote_problem(error: csv.Error, start: int, now: int) -> str:
    text = str(error)
    if "unexpected end of data" in text:
        return Worded(
            gettext_noop(
                "Line %(line)s: a quote opened in this record is never closed (the file ends "
                "inside it)."
            ),
            line=start,
        )
    if "expected after" in text:
        if now != start:
            return Worded(
                gettext_noop(
                    "Line %(line)s: a quoted value is followed by more text on line %(now)s; a "
                    'quote inside a quoted value is written twice ("").'
                ),
                line=start,
                now=now,
            )
        return Worded(
            gettext_noop(
                "Line %(line)s: a quoted value is followed by more text on this line; a quote "
                'inside a quoted value is written twice ("").'
            ),
            line=start,
        )
    if "field larger than field limit" in text:
        return Worded(
            gettext_noop(
                "Line %(line)s: a value is longer than %(most)s characters (is a quote left open?)."
            ),
            line=start,
            most=f"{FIELD_LIMIT:,}",
        )
    return Worded(gettext_noop("Line %(line)s: %(problem)s."), line=start, problem=text)


def csv_records(
    path: Path, delimiter: str, *, line_by_line: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells). Decoded in large blocks (fast); on a
    bad byte the file is read again line by line from the start (the records already
    given are skipped), so the refusal names the record, its row and the line of the
    byte exactly, wherever it is. `line_by_line` decodes only as far as it reads (the
    header)."""
    given = 0
    try:
        for item in _csv_records(path, delimiter, line_by_line):
            given += 1
            yield item
    except _Undecodable:
        for item in islice(_csv_records(path, delimiter, True), given, None):
            yield item


class _Undecodable(Exception):
    """A block of the file is not UTF-8: read it again line by line to say where."""


def _csv_records(path: Path, delimiter: str, line_by_line: bool) -> Iterator[tuple[int, list]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        lines = decoded_lines(path) if line_by_line else _text_lines(handle)
        skipped = 0
        if sep_hint(path):
            next(lines, None)
            skipped = 1
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        given = 0
        while True:
            start = reader.line_num + 1 + skipped
            try:
                record = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _Undecodable from None
            except CsvUnreadable as error:  # a byte that is not UTF-8, read line by line
                if given == 0:
                    raise  # the header
                if error.line == start:  # its line is its record's: counted, not reworded
                    raise CsvUnreadable(error.args[0], start, row=given) from None
                raise CsvUnreadable(
                    Worded(
                        gettext_noop("Row %(row)s (from line %(start)s): %(problem)s"),
                        row=f"{given:,}",
                        start=start,
                        problem=error.args[0],
                    ),
                    start,
                    row=given,
                ) from None
            except csv.Error as error:
                raise CsvUnreadable(
                    _quote_problem(error, start, reader.line_num + skipped), start
                ) from None
            given += 1
            yield start, record


class UnsavedFormula(str):
    """A workbook cell holding a formula whose value was never saved (the file was
    written by a program that does not calculate): there is nothing to read."""

    message = gettext_noop("A formula without a saved value; open and save the file in Excel.")


def sep_hint(path: Path) -> str | None:
    """The delimiter a first line "sep=X" names (Excel writes one and reads the file
    with it), or None; the line itself is not a record."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(BOM.encode()):
        head = head[3:]
    first = head.splitlines()[0] if head.strip() else b""
    try:
        match = _SEP_HINT.match(first.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return match.group(1) if match else None


def _first_visible(workbook):
    """The first sheet a person sees: hidden sheets are skipped (the first one left if
    all are hidden)."""
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") == "visible":
            return workbook.worksheets.index(sheet)
    return 0


def sheet_read(path: Path) -> tuple[str, list[str]] | None:
    """(title of the sheet the import reads, titles of the hidden sheets skipped before
    it), for a workbook of more than one sheet; None otherwise."""
    if not is_excel(path):
        return None
    from openpyxl import load_workbook

    try:
        with open(path, "rb") as handle:
            workbook = load_workbook(handle, read_only=True)
            try:
                sheets = workbook.worksheets
                if len(sheets) < 2:
                    return None
                index = _first_visible(workbook)
                return sheets[index].title, [sheet.title for sheet in sheets[:index]]
            finally:
                workbook.close()
    except Exception:  # the reading itself says why the workbook cannot be read
        return None


class ExcelError(str):
    """A workbook cell holding one of Excel's error values (#N/A of a failed lookup,
    #DIV/0!, #REF!, ...): the sheet shows an error, not a value to import."""

    message = gettext_noop(
        "The cell shows the Excel error %(value)s, not a value; correct the formula or clear "
        "the cell."
    )


class SheetInt(int):
    """A whole-number cell of a workbook, with what the sheet shows of it where that
    differs from its digits (`shown`: "00123" or "123-456" from a format of digit
    placeholders and literal text) and, in a workbook on the Mac's 1904 date system,
    the day its serial counts from (`epoch`). A text field reads `shown`; a number or
    date field reads the number."""

    shown: str | None = None
    epoch: dt.datetime | None = None


class SheetFloat(float):
    shown: str | None = None
    epoch: dt.datetime | None = None


MAC_EPOCH = dt.datetime(1904, 1, 1)
# A format section Excel writes a whole number with: digit placeholders (0 pads, # does
# not), literal text in quotes or after a backslash, and plain separators. Anything else
# (decimals, grouping, percent, exponent, dates, colours, conditions) is left unread.
_FORMAT_TOKEN = re.compile(r'"[^"]*"|\\.|[0#]|[-/ ()+:]')


def shown_whole_number(value: int, number_format: str) -> str | None:
    """A whole number 0 or more as a format of digit placeholders and literal text shows
    it ("000-000": 1234 -> "001-234"; '"C"0000000': 7 -> "C0000007"; "00000": 123 ->
    "00123"), digits beyond the placeholders going to the first one as Excel does; None
    for any other format."""
    section = number_format.split(";")[0]
    tokens = _FORMAT_TOKEN.findall(section)
    if "".join(tokens) != section or not any(t in "0#" for t in tokens if len(t) == 1):
        return None
    digits = str(value)
    slots = [i for i, t in enumerate(tokens) if t in ("0", "#")]
    out = [t[1:-1] if t.startswith('"') else t[1:] if t.startswith("\\") else t for t in tokens]
    remaining = digits
    for i in reversed(slots):
        if remaining:
            out[i], remaining = remaining[-1], remaining[:-1]
        else:
            out[i] = "0" if tokens[i] == "0" else ""
    if remaining:  # more digits than placeholders: the first one takes the rest
        out[slots[0]] = remaining + out[slots[0]]
    return "".join(out)


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+):([A-Z]+[0-9]+)\"")


def _unreadable_workbook(error: Exception) -> CsvUnreadable:
    return CsvUnreadable(
        Worded(
            gettext_noop(
                "The file is not an Excel workbook (.xlsx) it can read (%(error)s); save "
                "it as .xlsx or as CSV UTF-8."
            ),
            error=str(error),
        )
    )


_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"([0-9]+)\"")


def sheet_layout(sheet) -> list[tuple[int, int, int, int]]:
    """The merged areas of a read-only worksheet as (first row, first column, last row,
    last column), 1-based, read from its XML (read-only sheets do not parse them; they
    come after the rows). Refuses, as CsvUnreadable, a sheet whose rows are not in
    order in the file (the reader would skip a row that comes back, without a word) and
    a merged area over the column names (a name would become a value, or two columns
    one name)."""
    from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

    found, last_row = [], 0
    for text in _whole_tags(sheet):
        for match in _ROW.finditer(text):
            row = int(match.group(1))
            if row <= last_row:
                raise CsvUnreadable(
                    Worded(
                        gettext_noop(
                            "Row %(row)s of the sheet is stored after row %(after)s: the file "
                            "is damaged; open it in Excel and save it again."
                        ),
                        row=row,
                        after=last_row,
                    )
                )
            last_row = row
        found += _MERGE.findall(text)
    areas = set()
    for first, last in found:
        (row1, col1), (row2, col2) = (coordinate_to_tuple(c.decode()) for c in (first, last))
        areas.add((row1, col1, row2, col2))
    for row1, col1, row2, col2 in sorted(areas):
        cells = f"{get_column_letter(col1)}{row1}:{get_column_letter(col2)}{row2}"
        if row1 == 1 and row2 == 1 and col2 > col1:
            # Across the first row only: often a heading over a group of columns whose
            # names are on the row below, as reports exported from other tools start.
            raise CsvUnreadable(
                Worded(
                    gettext_noop(
                        "Cells %(cells)s are merged in the first row: if the column names are "
                        "on a row below (a heading above them), remove the rows above the "
                        "names; otherwise unmerge the cells so that each column has a name of "
                        "its own."
                    ),
                    cells=cells,
                ),
                1,
            )
        if row1 == 1 and row2 > 1:
            raise CsvUnreadable(
                Worded(
                    gettext_noop(
                        "Cells %(cells)s are merged over the column names; unmerge them so that "
                        "each column has a name of its own."
                    ),
                    cells=cells,
                ),
                1,
            )
    return sorted(areas)


def _whole_tags(sheet) -> Iterator[bytes]:
    """The sheet's XML in blocks of about 1 MiB, each cut at the end of a tag, so that no
    tag is split between two blocks."""
    tail = b""
    with sheet._get_source() as source:
        while block := source.read(1 << 20):
            text = tail + block
            cut = text.rfind(b">") + 1
            yield text[:cut]
            tail = text[cut:]
    if tail:
        yield tail


def _cell_value(cell, mac: bool):
    """A cell as the import reads it: Excel errors marked, a whole number with what the
    sheet shows of it (its leading zeros, "00000", or literal text, "000-000": SheetInt)
    and, in a 1904 workbook, its calendar (for a date column), else the saved value."""
    value = cell.value
    if value is None:
        return ""
    kind = getattr(cell, "data_type", None)
    if kind == "e":
        return ExcelError(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = SheetFloat(value) if isinstance(value, float) else SheetInt(value)
        number_format = getattr(cell, "number_format", "General") or "General"
        if float(value).is_integer() and 0 <= value < 1e15 and number_format != "General":
            shown = shown_whole_number(int(value), number_format)
            if shown is not None and shown != str(int(value)):
                number.shown = shown
        if mac:
            number.epoch = MAC_EPOCH
        return number
    if isinstance(value, str) and "_x" in value:
        # Excel writes a character XML cannot hold as _xHHHH_ (a note's Windows line
        # break is _x000D_); openpyxl reads only its escaped underscore (_x005F_).
        value = _EXCEL_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)
    return value


_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def excel_records(path: Path) -> Iterator[tuple[int, list]]:
    """The first visible sheet's rows as the sheet shows them (_cell_value): a formula
    cell with no saved value comes as an UnsavedFormula (its formula text), read from a
    second pass over the formulas; a merged area's value fills every cell of it. Every
    row is read, whatever size the file says its sheet has (a stale stored dimension
    would cut rows or columns off). The workbook is opened from its content, whatever
    its name ends in."""
    from openpyxl import load_workbook

    handles = [open(path, "rb"), open(path, "rb")]  # noqa: SIM115 (closed below)
    try:
        try:
            workbook = load_workbook(handles[0], read_only=True, data_only=True)
            formulas = load_workbook(handles[1], read_only=True, data_only=False)
        except Exception as error:  # a zip that is not a workbook, or a broken one
            raise _unreadable_workbook(error) from None
        try:
            index = _first_visible(workbook)
            sheet, formula_sheet = workbook.worksheets[index], formulas.worksheets[index]
            mac = getattr(workbook, "epoch", None) == MAC_EPOCH
            try:
                sheet.reset_dimensions()
                formula_sheet.reset_dimensions()
                merged = sheet_layout(sheet)
                values = sheet.iter_rows()
                written = formula_sheet.iter_rows(values_only=True)
                fills: dict[tuple[int, int], object] = {}
                for number, (row, sources) in enumerate(
                    zip(values, written, strict=False), start=1
                ):
                    cells = [_cell_value(cell, mac) for cell in row]
                    for row1, col1, row2, col2 in merged:
                        if row1 == number and col1 <= len(cells):
                            for r in range(row1, row2 + 1):
                                for c in range(col1, col2 + 1):
                                    if (r, c) != (row1, col1):
                                        fills[(r, c)] = cells[col1 - 1]
                    for (r, c), value in [item for item in fills.items() if item[0][0] == number]:
                        cells += [""] * (c - len(cells))
                        if cells[c - 1] == "":
                            cells[c - 1] = value
                        del fills[(r, c)]
                    yield (
                        number,
                        [
                            UnsavedFormula(source)
                            if cell == "" and isinstance(source, str) and source.startswith("=")
                            else cell
                            for cell, source in zip_longest(cells, sources[: len(cells)])
                        ],
                    )
            except CsvUnreadable:
                raise
            except Exception as error:  # a sheet whose XML is broken part of the way in
                raise _unreadable_workbook(error) from None
        finally:
            workbook.close()
            formulas.close()
    finally:
        for handle in handles:
            handle.close()


def excel_serial(value: int | float, parse: Callable) -> str:
    """An Excel date serial (days since 1899-12-30, or since 1904-01-01 in a workbook on
    the Mac's 1904 date system, as a number cell holds a date whose format was lost) as
    the date or time it stands for."""
    from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel

    epoch = getattr(value, "epoch", None) or WINDOWS_EPOCH
    if float(value).is_integer() and 1000 <= value <= 9999:
        # The sheet shows 2019, not a date (a date cell comes formatted as one): a year
        # alone, which as a serial would be a day of 1905.
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is a number, not a date (a year alone?); enter the whole date in "
                    "a cell formatted as a date."
                ),
                value=int(value),
            )
        )
    if not 1 <= value <= 2_958_465 - (epoch - WINDOWS_EPOCH).days:  # up to 9999-12-31
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is a number, not a date; as an Excel date serial it is out of range."
                ),
                value=value,
            )
        )
    moment = from_excel(value, epoch=epoch)
    if parse is date_parser:
        if moment.time() != dt.time(0):
            raise RowError(
                Worded(
                    gettext_noop(
                        "%(value)s is an Excel date serial with a time; a date is expected."
                    ),
                    value=value,
                )
            )
        return moment.date().isoformat()
    return moment.isoformat()


def records(path: Path, delimiter: str) -> Iterator[tuple[int, list]]:
    if delimiter == EXCEL:
        return excel_records(path)
    return csv_records(path, delimiter)


# --- the header -------------------------------------------------------------------------


def header_names(cells: list) -> list[str]:
    """The column names, checked: trailing empty names are dropped; a name given twice
    (whatever its case, spacing or invisible characters) or an unnamed column between
    named ones is refused."""
    names = [visible(cell) for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise CsvUnreadable(
            Worded(
                gettext_noop(
                    "The first row is empty; it needs the column names (remove the empty rows "
                    "above them)."
                )
            ),
            1,
        )
    if len(names) > MAX_COLUMNS:
        raise CsvUnreadable(
            Worded(
                gettext_noop(
                    "Header (line 1): %(count)s columns; at most %(most)s (is the file separated "
                    "by commas or semicolons?)."
                ),
                count=f"{len(names):,}",
                most=f"{MAX_COLUMNS:,}",
            ),
            1,
        )
    problems = [
        Worded(gettext_noop("column %(position)s has no name"), position=n)
        for n, name in enumerate(names, start=1)
        if not name
    ]
    # A name computed by a formula the file never saved a value of (a program that does
    # not calculate wrote it): there is no name to read, as there is no value in such a
    # data cell, so it is refused the same way rather than its column ignored.
    problems += [
        Worded(
            gettext_noop(
                "the name of column %(position)s is a formula without a saved value (open "
                "and save the file in Excel)"
            ),
            position=n,
        )
        for n, cell in enumerate(cells[: len(names)], start=1)
        if isinstance(cell, UnsavedFormula)
    ]
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            continue
        key = column_key(name)
        if key in seen:
            first = names[seen[key] - 1]
            if first != name:
                problems.append(
                    Worded(
                        gettext_noop(
                            "columns %(first)s and %(second)s are both named %(name)s (written "
                            "%(written_first)s and %(written_second)s)"
                        ),
                        first=seen[key],
                        second=position,
                        name=repr(name),
                        written_first=repr(first),
                        written_second=repr(name),
                    )
                )
            else:
                problems.append(
                    Worded(
                        gettext_noop("columns %(first)s and %(second)s are both named %(name)s"),
                        first=seen[key],
                        second=position,
                        name=repr(name),
                    )
                )
        seen.setdefault(key, position)
    if problems:
        more = len(problems) - MAX_HEADER_PROBLEMS
        listed = problems[:MAX_HEADER_PROBLEMS]
        if more > 0:
            listed.append(Worded(gettext_noop("and %(count)s more"), count=f"{more:,}"))
        raise CsvUnreadable(
            Worded(gettext_noop("Header (line 1): %(problems)s."), problems=Joined(listed)), 1
        )
    return names


def _refuse_what_is_not_text(path: Path) -> None:
    """UTF-16 and UTF-32 text (what some programs call "Unicode text") is refused by
    name: without a byte-order mark it would read as UTF-8 with NUL bytes between the
    letters of the header, and every column name would look unknown. Documents, images
    and archives are refused by what they are. (A NUL further down is a problem of its
    row: row_values.storable.)"""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise CsvUnreadable(
                Worded(
                    gettext_noop(
                        "The file is %(what)s, not CSV text; save it as CSV UTF-8 or as .xlsx."
                    ),
                    what=Worded(what),
                ),
                1,
            )
    first_line = re.split(rb"\r|\n", head, maxsplit=1)[0]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first_line[:4]:
        raise CsvUnreadable(Worded(UTF16_OR_32), 1)
    if b"\x00" in first_line:
        zeros = first_line.count(b"\x00")
        if zeros * 3 >= len(first_line):  # every other byte: UTF-16 without a mark
            raise CsvUnreadable(Worded(UTF16_OR_32), 1)
        at = first_line.index(b"\x00") + 1
        raise CsvUnreadable(
            Worded(
                gettext_noop(
                    "Line 1 holds a NUL byte (byte %(at)s): the file is not text; save it as CSV "
                    "UTF-8."
                ),
                at=at,
            ),
            1,
        )


def sniff(path: Path) -> tuple[str, list[str]]:
    """The delimiter (or EXCEL) and the checked header of a file."""
    if is_excel(path):
        first = next(excel_records(path), None)
        if first is None:
            raise CsvUnreadable(
                Worded(
                    gettext_noop(
                        "The workbook's first visible sheet is empty; it needs a header row."
                    )
                ),
                1,
            )
        return EXCEL, header_names(first[1])
    _refuse_what_is_not_text(path)
    first_line = next(decoded_lines(path), "")
    if not first_line.strip():
        first_line = next((line for line in decoded_lines(path) if line.strip()), "")
        if not first_line:
            raise CsvUnreadable(
                Worded(gettext_noop("The file is empty; it needs a header row.")), 1
            )
        raise CsvUnreadable(
            Worded(
                gettext_noop(
                    "Line 1 is empty; the first line names the columns (remove the empty lines "
                    "above them)."
                )
            ),
            1,
        )
    hint = sep_hint(path)
    if hint is not None:
        if hint not in DELIMITERS:
            raise CsvUnreadable(
                Worded(
                    gettext_noop(
                        "Line 1 (%(line)s) says the file is separated by %(delimiter)s; it can "
                        "read files separated by commas, semicolons or tabs."
                    ),
                    line=repr(first_line.strip()),
                    delimiter=repr(hint),
                ),
                1,
            )
        delimiter = hint
    else:
        delimiter = max(DELIMITERS, key=first_line.count)
    first = next(csv_records(path, delimiter, line_by_line=True), None)
    names = header_names(first[1] if first else [])
    if len(names) == 1:
        _refuse_one_column_of_delimiters(names[0], first[0] if first else 1, delimiter)
    return delimiter, names


def _refuse_one_column_of_delimiters(name: str, line: int, delimiter: str) -> None:
    """A header of one column that holds another delimiter (a pipe, or commas in a file
    whose "sep=" line says semicolons): the file is separated by it, and every column
    would be unknown."""
    for mark in DELIMITERS + OTHER_DELIMITERS:
        if mark != delimiter and mark in name:
            shown = "tab" if mark == "\t" else mark
            raise CsvUnreadable(
                Worded(
                    gettext_noop(
                        "Header (line %(line)s): one column, %(name)s; the file seems separated "
                        "by %(delimiter)s. Save it separated by commas, semicolons or tabs."
                    ),
                    line=line,
                    name=repr(name),
                    delimiter=repr(shown),
                ),
                line,
            )
