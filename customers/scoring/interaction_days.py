"""Daily roll-ups of interactions (InteractionDay), kept in step with the interactions.

The rule this module keeps: every InteractionDay row equals the sums of that customer's
interactions of that day (in TIME_ZONE) as they are now, once `refresh()` has run; a day
with no interactions has no row. The nightly features read these rows instead of the
interactions, and get exactly the values they would get from the interactions.

How they stay in step, whatever writes the interactions (the app's forms, the API, the
bulk upsert and file import in customers/upsert/, the demo generator's COPY, the
admin, a DELETE by hand): three statement-level triggers on the interaction table
(migration `customers.0025`) note, for every statement, each customer it touched and the
first and last moment it touched (old and new values of an update, deleted rows too) in
`customers_interaction_change`. That costs one small INSERT per statement on the write
path. `refresh()` takes the noted changes and rebuilds those customers' days between the
first and the last moment from their interactions. So a late, back-dated, moved or
deleted interaction is counted exactly as if everything were computed from scratch.

Safe to run twice and from several processes: a refresh holds a transaction-level
advisory lock, takes only the changes committed when it starts (later ones wait for the
next refresh) and recomputes from committed interactions, so a day is never left with
an older total than its interactions. If TIME_ZONE changed since the roll-ups were
built (or they never were: right after the migration), `refresh()` rebuilds them all. So does a
TRUNCATE of the interactions (the demo's reset), which a trigger cannot follow row by
row: it forgets the state (migration `customers.0027`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q, Sum, Window
from django.db.models.functions import RowNumber

from customers.scoring import interaction_windows
from customers.scoring.models import InteractionDay, InteractionWindow
from retention.bulk import read_frame

# pg_advisory_xact_lock key: one refresh at a time ("IDAY" in ASCII).
REFRESH_LOCK = 0x49444159

CHANGES_TABLE = "customers_interaction_change"
STATE_TABLE = "customers_interactionday_state"

# The sums of one customer-day, from the interactions joined as `i`. The satisfaction
# scores are ordered as the features order them: latest time first, then highest id.
_DAY_SUMS = """
    i.customer_id,
    (i.happened_at AT TIME ZONE %(zone)s)::date,
    count(*),
    count(*) FILTER (WHERE i.direction = 'outbound'),
    count(*) FILTER (WHERE i.kind = 'complaint'),
    count(*) FILTER (WHERE i.kind = 'support_ticket'),
    count(*) FILTER (WHERE i.kind = 'discount_request'),
    count(*) FILTER (WHERE i.kind = 'usage'),
    count(*) FILTER (WHERE i.kind = 'renewal_talk'),
    min(i.employee_id),
    max(i.employee_id),
    (array_agg(i.satisfaction ORDER BY i.happened_at DESC, i.id DESC)
        FILTER (WHERE i.satisfaction IS NOT NULL))[1],
    (array_agg(i.satisfaction ORDER BY i.happened_at DESC, i.id DESC)
        FILTER (WHERE i.satisfaction IS NOT NULL))[2]
"""
_COLUMNS = """
    customer_id, day, interactions, outbound, complaints, support_tickets,
    discount_requests, usage, renewal_talks, employee_low, employee_high,
    satisfaction_latest, satisfaction_previous
"""


def in_use() -> bool:
    """Roll-ups exist on PostgreSQL only (the triggers are PostgreSQL's); elsewhere the
    features read the interactions."""
    return connection.vendor == "postgresql"


def refresh(*, window_day: dt.date | None = None) -> dict[str, int]:
    """Bring the roll-ups up to date with every committed change to the interactions,
    and the customers' interaction windows with them (interaction_windows.py); with
    `window_day` (the nightly day), move the windows on to that day. Returns how many
    customers were refreshed and day rows written (or `rebuilt`: 1)."""
    if not in_use():
        return {"customers": 0, "days": 0, "rebuilt": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        done = _refresh_days(cursor, settings.TIME_ZONE)
        if window_day is not None:
            done["windows"] = interaction_windows.advance(cursor, window_day)
        return done


def _refresh_days(cursor, zone: str) -> dict[str, int]:
    cursor.execute(f"SELECT zone FROM {STATE_TABLE}")
    row = cursor.fetchone()
    if row is None or row[0] != zone:
        return _rebuild(cursor, zone)
    # First take the noted changes, then read the interactions (a later snapshot):
    # everything a taken note is about is committed and seen. (Inside an outer
    # transaction the table of an earlier refresh is still there.)
    cursor.execute("DROP TABLE IF EXISTS interaction_days_changed")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE interaction_days_changed ON COMMIT DROP AS
        WITH taken AS (DELETE FROM {CHANGES_TABLE} RETURNING customer_id, first_at, last_at)
        SELECT customer_id,
               min((first_at AT TIME ZONE %(zone)s)::date) AS first_day,
               max((last_at AT TIME ZONE %(zone)s)::date) AS last_day
        FROM taken GROUP BY customer_id
        """,
        {"zone": zone},
    )
    customers = cursor.rowcount
    if not customers:
        return {"customers": 0, "days": 0, "rebuilt": 0}
    cursor.execute("ANALYZE interaction_days_changed")
    # A few customers' days among millions: through the (customer, time) indexes, never
    # a scan of every interaction and roll-up for a hash join.
    interaction_windows.index_joins(cursor, True)
    cursor.execute(
        """
        DELETE FROM customers_interactionday d USING interaction_days_changed c
        WHERE d.customer_id = c.customer_id AND d.day BETWEEN c.first_day AND c.last_day
        """
    )
    cursor.execute(
        f"""
        INSERT INTO customers_interactionday ({_COLUMNS})
        SELECT {_DAY_SUMS}
        FROM customers_interaction i
        JOIN interaction_days_changed c ON c.customer_id = i.customer_id
         AND i.happened_at >= (c.first_day::timestamp AT TIME ZONE %(zone)s)
         AND i.happened_at < ((c.last_day + 1)::timestamp AT TIME ZONE %(zone)s)
        GROUP BY 1, 2
        """,
        {"zone": zone},
    )
    days = cursor.rowcount
    interaction_windows.recompute(cursor, "interaction_days_changed")
    interaction_windows.index_joins(cursor, False)
    return {"customers": customers, "days": days, "rebuilt": 0}


def _rebuild(cursor, zone: str) -> dict[str, int]:
    """Every roll-up from every interaction, in the given zone (same transaction and lock
    as the refresh). The notes are taken first, as in a refresh."""
    cursor.execute(f"DELETE FROM {CHANGES_TABLE}")
    cursor.execute("TRUNCATE customers_interactionday")
    cursor.execute(
        f"""
        INSERT INTO customers_interactionday ({_COLUMNS})
        SELECT {_DAY_SUMS} FROM customers_interaction i GROUP BY 1, 2 ORDER BY 1, 2
        """,
        {"zone": zone},
    )
    days = cursor.rowcount
    cursor.execute(f"DELETE FROM {STATE_TABLE}")
    cursor.execute(f"INSERT INTO {STATE_TABLE} (zone) VALUES (%s)", [zone])
    interaction_windows.forget(cursor)
    cursor.execute("SELECT count(DISTINCT customer_id) FROM customers_interactionday")
    return {"customers": cursor.fetchone()[0], "days": days, "rebuilt": 1}


def pending_changes() -> int:
    """Change notes not yet folded into the roll-ups (for benchmarks and checks)."""
    if not in_use():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {CHANGES_TABLE}")
        return cursor.fetchone()[0]


# --- what the features read -------------------------------------------------------------------


def interaction_features(
    as_of: dt.date, selection, active_ids: pd.Index, window_days: int
) -> pd.DataFrame:
    """The interaction counts of the last `window_days` days and the days of the latest
    interactions, complaints, ... (any time before), per customer: the same columns and
    values as `features._interaction_features` computes from the interactions, from the
    roll-ups of the window (one row per customer and day with interactions)."""

    def last(days: int) -> Q:
        return Q(day__gte=as_of - dt.timedelta(days=days - 1))

    prior_3_months = last(120) & ~last(30)
    aggregates = {
        "interactions_30d": Sum("interactions", filter=last(30)),
        "interactions_90d": Sum("interactions", filter=last(90)),
        "interactions_prior_90d": Sum("interactions", filter=prior_3_months),
        "last_interaction_day": Max("day"),
        "last_outbound_day": Max("day", filter=Q(outbound__gt=0)),
        "complaints_30d": Sum("complaints", filter=last(30)),
        "complaints_60d": Sum("complaints", filter=last(60)),
        "complaints_90d": Sum("complaints", filter=last(90)),
        "last_complaint_day": Max("day", filter=Q(complaints__gt=0)),
        "support_tickets_30d": Sum("support_tickets", filter=last(30)),
        "support_tickets_60d": Sum("support_tickets", filter=last(60)),
        "support_tickets_90d": Sum("support_tickets", filter=last(90)),
        "discount_requests_60d": Sum("discount_requests", filter=last(60)),
        "last_discount_request_day": Max("day", filter=Q(discount_requests__gt=0)),
        "usage_30d": Sum("usage", filter=last(30)),
        "usage_prior_90d": Sum("usage", filter=prior_3_months),
        "renewal_talks_180d": Sum("renewal_talks"),
        "employee_low_180d": Min("employee_low"),
        "employee_high_180d": Max("employee_high"),
    }
    window_start = as_of - dt.timedelta(days=window_days - 1)
    queryset = selection.apply(
        InteractionDay.objects.filter(day__gte=window_start, day__lte=as_of), "customer_id"
    )
    frame = read_frame(
        queryset.values("customer_id")
        .annotate(**aggregates)
        .order_by()
        .values_list("customer_id", *aggregates),
        ["customer_id", *aggregates],
    ).set_index("customer_id")
    return _latest_days_before(frame, window_start, active_ids, selection)


_COMMON_LATEST = {"last_interaction_day": Q(), "last_outbound_day": Q(outbound__gt=0)}
_RARE_LATEST = {
    "last_complaint_day": Q(complaints__gt=0),
    "last_discount_request_day": Q(discount_requests__gt=0),
}


def _latest_days_before(
    frame: pd.DataFrame, window_start: dt.date, active_ids: pd.Index, selection
) -> pd.DataFrame:
    """The latest days the window lacks, from the days before it: the latest interaction
    and outbound contact of the few active customers without one lately (their rows of
    the primary key), the latest complaint and discount request (the partial index)."""
    before = InteractionDay.objects.filter(day__lt=window_start)
    common = list(_COMMON_LATEST)
    known = frame.index[frame[common].notna().all(axis=1)] if len(frame) else frame.index
    missing = active_ids.difference(known).to_numpy(dtype="int64").tolist()

    def latest(queryset, moments: dict[str, Q]) -> pd.DataFrame:
        aggregates = {name: Max("day", filter=condition) for name, condition in moments.items()}
        return read_frame(
            queryset.values("customer_id")
            .annotate(**aggregates)
            .order_by()
            .values_list("customer_id", *aggregates),
            ["customer_id", *aggregates],
        ).set_index("customer_id")

    older = [
        latest(before.filter(customer_id__in=missing[i : i + 5000]), _COMMON_LATEST)
        for i in range(0, len(missing), 5000)
    ]
    rare = Q(complaints__gt=0) | Q(discount_requests__gt=0)
    older.append(latest(selection.apply(before.filter(rare), "customer_id"), _RARE_LATEST))
    return fold_in(frame, older, active_ids)


def satisfaction_features(as_of: dt.date, selection, lookback_days: int) -> pd.DataFrame:
    """The latest satisfaction score of the last `lookback_days` days and the one before
    it: from the latest day with a score, and the day before that when the latest day
    has only one."""
    queryset = selection.apply(
        InteractionDay.objects.filter(
            satisfaction_latest__isnull=False,
            day__lte=as_of,
            day__gt=as_of - dt.timedelta(days=lookback_days),
        ),
        "customer_id",
    )
    ranked = (
        queryset.annotate(
            recency=Window(RowNumber(), partition_by=[F("customer_id")], order_by=[F("day").desc()])
        )
        .filter(recency__lte=2)
        .values_list("customer_id", "recency", "satisfaction_latest", "satisfaction_previous")
    )
    rows = read_frame(ranked, ["customer_id", "recency", "latest", "previous"])
    wide = rows.pivot(index="customer_id", columns="recency", values=["latest", "previous"])
    if wide.empty:
        return pd.DataFrame(
            columns=["latest_satisfaction", "previous_satisfaction"],
            index=pd.Index([], name="customer_id"),
            dtype="float64",
        )
    latest_day = wide[("latest", 1)].astype("float64")
    same_day = wide[("previous", 1)].astype("float64")
    day_before = wide.get(("latest", 2), pd.Series(index=wide.index, dtype="float64"))
    return pd.DataFrame(
        {
            "latest_satisfaction": latest_day,
            "previous_satisfaction": same_day.combine_first(day_before.astype("float64")),
        },
        index=wide.index,
        dtype="float64",
    )


def window_features(as_of: dt.date, selection) -> pd.DataFrame | None:
    """The interaction and satisfaction features of the selected customers from their
    interaction windows, if the windows are at `as_of` (else None: read the roll-ups).
    One row per customer; the same columns and values as the other two ways."""
    with connection.cursor() as cursor:
        if interaction_windows.window_day(cursor) != as_of:
            return None
    columns = interaction_windows.FEATURES
    frame = read_frame(
        selection.apply(InteractionWindow.objects.all(), "customer_id")
        .order_by()
        .values_list(*columns),
        columns,
    ).set_index("customer_id")
    frame["interactions_prior_90d"] = frame.pop("interactions_120d") - frame["interactions_30d"]
    frame["usage_prior_90d"] = frame.pop("usage_120d") - frame["usage_30d"]
    return frame.rename(
        columns={
            "satisfaction_latest": "latest_satisfaction",
            "satisfaction_previous": "previous_satisfaction",
        }
    ).astype({"latest_satisfaction": "float64", "previous_satisfaction": "float64"})


def fold_in(frame: pd.DataFrame, parts: list[pd.DataFrame], active_ids) -> pd.DataFrame:
    """The frame (one row per customer) with the columns of `parts` (each indexed by
    customer id) filled in where the frame has no value, for the active customers only;
    customers found only in a part get a row."""
    for part in parts:
        if len(part):
            part = part[part.index.isin(active_ids)]
            frame = frame.reindex(frame.index.union(part.index))
            for column in part.columns:
                frame[column] = frame[column].combine_first(part[column])
    return frame
