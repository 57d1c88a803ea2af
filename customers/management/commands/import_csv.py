"""manage.py import_csv KIND FILE [--map column=field ...] [--decimal-mark . | ,]
[--date-order dmy | mdy | ymd] [--check]

Imports customers, contacts, contracts, interactions or exchange rates from a CSV or
Excel (.xlsx) file with the same
rules as the browser import: the whole file is checked first, every problem is printed
by line and column, and rows are written (all in one transaction) only if there are none.
--check stops after the check. Columns fill the field of the same name unless --map
says otherwise; --map column= ignores a column. Each ignored column is named."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers import csv_io, upsert
from customers.row_values import DATE_ORDERS


class Command(BaseCommand):
    help = "Import a CSV file of customers, contacts, contracts or interactions."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(upsert.KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD")
        parser.add_argument("--check", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--decimal-mark",
            choices=[".", ","],
            help="How the file writes numbers; default: a point in comma-separated files, "
            "otherwise a number that reads two ways is refused.",
        )

        parser.add_argument(
            "--date-order",
            choices=["dmy", "mdy", "ymd"],
            help="How the file writes dates (31.12.2025: dmy, 12/31/2025: mdy); default: the "
            "order the file's dates show, else a date that reads two ways is refused.",
        )

    def handle(self, *args, kind, file, map, check, decimal_mark, date_order, **options):
        if not file.is_file():
            raise CommandError(f"No file {file}.")
        try:
            _, header = csv_io.sniff(file)
        except csv_io.CsvUnreadable as error:
            raise CommandError(str(error)) from None
        sheet = csv_io.sheet_read(file)
        if sheet:
            title, hidden = sheet
            self.stderr.write(
                f"Reading sheet {title!r}, the first visible sheet"
                + (
                    f" (hidden sheets skipped: {', '.join(repr(name) for name in hidden)})."
                    if hidden
                    else "."
                )
            )
        mapping = csv_io.default_mapping(kind, header)
        for item in map:
            column, _, target = item.partition("=")
            if not _:
                raise CommandError(f"--map {item!r}: write COLUMN=FIELD.")
            mapping[column] = target
        mapping = {column: target for column, target in mapping.items() if target}
        for column in header:
            if column not in mapping:  # said, so that no column is lost unnoticed
                self.stderr.write(
                    f"Column {column!r} fills no field and is ignored "
                    f"(--map {column!r}=FIELD to use it)."
                )
        try:
            total = csv_io.count_rows(file)
        except csv_io.CsvUnreadable:
            total = 0  # the check reports where the file stops being readable

        def progress(done: int) -> None:
            self.stderr.write(f"\r{done:,} / {total:,} rows", ending="")

        run = csv_io.check if check else csv_io.import_file
        if date_order is None:
            date_order = csv_io.propose_date_order(file, csv_io.sniff(file)[0], kind, mapping)
            if date_order:  # said, so a wrong guess is seen before the rows are trusted
                self.stderr.write(
                    f"Dates read {DATE_ORDERS[date_order]}, as the file's dates show "
                    f"(--date-order to choose)."
                )
        report = run(
            kind,
            file,
            mapping,
            progress=progress,
            decimal_mark=decimal_mark,
            date_order=date_order,
        )
        self.stderr.write("")
        for problem in report.problems:
            # A problem of the whole file (a damaged workbook) has no line.
            where = ", ".join(
                part
                for part in (
                    f"line {problem['line']}" if problem["line"] is not None else "",
                    f"column {problem['column']}" if problem["column"] else "",
                )
                if part
            )
            self.stdout.write(f"{where}: {problem['message']}" if where else problem["message"])
        if report.problem_count:
            raise CommandError(
                f"{_count(report.problem_count, 'problem')} in {_count(report.rows, 'row')}; "
                "nothing written."
            )
        if check:
            self.stdout.write(f"{_count(report.rows, 'row')} checked: no problems.")
        else:
            self.stdout.write(
                f"{_count(report.rows, 'row')}: {report.created:,} new, {report.updated:,} changed, "
                f"{report.unchanged:,} unchanged."
            )


def _count(number: int, noun: str) -> str:
    """ "1 row", "3,001 rows"."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
