"""Fast bulk writes of pandas frames: COPY on PostgreSQL, executemany elsewhere.

Used where an ORM bulk_create would build a Python object per row (demo data, nightly
scores)."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

logger = logging.getLogger(__name__)


def write_frame(model, df: pd.DataFrame) -> None:
    """Insert a frame whose columns are the model's column names, in one statement stream."""
    table = model._meta.db_table
    columns = list(df.columns)
    if connection.vendor == "postgresql":
        for part in slices(df, 500_000):
            buffer = io.StringIO()
            part.to_csv(
                buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S%z"
            )
            buffer.seek(0)
            # The raw COPY bypasses Django's cursor: its errors are wrapped here, so a
            # refused value is a DataError and a lost connection an OperationalError.
            with connection.cursor() as cursor, connection.wrap_database_errors:
                cursor.cursor.copy_expert(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                    buffer,
                )
    else:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        for part in slices(df, 50_000):
            values = [
                tuple(_plain(v) for v in row) for row in part.itertuples(index=False, name=None)
            ]
            with connection.cursor() as cursor:
                cursor.executemany(sql, values)


def slices(df: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for i in range(0, len(df), size):
        yield df.iloc[i : i + size]


def _plain(value):
    if value is None or value is pd.NaT or value is pd.NA:  # pd.NA: nullable integers
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp | dt.datetime):
        # Stored the way Django stores aware datetimes on SQLite: naive UTC text.
        return pd.Timestamp(value).tz_convert("UTC").tz_localize(None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def read_frame(queryset: QuerySet, columns: list[str], text: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run a values_list queryset into a frame without building a Python object per row:
    COPY ... TO STDOUT as CSV into pandas' C parser on PostgreSQL, a raw cursor elsewhere.
    A query that can match nothing (`pk__in=[]`: no owners, no contracts yet) is an empty
    frame, not an error. `text`: columns kept as text however they look ("01" stays
    "01", not the number 1)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return pd.DataFrame(columns=columns)
    return read_sql_frame(sql, params, columns, text)


def read_sql_frame(
    sql: str, params, columns: list[str], text: tuple[str, ...] = ()
) -> pd.DataFrame:
    """`read_frame` for a statement of our own (`params` as the cursor takes them).
    Through CSV, a boolean column arrives as "t" or "f" text: select it as an integer."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        statement = cursor.mogrify(sql, params).decode()
        buffer = io.StringIO()
        with connection.wrap_database_errors:
            cursor.cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", buffer)
    if not buffer.tell():
        return pd.DataFrame(columns=columns)
    buffer.seek(0)
    return pd.read_csv(
        buffer,
        names=columns,
        header=None,
        keep_default_na=False,
        na_values=[""],
        dtype=dict.fromkeys(text, str) or None,
    )


# A table's planner statistics are refreshed by the night itself when it has rewritten
# this share of the rows they describe.
STATISTICS_STALE_SHARE = 0.1


def analyze_if_stale(model, changed_rows: int = 0) -> bool:
    """Refresh `model`'s planner statistics (ANALYZE, a sample of 30,000 rows: well
    under a second at a million rows) when the rows changed since they were taken are
    at least STATISTICS_STALE_SHARE of the rows they describe, or they were never taken.
    The rows changed are the larger of `changed_rows` (what the caller just wrote, which
    the server's counters may not show yet) and the server's own count since the last
    ANALYZE (`pg_stat_user_tables.n_mod_since_analyze`, every writer's, earlier nights'
    and a retried step's included). The night's next statements then plan on what the
    night wrote: the first night after an import writes a score and alerts for every
    customer, and a plan made on the statistics of the empty tables runs nested loops
    over every row (minutes at a million customers). Autovacuum does the same in time,
    or never where it is switched off.

    Returns whether it analyzed; does nothing off PostgreSQL. Statistics only steer
    plans: an ANALYZE that fails (cancelled, a lock timeout) is logged and the caller
    goes on."""
    if connection.vendor != "postgresql":
        return False
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # reltuples: the rows counted at the last VACUUM or ANALYZE; -1 if never.
        cursor.execute(
            """SELECT c.reltuples, coalesce(s.n_mod_since_analyze, 0)
            FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
            WHERE c.oid = %s::regclass""",
            [table],
        )
        counted, modified = cursor.fetchone()
    changed = max(changed_rows, modified)
    if changed <= 0 or (counted >= 0 and changed < STATISTICS_STALE_SHARE * counted):
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    except DatabaseError:
        logger.warning("ANALYZE %s failed; its statistics stay as they were", table, exc_info=True)
        return False
    return True
