"""Each customer's interaction features for the nightly day, moved on night by night.

The rule this module keeps: every InteractionWindow row holds exactly what the features
would compute from that customer's InteractionDay rows up to the state's day
(`window_as_of`), for every customer with a roll-up on or before that day. So the
nightly features read one row per customer instead of 180 days of roll-ups.

How a night moves the windows on from day S to day A (a week at most; otherwise, or
going back in time, everything is rebuilt from the roll-ups), reading only the roll-ups
of the days entering and leaving the windows (an index-only scan of those days: a day's
roll-ups are spread over the whole table) and the rows of the customers on them (through
the primary keys), so a night costs what the day's change costs, not the company:
- a count over the last N days gains the roll-ups of (S, A] and loses those of
  [S-N+1, A-N]: a few days of roll-ups, not N;
- the latest days move to the newest roll-up of (S, A] where there is one;
- the 180 days' lowest and highest employee id are not sums: entering roll-ups widen
  them, and the row keeps the latest day each was seen (the lowest id of the 180 days
  is, on every day it dealt with the customer, that day's lowest); only where that day
  leaves the 180 days are they taken again from the customer's 180 days;
- nor are the year's latest two satisfaction scores: where a score entered or left the
  year they are the latest two of the entering scores and the row's own two (the row
  keeps their days), still in the year;
- customers with no row yet get one from their entering roll-ups (they had none before);
- only rows whose values change are written.
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
# What the features read, then the days of the two satisfaction scores (for the nights).
FEATURES = ["customer_id", *COUNTS, *LATEST, "employee_low_180d", "employee_high_180d"]
FEATURES += ["satisfaction_latest", "satisfaction_previous"]
SATISFACTION = [
    "satisfaction_latest",
    "satisfaction_previous",
    "satisfaction_latest_day",
    "satisfaction_previous_day",
]
COLUMNS = [*FEATURES, "satisfaction_latest_day", "satisfaction_previous_day"]
COLUMNS += ["employee_low_day", "employee_high_day"]


def _bound_days(rows: str) -> list[str]:
    """The latest day among `rows` (a condition on roll-ups `d`) with the lowest day's
    lowest employee id, and with the highest day's highest: the days the 180 days' bounds
    were last seen when `rows` are those days."""
    return [
        "(array_agg(d.day ORDER BY d.employee_low, d.day DESC)"
        f" FILTER (WHERE {rows} AND d.employee_low IS NOT NULL))[1]",
        "(array_agg(d.day ORDER BY d.employee_high DESC, d.day DESC)"
        f" FILTER (WHERE {rows} AND d.employee_high IS NOT NULL))[1]",
    ]


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
    return ",\n".join(parts + _satisfaction() + _bound_days(recent))


def _satisfaction() -> list[str]:
    """The latest two scores of the year and their days, from rows `d` with a day and
    the day's latest two scores: the latest day with a score gives the latest score; the
    score before it is that day's second one, else the latest of the day with a score
    before."""

    def newest(column: str, rank: int = 1) -> str:
        return f"(array_agg(d.{column} ORDER BY d.day DESC) FILTER (WHERE {_SCORED}))[{rank}]"

    return [
        newest("satisfaction_latest"),
        f"coalesce({newest('satisfaction_previous')}, {newest('satisfaction_latest', 2)})",
        newest("day"),
        f"CASE WHEN {newest('satisfaction_previous')} IS NOT NULL"
        f" THEN {newest('day')} ELSE {newest('day', 2)} END",
    ]


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
    """Move every row on to `as_of` (see the module's docstring). Reads the roll-ups of
    the days entering and leaving the windows (through the covering index on the day)
    and writes only the rows whose values change."""
    since = window_day(cursor)
    if since == as_of:
        return {"moved": 0, "recomputed": 0, "rebuilt": 0}
    if since is None or as_of < since or (as_of - since).days > MAX_STEP_DAYS:
        return {"moved": 0, "recomputed": 0, "rebuilt": rebuild(cursor, as_of)}
    params = {"since": since, "as_of": as_of}
    # A few thousand customers' rows among millions: through the primary keys, never a
    # scan of every window and roll-up for a hash join (the plan the planner picks for
    # large edges, and the cost that grew faster than the company).
    index_joins(cursor, True)
    entering_days = [since + dt.timedelta(days=n) for n in range(1, (as_of - since).days + 1)]
    lengths = sorted({days for _, days in COUNTS.values()} | {EMPLOYEE_DAYS, SATISFACTION_DAYS})
    edge_days = entering_days + [
        day - dt.timedelta(days=n) for n in lengths for day in entering_days
    ]
    cursor.execute("DROP TABLE IF EXISTS window_edges")
    cursor.execute(
        """
        CREATE TEMPORARY TABLE window_edges ON COMMIT DROP AS
        SELECT d.* FROM customers_interactionday d WHERE d.day = ANY(%(days)s)
        """,
        {"days": edge_days},
    )
    cursor.execute("CREATE INDEX ON window_edges (customer_id)")
    # Statistics of the columns joined and filtered on only (all of them cost more
    # than the statements they guide).
    cursor.execute("ANALYZE window_edges (customer_id, day, satisfaction_latest)")
    moved = _next_rows(cursor, params)
    recomputed = _employees_again(cursor, params)
    _satisfaction_moved_on(cursor, params)

    # Written only where a value changed (a roll-up leaving the 180 days with no renewal
    # talk, or the year with no score, changes nothing).
    names = COLUMNS[1:]
    cursor.execute(
        f"""
        UPDATE {TABLE} w SET {", ".join(f"{c} = n.{c}" for c in names)}
        FROM window_next n
        WHERE w.customer_id = n.customer_id
          AND ({", ".join(f"w.{c}" for c in names)})
              IS DISTINCT FROM ({", ".join(f"n.{c}" for c in names)})
        """
    )
    changed = cursor.rowcount
    # New customers: every roll-up they have up to the day entered with this night.
    cursor.execute(
        f"""
        INSERT INTO {TABLE} ({", ".join(COLUMNS)})
        SELECT {_aggregates()} FROM window_edges d
        WHERE d.day > %(since)s AND d.day <= %(as_of)s
          AND NOT EXISTS (SELECT 1 FROM {TABLE} w WHERE w.customer_id = d.customer_id)
        GROUP BY d.customer_id
        """,
        params,
    )
    added = cursor.rowcount
    index_joins(cursor, False)
    _set_window_day(cursor, as_of)
    return {
        "moved": changed,
        "unchanged": moved - changed,
        "added": added,
        "recomputed": recomputed,
        "rebuilt": 0,
    }


def _entering() -> str:
    return "d.day > %(since)s AND d.day <= %(as_of)s"


def _leaving(days: int) -> str:
    return f"d.day > %(since)s::date - {days} AND d.day <= %(as_of)s::date - {days}"


def _next_rows(cursor, params) -> int:
    """`window_next`: the new values of every customer on the edges who has a row: the
    counts moved by what entered and left, the latest days to the newest entering
    roll-up, the employees widened to the entering ones; whether the employees or the
    satisfaction scores must be looked at again (`employees_move`, `scores_move`)."""
    entering = _entering()
    deltas = []
    for column, (source, days) in COUNTS.items():
        deltas.append(
            f"coalesce(sum(d.{source}) FILTER (WHERE {entering}), 0)"
            f" - coalesce(sum(d.{source}) FILTER (WHERE {_leaving(days)}), 0) AS {column}"
        )
    for column, condition in LATEST.items():
        deltas.append(f"max(d.day) FILTER (WHERE {entering} AND {condition}) AS {column}")
    deltas.append(f"min(d.employee_low) FILTER (WHERE {entering}) AS employee_low_180d")
    deltas.append(f"max(d.employee_high) FILTER (WHERE {entering}) AS employee_high_180d")
    low_day, high_day = _bound_days(entering)
    deltas += [f"{low_day} AS employee_low_day", f"{high_day} AS employee_high_day"]
    # A score entered the year, or one left it.
    deltas.append(
        "coalesce(bool_or(d.satisfaction_latest IS NOT NULL AND "
        f"(({entering}) OR ({_leaving(SATISFACTION_DAYS)}))), false) AS scores_move"
    )
    values = [f"w.{column} + x.{column} AS {column}" for column in COUNTS]
    values += [f"greatest(w.{column}, x.{column}) AS {column}" for column in LATEST]
    values += [
        "least(w.employee_low_180d, x.employee_low_180d) AS employee_low_180d",
        "greatest(w.employee_high_180d, x.employee_high_180d) AS employee_high_180d",
    ]
    values += [f"w.{column}" for column in SATISFACTION]
    # An entering roll-up with the bound's id, or a lower (higher) one, is where the
    # bound was last seen now (it is newer than every day of the row).
    for bound, compare in (("low", "<="), ("high", ">=")):
        values.append(
            f"CASE WHEN x.employee_{bound}_180d IS NOT NULL AND (w.employee_{bound}_180d IS NULL"
            f" OR x.employee_{bound}_180d {compare} w.employee_{bound}_180d)"
            f" THEN x.employee_{bound}_day ELSE w.employee_{bound}_day END"
            f" AS employee_{bound}_day"
        )
    values.append("x.scores_move")
    # A bound whose last day left the 180 days (or that has no day: a row from before
    # the days were kept) is taken again from the customer's 180 days.
    gone = f"%(as_of)s::date - {EMPLOYEE_DAYS}"
    employees_move = " OR ".join(
        f"(v.employee_{bound}_180d IS NOT NULL AND (v.employee_{bound}_day IS NULL"
        f" OR v.employee_{bound}_day <= {gone}))"
        for bound in ("low", "high")
    )
    cursor.execute("DROP TABLE IF EXISTS window_next")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE window_next ON COMMIT DROP AS
        SELECT v.*, {employees_move} AS employees_move FROM (
            SELECT w.customer_id, {", ".join(values)}
            FROM (
                SELECT d.customer_id, {", ".join(deltas)}
                FROM window_edges d GROUP BY d.customer_id
            ) x
            JOIN {TABLE} w ON w.customer_id = x.customer_id
        ) v
        """,
        params,
    )
    rows = cursor.rowcount
    cursor.execute("CREATE UNIQUE INDEX ON window_next (customer_id)")
    cursor.execute("ANALYZE window_next (customer_id, employees_move, scores_move)")
    return rows


def _employees_again(cursor, params) -> int:
    """Where the day the lowest or highest employee id was last seen left the 180 days,
    both and their days again from the customer's 180 days (none: NULL)."""
    low_day, high_day = _bound_days("true")
    cursor.execute(
        f"""
        UPDATE window_next n SET employee_low_180d = e.low, employee_high_180d = e.high,
            employee_low_day = e.low_day, employee_high_day = e.high_day
        FROM (
            SELECT n.customer_id, min(d.employee_low) AS low, max(d.employee_high) AS high,
                   {low_day} AS low_day, {high_day} AS high_day
            FROM window_next n
            LEFT JOIN customers_interactionday d ON d.customer_id = n.customer_id
             AND d.day <= %(as_of)s AND d.day > %(as_of)s::date - {EMPLOYEE_DAYS}
            WHERE n.employees_move
            GROUP BY n.customer_id
        ) e
        WHERE n.customer_id = e.customer_id
        """,
        params,
    )
    return cursor.rowcount


def _satisfaction_moved_on(cursor, params) -> None:
    """The latest two scores of the year where a score entered or left it: the latest
    two among the entering roll-ups' scores and the row's two (as if they were roll-ups
    of their days) that are still in the year. Any score of the year that is not among
    those is older than the row's second one, so it can be neither. (New customers'
    entering scores are grouped too, and left out by the join.)"""
    cursor.execute(
        f"""
        UPDATE window_next n SET
            satisfaction_latest = s.latest, satisfaction_previous = s.previous,
            satisfaction_latest_day = s.latest_day,
            satisfaction_previous_day = s.previous_day
        FROM (
            SELECT d.customer_id, {", ".join(_satisfaction())}
            FROM (
                SELECT d.customer_id, d.day, d.satisfaction_latest, d.satisfaction_previous
                FROM window_edges d
                WHERE {_entering()} AND d.satisfaction_latest IS NOT NULL
                UNION ALL
                SELECT customer_id, satisfaction_latest_day, satisfaction_latest,
                       CASE WHEN satisfaction_previous_day = satisfaction_latest_day
                            THEN satisfaction_previous END
                FROM window_next WHERE scores_move AND satisfaction_latest_day IS NOT NULL
                UNION ALL
                SELECT customer_id, satisfaction_previous_day, satisfaction_previous, NULL
                FROM window_next
                WHERE scores_move AND satisfaction_previous_day < satisfaction_latest_day
            ) d
            GROUP BY d.customer_id
        ) s (customer_id, latest, previous, latest_day, previous_day)
        WHERE n.customer_id = s.customer_id
        """,
        params,
    )


def index_joins(cursor, only: bool) -> None:
    """Join through indexes only (for the rest of the transaction), or as the planner
    likes."""
    value = "off" if only else "on"
    for setting in ("enable_hashjoin", "enable_mergejoin"):
        cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
