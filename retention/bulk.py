"""Fast bulk writes of pandas frames: COPY on PostgreSQL, executemany elsewhere.

Used where an ORM bulk_create would build a Python object per row (demo data, nightly
scores)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
from django.db import connection


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
            with connection.cursor() as cursor:
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
    if value is None or value is pd.NaT:
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
