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

import django_filters
from django.db import connection
from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL
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
        if not supported():
            raise ValidationError({"sync_token": "Sync tokens need PostgreSQL."})
        try:
            token = int(value)
        except ValueError:
            raise ValidationError({"sync_token": f"{value!r} is not a sync token."}) from None
        if token < 0:
            raise ValidationError({"sync_token": f"{value!r} is not a sync token."})
        return changed_since(queryset, token)


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
