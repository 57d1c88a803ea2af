"""Incremental sync that cannot miss a committed change.

`updated_at` is the moment a row was written, not when its transaction committed: a
change made inside a long transaction (a file import, a bulk request) carries a time that
a client may already have passed. Instead, every synced table has a `sync_xid` column:
the 64-bit id of the transaction that last wrote the row (set by the column's default
on insert and by a trigger on update, on PostgreSQL; migration customers 0014; a BRIN
index on interactions, which are appended in that order, 0018).

A sync token is PostgreSQL's `pg_snapshot_xmin(pg_current_snapshot())` when the first
page of a sync is read: every transaction with a smaller id had finished by then, so
everything it wrote is on the pages. A transaction still open at that moment has an id
at or above the token, so `?sync_token=<token>` next time returns its rows once it
commits. A row may come twice (at least once, never never); deletions are not synced.
"""

from __future__ import annotations

import re

import django_filters
from django.db import connection, transaction
from django.db.models import BigIntegerField, BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

SYNCED_TABLES = (
    "customers_customer",
    "customers_contact",
    "customers_contract",
    "customers_interaction",
    "customers_exchangerate",
)


def supported() -> bool:
    return connection.vendor == "postgresql"


def current_token() -> int | None:
    """The oldest transaction still open (or the next to start): the watermark a client
    resumes from."""
    if not supported():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return cursor.fetchone()[0]


def current_snapshot() -> str:
    """The set of transactions whose writes a statement would see now, as PostgreSQL
    writes it ("xmin:xmax:in-progress,..."): one round of a list walk reads the rows
    written by what became visible between two of these (retention/api/paging.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def snapshot_xmin(snapshot: str) -> int:
    return int(snapshot.split(":", 1)[0])


def is_snapshot(value) -> bool:
    """A snapshot as `current_snapshot` writes it (checked before it reaches SQL)."""
    if not isinstance(value, str) or len(value) > 4000 or not value.isascii():
        return False
    parts = value.split(":")
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return False
    running = parts[2].split(",") if parts[2] else []
    if not all(x.isdigit() for x in running):
        return False
    low, high = int(parts[0]), int(parts[1])
    return 0 < low <= high <= 2**63 - 1 and all(low <= int(x) < high for x in running)


def written_in_round(queryset: QuerySet, before: str | None, upto: str) -> QuerySet:
    """The rows whose last writer became visible after snapshot `before` (None: since
    ever) and by snapshot `upto`. A row written again later leaves the round for a later
    one, so the rows of a round hold still while a client pages through them. Rows the
    reading transaction wrote itself, and rows from before sync stamps, count as seen by
    every snapshot."""
    table = queryset.model._meta.db_table
    column = f'"{table}"."sync_xid"'

    def seen_by(param: str) -> str:
        return (
            f"({column} IS NULL OR pg_visible_in_snapshot({column}::text::xid8, "
            f"{param}::pg_snapshot) OR "
            f"{column} = pg_current_xact_id_if_assigned()::text::bigint)"
        )

    condition = seen_by("%s")
    params: list = [upto]
    if before is not None:
        # Not seen by `before`: written by a transaction at or above its xmin (indexed).
        condition = f"{column} >= %s AND {condition} AND NOT COALESCE({seen_by('%s')}, FALSE)"
        params = [snapshot_xmin(before), upto, before]
        candidates = _round_candidates(table, condition, params)
        if candidates is not None:
            queryset = queryset.filter(pk__in=candidates)
    return queryset.filter(RawSQL(condition, params, output_field=BooleanField()))


ROUND_CANDIDATES_MAX = 10_000


def _round_candidates(table: str, condition: str, params: list) -> list[int] | None:
    """The ids of the rows in a later round, found through the sync_xid index, or None
    when there are more than ROUND_CANDIDATES_MAX (few rows change while a client pages;
    when many do, the round's filter finds them fast enough on its own). Asked apart from
    the page's ordering because, planned together, PostgreSQL may walk the ordering's
    index through the whole table looking for the few changed rows."""
    condition = condition.replace(f'"{table}".', "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        (seqscan,) = cursor.fetchone()
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
        cursor.execute(
            f"SELECT id FROM {table} WHERE {condition} LIMIT %s",
            [*params, ROUND_CANDIDATES_MAX + 1],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [seqscan])
    return ids if len(ids) <= ROUND_CANDIDATES_MAX else None


def changed_since(queryset: QuerySet, token: int) -> QuerySet:
    table = queryset.model._meta.db_table
    written_by = RawSQL(f'"{table}"."sync_xid"', [], output_field=BigIntegerField())
    return queryset.alias(written_by=written_by).filter(written_by__gte=token)


class SyncFilter(django_filters.FilterSet):
    """?sync_token=: only what was committed since the sync that returned that token."""

    sync_token = django_filters.CharFilter(
        method="by_sync_token",
        label="The sync_token of your last complete sync: returns everything committed "
        "since (at least once).",
    )

    def by_sync_token(self, queryset, name, value):
        """Errors in the shape of every field error: {"sync_token": ["..."]}."""
        if not supported():
            raise ValidationError({"sync_token": [gettext("Sync tokens need PostgreSQL.")]})
        wrong = [gettext("%(value)s is not a sync token.") % {"value": repr(value)}]
        if not re.fullmatch(r"[0-9]{1,18}", value.strip()):  # PostgreSQL's xid8 range
            raise ValidationError({"sync_token": wrong})
        return changed_since(queryset, int(value))


INSTALL_SQL = """
CREATE OR REPLACE FUNCTION retention_stamp_sync_xid() RETURNS trigger AS $$
BEGIN
    NEW.sync_xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
"""

TABLE_SQL = """
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS sync_xid bigint;
ALTER TABLE {table} ALTER COLUMN sync_xid SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX IF NOT EXISTS {table}_sync_xid ON {table} (sync_xid);
DROP TRIGGER IF EXISTS {table}_sync_xid ON {table};
CREATE TRIGGER {table}_sync_xid BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION retention_stamp_sync_xid();
"""

UNINSTALL_SQL = """
DROP TRIGGER IF EXISTS {table}_sync_xid ON {table};
ALTER TABLE {table} DROP COLUMN IF EXISTS sync_xid;
"""


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(INSTALL_SQL)
    for table in SYNCED_TABLES:
        schema_editor.execute(TABLE_SQL.format(table=table))


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SYNCED_TABLES:
        schema_editor.execute(UNINSTALL_SQL.format(table=table))
    schema_editor.execute("DROP FUNCTION IF EXISTS retention_stamp_sync_xid()")
