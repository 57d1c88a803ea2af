"""Writing a batch the checks found clean: one transaction, COPY into a temporary table,
then one statement for the new rows and one for the changed ones."""

from __future__ import annotations

import datetime as dt
import io
import time
from dataclasses import dataclass, field

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers.models import Contact, Customer, moved_message
from customers.upsert.after_write import after_write
from customers.upsert.checks import validate
from customers.upsert.kinds import KINDS, MAX_ROWS, WRITE_BATCH, Column, Kind
from retention.wording import Worded


class RecordsMoved(Exception):
    """Rows that would move a stored record to another customer, found under lock while
    writing: another request stored the record under its customer after this batch was
    checked. The write is rolled back. `moved`: [(external id, message)]."""

    def __init__(self, moved: list[tuple[str, str]]):
        super().__init__(f"{len(moved)} records would move to another customer")
        self.moved = moved


@dataclass
class Outcome:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


def upsert(
    kind_name: str,
    rows: list,
    *,
    dry_run: bool = False,
    present: set[str] | None = None,
    max_rows: int | None = MAX_ROWS,
    blank_keeps_stored: bool = False,
) -> Outcome:
    """Validate the whole batch, then (unless dry_run or any row is bad) write it in one
    transaction. Returns what was created, updated and left unchanged. `present`: see
    validate; fields not in it are not written on records that exist. `max_rows`: None
    for a file of a kind checked whole (its rows name each other). `blank_keeps_stored`:
    see validate (the file import)."""
    outcome = Outcome(received=len(rows))
    if max_rows is not None and len(rows) > max_rows:
        outcome.errors = [
            {
                "index": None,
                "field": None,
                "message": Worded(
                    gettext_noop("%(rows)s rows; send at most %(most)s per request."),
                    rows=f"{len(rows):,}",
                    most=f"{MAX_ROWS:,}",
                ),
            }
        ]
        return outcome
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        clean, outcome.errors = validate(
            kind_name, rows, present=present, blank_keeps_stored=blank_keeps_stored
        )
        if outcome.errors or not clean:
            return outcome
        # The rows' indexes by key as stored (the write sorts `clean`).
        index_of = {row.get("external_id"): i for i, row in enumerate(clean)}
        try:
            if dry_run:
                return _try_write(kind_name, clean, present)
            return write_valid(kind_name, clean, present=present)
        except RecordsMoved as moved:
            outcome.errors = [
                {"index": index_of.get(key), "field": "customer", "message": message}
                for key, message in moved.moved
            ]
            return outcome
        except IntegrityError as error:
            # A kind written by its own code (teams, employees) inserts the rows it found
            # new; another client may have stored some of them since. Its transaction was
            # rolled back whole: read the batch again, and those rows are now updates or
            # unchanged, as if the two had come one after the other.
            created_meanwhile = getattr(error.__cause__, "pgcode", None) == "23505"
            if KINDS[kind_name].write is None or not created_meanwhile or attempt == WRITE_ATTEMPTS:
                raise
    return outcome


class _DryRun(Exception):
    """Rolls a trial write back."""


def _try_write(kind_name: str, clean: list[dict], present: set[str] | None) -> Outcome:
    """What writing the batch would do (created, updated, unchanged), found by writing it
    in a transaction that is always rolled back: the counts are the real run's, by the
    same code, and nothing stays written."""
    try:
        with transaction.atomic():
            outcome = write_valid(kind_name, clean, present=present)
            raise _DryRun
    except _DryRun:
        return outcome


def write_valid(kind_name: str, clean: list[dict], *, present: set[str] | None = None) -> Outcome:
    """Write rows `validate` found clean (all of them, in one transaction)."""
    kind = KINDS[kind_name]
    outcome = Outcome(received=len(clean))
    if not clean:
        return outcome
    if kind.model is Contact:
        _default_known_since(clean)
    # One order for every writer: two clients sending the same batch in opposite orders
    # lock its rows in the same order, so neither waits on the other in a cycle.
    clean.sort(key=lambda row: tuple(str(row[name]) for name in kind.key))
    keys = [row["external_id"] for row in clean] if kind.write is None else []
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            if kind.write is not None:
                with transaction.atomic():
                    outcome.created, outcome.updated = kind.write(clean, present)
                outcome.unchanged = len(clean) - outcome.created - outcome.updated
            else:
                _write_outcome(kind, clean, keys, outcome, present)
            return outcome
        except OperationalError as error:
            if attempt == WRITE_ATTEMPTS or not _retryable(error):
                raise
            time.sleep(0.05 * attempt)
    return outcome


WRITE_ATTEMPTS = 4


def _retryable(error: OperationalError) -> bool:
    """A serialization failure or deadlock: the transaction was rolled back as a whole and
    can simply run again."""
    return getattr(error.__cause__, "pgcode", None) in ("40001", "40P01")


def _write_outcome(
    kind: Kind, clean: list[dict], keys: list[str], outcome: Outcome, present: set[str] | None
) -> None:
    model = kind.model
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        existing = {}
        if model is Customer or not postgres:  # owners before, or who is new (no xmax)
            existing = {
                row["external_id"]: row
                for row in model.objects.filter(external_id__in=keys).values(
                    "external_id", *[r.column for r in kind.references]
                )
            }
        changed = _write(kind, clean, present)
        if postgres:
            outcome.created = sum(changed.values())
        else:
            outcome.created = sum(1 for key in keys if key not in existing)
        outcome.updated = len(changed) - outcome.created
        outcome.unchanged = len(clean) - len(changed)
        after_write(kind, clean, existing, changed)


def _default_known_since(rows: list[dict]) -> None:
    """A contact sent without known_since has been known since the customer started."""
    missing = {row["customer_id"] for row in rows if row["known_since"] is None}
    if not missing:
        return
    started = dict(Customer.objects.filter(pk__in=missing).values_list("id", "customer_since"))
    for row in rows:
        if row["known_since"] is None:
            row["known_since"] = started[row["customer_id"]]


def _write(kind: Kind, rows: list[dict], present: set[str] | None = None) -> dict[str, bool]:
    """INSERT ... ON CONFLICT DO UPDATE only where something differs; returns the
    external ids of the rows inserted or changed, each with whether it was inserted
    (known on PostgreSQL from xmax; elsewhere False)."""
    model = kind.model
    table = model._meta.db_table
    columns = [c.name for c in kind.columns] + [r.column for r in kind.references]
    columns += [d for d in kind.derived if d not in columns]
    now = timezone.now()
    stamp = ["created_at"] + (["updated_at"] if kind.has_updated_at else [])
    values_sql = "(" + ", ".join(["%s"] * (len(columns) + len(stamp))) + ")"
    updatable = [
        c.name if isinstance(c, Column) else c.column
        for c in [*kind.columns, *kind.references]
        if c.name != "external_id" and (present is None or c.name in present)
    ] + [d for d in kind.derived if d != "external_id"]
    set_sql = ", ".join(f"{c} = EXCLUDED.{c}" for c in updatable)
    if kind.has_updated_at:
        set_sql += ", updated_at = EXCLUDED.updated_at"
    differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in updatable)
    changed: dict[str, bool] = {}
    if connection.vendor == "postgresql":
        return _write_by_copy(
            table,
            columns,
            stamp,
            now,
            rows,
            updatable,
            kind.has_updated_at,
            kind.stays_with_customer,
        )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            params: list = []
            for row in batch:
                params.extend(row.get(column) for column in columns)
                params.extend([now] * len(stamp))
            # SQLite stores aware datetimes as naive UTC text.
            params = [
                connection.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v
                for v in params
            ]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns + stamp)}) "
                f"VALUES {', '.join([values_sql] * len(batch))} "
                f"ON CONFLICT (external_id) DO UPDATE SET {set_sql} WHERE {differs} "
                "RETURNING external_id, FALSE",
                params,
            )
            changed.update(cursor.fetchall())
    return changed


def _write_by_copy(
    table, columns, stamp, now, rows, updatable, has_updated_at, stays_with_customer=""
) -> dict[str, bool]:
    """PostgreSQL: COPY the batch into a temporary table (much cheaper than parsing
    VALUES lists), then two statements:

    1. INSERT ... SELECT ... ON CONFLICT DO NOTHING: the new rows. A row that exists is
       skipped without being locked (DO UPDATE would lock it, writing to its page even
       when nothing changes, which is most of the cost of re-sending a batch).
    2. UPDATE ... FROM the batch, only where a value differs: the changed rows. Skipped
       when every row was new. A row another transaction inserted meanwhile is waited for
       by step 1 and then seen, committed, by step 2, so no value is lost.

    For a kind whose records stay with their customer (`stays_with_customer`), the rows
    of the batch stored under another customer are locked and read between the two: a
    record another request stored after this batch was checked (two clients sending
    the same contacts for two customers at once) raises RecordsMoved, and nothing of the
    batch is written.

    Returns the external ids written, each with whether it was inserted."""
    stamps = "," + ",".join([now.isoformat()] * len(stamp))
    buffer = io.StringIO(
        "".join(",".join(_copy_text(row.get(c)) for c in columns) + stamps + "\n" for row in rows)
    )
    names = ", ".join(columns + stamp)
    set_sql = ", ".join(f"{c} = b.{c}" for c in updatable)
    if has_updated_at:
        set_sql += ", updated_at = b.updated_at"
    differs = " OR ".join(f"t.{c} IS DISTINCT FROM b.{c}" for c in updatable) or "FALSE"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS upsert_batch")
        cursor.execute(
            f"CREATE TEMP TABLE upsert_batch AS SELECT {names} FROM {table} WITH NO DATA"
        )
        with connection.wrap_database_errors:  # a refused value is a DataError
            cursor.cursor.copy_expert(
                f"COPY upsert_batch ({names}) FROM STDIN WITH (FORMAT csv)", buffer
            )
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM upsert_batch "
            "ORDER BY external_id ON CONFLICT (external_id) DO NOTHING RETURNING external_id"
        )
        changed = {key: True for (key,) in cursor.fetchall()}
        if stays_with_customer and len(changed) < len(rows):
            cursor.execute(
                f"SELECT b.external_id, c.external_id FROM upsert_batch b "
                f"JOIN {table} t USING (external_id) "
                f"JOIN {Customer._meta.db_table} c ON c.id = t.customer_id "
                "WHERE t.customer_id <> b.customer_id ORDER BY b.external_id FOR UPDATE OF t"
            )
            moved = cursor.fetchall()
            if moved:
                raise RecordsMoved(
                    [
                        (key, moved_message(stays_with_customer, key, customer))
                        for key, customer in moved
                    ]
                )
        if len(changed) < len(rows) and updatable:
            # Rows locked in one order (external id), as every writer does.
            cursor.execute(
                f"UPDATE {table} AS t SET {set_sql} FROM ("
                f"  SELECT b.* FROM upsert_batch b JOIN {table} t USING (external_id) "
                f"  WHERE {differs} ORDER BY b.external_id FOR UPDATE OF t"
                f") AS b WHERE t.external_id = b.external_id AND ({differs}) "
                "RETURNING t.external_id"
            )
            changed.update((key, False) for (key,) in cursor.fetchall())
        cursor.execute("DROP TABLE upsert_batch")
    return changed


def _copy_text(value) -> str:
    """One CSV field for COPY: NULL is an unquoted empty field, every text is quoted (so
    an empty text stays empty, not NULL)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
