"""Bulk upserts keyed by external_id, for the API and the file import: the one place a
batch of records is validated and normalised, with the same rules (the models' own, see
`Interaction.row_errors` and friends) that forms and the admin apply one record at a time.

A batch is validated whole before anything is written: every bad row is reported with
its index, field and message, and a batch with any bad row writes nothing. Rows are then
COPYed into a temporary table and written with one INSERT ... ON CONFLICT DO NOTHING (the
new rows) and one UPDATE of the rows whose values differ, so sending the same batch twice
changes nothing the second time (not even updated_at) and does not even lock the rows.
References to other records use their external ids (customers, contacts, contracts) or
e-mail addresses (employees), resolved with one query per reference per batch.

By subject: `kinds.py` what each kind of record takes; `checks.py` reading and checking a
batch; `writes.py` writing a clean batch; `after_write.py` what follows from the rows
written (owner history, audit, reconverted values).
"""

from customers.upsert.checks import parse_rows, validate
from customers.upsert.kinds import KINDS, MAX_ROWS, Column, Kind, Reference
from customers.upsert.writes import Outcome, RecordsMoved, upsert, write_valid

__all__ = [
    "KINDS",
    "MAX_ROWS",
    "Column",
    "Kind",
    "Outcome",
    "RecordsMoved",
    "Reference",
    "parse_rows",
    "upsert",
    "validate",
    "write_valid",
]
