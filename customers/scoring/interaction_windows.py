"""Each customer's interaction features for the nightly day, moved on night by night.

The rule this module keeps: every InteractionWindow row holds exactly what the features
would compute from that customer's InteractionDay rows up to the state's day
(`window_as_of`), for every customer with a roll-up on or before that day. So the
nightly features read one row per customer instead of 180 days of roll-ups.

How a night moves the windows on from day S to day A (a week at most; otherwise, or
going back in time, everything is rebuilt from the roll-ups):
- a count over the last N days gains the roll-ups of (S, A] and loses those of
  [S-N+1, A-N]: a few days of roll-ups, not N;
- the latest days move to the newest roll-up of (S, A] where there is one;
- the 180 days' lowest and highest employee id are not sums: where a roll-up with an
  employee leaves the 180 days, they are taken again from the customer's 180 days;
- nor are the year's latest two satisfaction scores: the customers where they may
  change (a score came in or left the year, or the customer is new) are computed again
  from their roll-ups of the year, keeping their latest days.
When roll-ups of a day are rebuilt (a late, back-dated, moved or deleted interaction:
interaction_days.refresh), those customers' rows are computed again from all their
roll-ups. Every function here runs inside the refresh's transaction and lock."""

from __future__ import annotations

import datetime as dt

# Column -> (roll-up column, window length in days). "_120d" counts feed the prior
# 3 months (days 31..120) of the engagement and usage ratios.
COUNTS = {
    "interactions_30d": ("interactions", 30),
    "interactions_90d": ("interactions", 90),
    "interactions_120d": ("interactions", 120),
    "complaints_30d": ("complaints", 30),
    "complaints_60d": ("complaints", 60),
    "complaints_90d": ("complaints", 90),
    "support_tickets_30d": ("support_tickets", 30),
    "support_tickets_60d": ("support_tickets", 60),
    "support_tickets_90d": ("support_tickets", 90),
    "discount_requests_60d": ("discount_requests", 60),
    "usage_30d": ("usage", 30),
    "usage_120d": ("usage", 120),
    "renewal_talks_180d": ("renewal_talks", 180),
}
LATEST = {
    "last_interaction_day": "true",
    "last_outbound_day": "d.outbound > 0",
    "last_complaint_day": "d.complaints > 0",
    "last_discount_request_day": "d.discount_requests > 0",
}
EMPLOYEE_DAYS = 180
SATISFACTION_DAYS = 365
MAX_STEP_DAYS = 7

TABLE = "customers_interactionwindow"
COLUMNS = ["customer_id", *COUNTS, *LATEST, "employee_low_180d", "employee_high_180d"]
COLUMNS += ["satisfaction_latest", "satisfaction_previous"]

_SCORED = "d.satisfaction_latest IS NOT NULL AND d.day > %(as_of)s::date - 365"


def _aggregates() -> str:
    """Every column of a customer's row from its roll-ups `d` up to %(as_of)s."""
    parts = ["d.customer_id"]
    for source, days in COUNTS.values():
        parts.append(
            f"coalesce(sum(d.{source}) FILTER (WHERE d.day > %(as_of)s::date - {days}), 0)"
        )
    for condition in LATEST.values():
        parts.append(f"max(d.day) FILTER (WHERE {condition})")
    recent = f"d.day > %(as_of)s::date - {EMPLOYEE_DAYS}"
    parts.append(f"min(d.employee_low) FILTER (WHERE {recent})")
    parts.append(f"max(d.employee_high) FILTER (WHERE {recent})")
    # The latest day with a score gives the latest score; the score before it is that
    # day's second one, else the latest of the day with a score before.
    parts.append(
        f"(array_agg(d.satisfaction_latest ORDER BY d.day DESC) FILTER (WHERE {_SCORED}))[1]"
    )
    parts.append(
        f"coalesce((array_agg(d.satisfaction_previous ORDER BY d.day DESC) FILTER (WHERE {_SCORED}))[1],"
        f" (array_agg(d.satisfaction_latest ORDER BY d.day DESC) FILTER (WHERE {_SCORED}))[2])"
    )
    return ",\n".join(parts)


def window_day(cursor) -> dt.date | None:
    cursor.execute("SELECT window_as_of FROM customers_interactionday_state")
    row = cursor.fetchone()
    return row[0] if row else None


def _set_window_day(cursor, day: dt.date | None) -> None:
    cursor.execute("UPDATE customers_interactionday_state SET window_as_of = %s", [day])


def rebuild(cursor, as_of: dt.date) -> int:
    """Every customer's row from all the roll-ups, for `as_of`."""
    cursor.execute(f"TRUNCATE {TABLE}")
    cursor.execute(
        f"""
        INSERT INTO {TABLE} ({", ".join(COLUMNS)})
        SELECT {_aggregates()} FROM customers_interactionday d
        WHERE d.day <= %(as_of)s GROUP BY d.customer_id
        """,
        {"as_of": as_of},
    )
    rows = cursor.rowcount
    _set_window_day(cursor, as_of)
    return rows


def forget(cursor) -> None:
    """The rows no longer hold (the roll-ups were rebuilt): none until the next night."""
    cursor.execute(f"TRUNCATE {TABLE}")
    _set_window_day(cursor, None)


def recompute(cursor, customers_table: str) -> int:
    """The rows of the customers in `customers_table` (a customer_id column) again from
    all their roll-ups, for the state's day (after their roll-ups were rebuilt)."""
    as_of = window_day(cursor)
    if as_of is None:
        return 0
    cursor.execute(
        f"DELETE FROM {TABLE} w USING {customers_table} c WHERE w.customer_id = c.customer_id"
    )
    cursor.execute(
        f"""
        INSERT INTO {TABLE} ({", ".join(COLUMNS)})
        SELECT {_aggregates()} FROM customers_interactionday d
        JOIN {customers_table} c ON c.customer_id = d.customer_id
        WHERE d.day <= %(as_of)s GROUP BY d.customer_id
        """,
        {"as_of": as_of},
    )
    return cursor.rowcount


def advance(cursor, as_of: dt.date) -> dict[str, int]:
    """Move every row on to `as_of` (see the module's docstring)."""
    since = window_day(cursor)
    if since == as_of:
        return {"moved": 0, "recomputed": 0, "rebuilt": 0}
    if since is None or as_of < since or (as_of - since).days > MAX_STEP_DAYS:
        return {"moved": 0, "recomputed": 0, "rebuilt": rebuild(cursor, as_of)}
    params = {"since": since, "as_of": as_of}
    lengths = sorted({days for _, days in COUNTS.values()} | {SATISFACTION_DAYS})
    leaving = " OR ".join(
        f"(d.day > %(since)s::date - {n} AND d.day <= %(as_of)s::date - {n})" for n in lengths
    )
    entering = "d.day > %(since)s AND d.day <= %(as_of)s"
    # The roll-ups of the days that enter or leave a window, once.
    cursor.execute("DROP TABLE IF EXISTS window_edges")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE window_edges ON COMMIT DROP AS
        SELECT d.* FROM customers_interactionday d WHERE ({entering}) OR {leaving}
        """,
        params,
    )
    cursor.execute("ANALYZE window_edges")
    # Computed again from their year: new customers, a satisfaction score entering or
    # leaving the year.
    employees_leave = (
        f"d.day > %(since)s::date - {EMPLOYEE_DAYS} AND d.day <= %(as_of)s::date - {EMPLOYEE_DAYS}"
    )
    scores_leave = (
        f"d.day > %(since)s::date - {SATISFACTION_DAYS} "
        f"AND d.day <= %(as_of)s::date - {SATISFACTION_DAYS}"
    )
    cursor.execute("DROP TABLE IF EXISTS window_recompute")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE window_recompute ON COMMIT DROP AS
        SELECT DISTINCT d.customer_id FROM window_edges d
        LEFT JOIN {TABLE} w ON w.customer_id = d.customer_id
        WHERE ({entering} AND (w.customer_id IS NULL OR d.satisfaction_latest IS NOT NULL))
           OR ({scores_leave} AND d.satisfaction_latest IS NOT NULL)
        """,
        params,
    )
    recomputed = cursor.rowcount
    cursor.execute("CREATE UNIQUE INDEX ON window_recompute (customer_id)")
    cursor.execute("ANALYZE window_recompute")

    # Everyone else on the edges: the counts move by what entered and left, the latest
    # days to the newest entering roll-up, the employees widen to the entering ones.
    deltas = []
    for column, (source, days) in COUNTS.items():
        left = f"d.day > %(since)s::date - {days} AND d.day <= %(as_of)s::date - {days}"
        deltas.append(
            f"coalesce(sum(d.{source}) FILTER (WHERE {entering}), 0)"
            f" - coalesce(sum(d.{source}) FILTER (WHERE {left}), 0) AS {column}"
        )
    for column, condition in LATEST.items():
        deltas.append(f"max(d.day) FILTER (WHERE {entering} AND {condition}) AS {column}")
    deltas.append(f"min(d.employee_low) FILTER (WHERE {entering}) AS employee_low_180d")
    deltas.append(f"max(d.employee_high) FILTER (WHERE {entering}) AS employee_high_180d")
    sets = [f"{column} = w.{column} + x.{column}" for column in COUNTS]
    sets += [f"{column} = greatest(w.{column}, x.{column})" for column in LATEST]
    sets += [
        "employee_low_180d = least(w.employee_low_180d, x.employee_low_180d)",
        "employee_high_180d = greatest(w.employee_high_180d, x.employee_high_180d)",
    ]
    cursor.execute(
        f"""
        UPDATE {TABLE} w SET {", ".join(sets)}
        FROM (
            SELECT d.customer_id, {", ".join(deltas)} FROM window_edges d
            WHERE NOT EXISTS (
                SELECT 1 FROM window_recompute r WHERE r.customer_id = d.customer_id
            )
            GROUP BY d.customer_id
        ) x
        WHERE w.customer_id = x.customer_id
        """,
        params,
    )
    moved = cursor.rowcount
    # An employee who dealt with the customer left the 180 days: their lowest and
    # highest employee id again from the 180 days (entering roll-ups included).
    cursor.execute(
        f"""
        UPDATE {TABLE} w SET employee_low_180d = e.low, employee_high_180d = e.high
        FROM (
            SELECT d.customer_id, min(d.employee_low) AS low, max(d.employee_high) AS high
            FROM customers_interactionday d
            JOIN (
                SELECT DISTINCT customer_id FROM window_edges d
                WHERE {employees_leave} AND d.employee_low IS NOT NULL
                EXCEPT SELECT customer_id FROM window_recompute
            ) c ON c.customer_id = d.customer_id
            WHERE d.day <= %(as_of)s AND d.day > %(as_of)s::date - {EMPLOYEE_DAYS}
            GROUP BY d.customer_id
        ) e
        WHERE w.customer_id = e.customer_id
        """,
        params,
    )
    # (A customer whose only employees left has no roll-up with an employee in the 180
    # days: nothing was grouped for it above.)
    cursor.execute(
        f"""
        UPDATE {TABLE} w SET employee_low_180d = NULL, employee_high_180d = NULL
        WHERE w.customer_id IN (
            SELECT customer_id FROM window_edges d
            WHERE {employees_leave} AND d.employee_low IS NOT NULL
        )
        AND NOT EXISTS (
            SELECT 1 FROM customers_interactionday d
            WHERE d.customer_id = w.customer_id AND d.employee_low IS NOT NULL
              AND d.day <= %(as_of)s AND d.day > %(as_of)s::date - {EMPLOYEE_DAYS}
        )
        """,
        params,
    )

    # The customers computed again: everything from their roll-ups of the year; their
    # latest days from before the year are the ones their row held.
    fresh = ", ".join(f"f.{c}" for c in COLUMNS[1:])
    cursor.execute("DROP TABLE IF EXISTS window_fresh")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE window_fresh ON COMMIT DROP AS
        SELECT r.customer_id, {fresh}
        FROM window_recompute r LEFT JOIN (
            SELECT {_aggregates()} FROM customers_interactionday d
            JOIN window_recompute r ON r.customer_id = d.customer_id
            WHERE d.day <= %(as_of)s AND d.day > %(as_of)s::date - {SATISFACTION_DAYS}
            GROUP BY d.customer_id
        ) f (customer_id, {", ".join(COLUMNS[1:])}) ON f.customer_id = r.customer_id
        """,
        params,
    )
    values = ["n.customer_id"]
    values += [f"coalesce(n.{column}, 0) AS {column}" for column in COUNTS]
    values += [f"greatest(n.{column}, w.{column}) AS {column}" for column in LATEST]
    values += [f"n.{c}" for c in COLUMNS[len(COUNTS) + len(LATEST) + 1 :]]
    cursor.execute("DROP TABLE IF EXISTS window_replaced")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE window_replaced ON COMMIT DROP AS
        SELECT {", ".join(values)} FROM window_fresh n
        LEFT JOIN {TABLE} w ON w.customer_id = n.customer_id
        """
    )
    cursor.execute(
        f"DELETE FROM {TABLE} w USING window_recompute r WHERE w.customer_id = r.customer_id"
    )
    cursor.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT * FROM window_replaced")
    _set_window_day(cursor, as_of)
    return {"moved": moved, "recomputed": recomputed, "rebuilt": 0}
