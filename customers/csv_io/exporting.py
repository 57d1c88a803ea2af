"""Writing CSV for a spreadsheet: the import's own columns, a byte-order mark, every text
cell safe from running as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from customers import upsert
from customers.file_records import (
    BOM,
)
from customers.row_values import (
    spreadsheet_safe,
)


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
        writer.writerow([_cell(v) for v in record])
        if count % every == 0:
            yield flush()
    yield flush()


def _cell(value):
    """A value as its CSV cell: text guarded, a number in plain digits (Python writes a
    small Decimal as 5.000E-7, which the import refuses as written with an exponent)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return value


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
