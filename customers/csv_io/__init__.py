"""Reading and writing files of customers, contacts, contracts, interactions and exchange
rates: the one place where files come in (CSV and Excel .xlsx) and go out (CSV).

Import reads CSV as UTF-8 (with or without a byte-order mark), separated by commas,
semicolons or tabs (a first line "sep=;", as Excel writes it, names the delimiter and is
skipped), or the first visible sheet of an Excel workbook (.xlsx; hidden sheets are
skipped, and the page and the command say which sheet was read), with a header row.
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
validates every row with the same rules as every other door (customers/upsert/) and
reports every problem by line and column; the import writes all rows in one transaction,
or none. Both stream the file in chunks of 10,000 rows, so memory does not grow with its
size.

Export writes CSV in the import's own columns, with a UTF-8 byte-order mark (so Excel
reads accents and Chinese names right) and every text cell safe to open in a spreadsheet.
By subject: `mapping.py` what the columns and options mean; `reading.py` a file's rows,
in chunks; `importing.py` the check and the import; `exporting.py` CSV for a
spreadsheet. Which files can be read at all is customers/file_records.py.
"""

import csv
from pathlib import Path

from customers.csv_io.exporting import csv_lines, export_rows
from customers.csv_io.importing import MAX_PROBLEMS, Progress, Report, check, import_file
from customers.csv_io.mapping import (
    check_mapping,
    default_decimal_mark,
    default_mapping,
    fields_of,
    mapping_problems,
)
from customers.csv_io.reading import CHUNK, count_rows, propose_date_order, samples
from customers.file_records import (
    BOM,
    DELIMITERS,
    EXCEL,
    CsvUnreadable,
    is_excel,
    records,
    sheet_read,
    sniff,
)

__all__ = [
    "BOM",
    "CHUNK",
    "DELIMITERS",
    "EXCEL",
    "MAX_PROBLEMS",
    "CsvUnreadable",
    "Path",
    "Progress",
    "Report",
    "check",
    "check_mapping",
    "mapping_problems",
    "count_rows",
    "csv",
    "csv_lines",
    "default_decimal_mark",
    "default_mapping",
    "export_rows",
    "fields_of",
    "import_file",
    "is_excel",
    "propose_date_order",
    "records",
    "samples",
    "sheet_read",
    "sniff",
]
