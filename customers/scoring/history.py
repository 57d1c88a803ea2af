"""The score history: one row per customer per span of days, written when a score changes
materially, not every night.

A row holds from its `day` until the day before its `valid_until` (open: still current).
A night compares each customer's new score with the score that held the day before and
writes a row only when it changed materially:

- the model changed (a new model's scores replace the old model's, all of them);
- the tier changed (tiers are ranks over the whole company: the lists filter on them, and
  a tier jump raises an alert);
- the probability moved by MATERIAL_PROBABILITY_CHANGE or more from the stored one (one
  percentage point: the pages show whole percentages, and because the comparison is with
  the stored score, not yesterday's, the stored probability never drifts further than
  that from the day's; revenue at risk, probability x annual value, follows);
- the annual value changed (revenue at risk and the value sort read it);
- the reasons changed: which warning signs, in which order (their words carry figures
  such as "no contact for 75 days" that move every day; the words stay those of the
  night the row was written);
- the warning signs that fired changed (the alerts are raised from them), or the
  single-threaded flag, or the number of active contacts;

and a customer scored today and not the day before (new, or active again) gets a row,
one no longer scored (churned, or not yet started) has its row ended. Everything else
keeps its row: on a normal night a few per cent of the customers.

Every function here is safe to run twice: the result depends on the day's scores and
the history before the day, never on what an earlier attempt at the same day wrote.
Scoring an older day again changes that day only (up to the next scored day, whose
scores stay as they were)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from customers.scoring.models import RiskScore, RiskTier, ScoringRun, StagedScore

MATERIAL_PROBABILITY_CHANGE = 0.01

# The stored columns of a score besides its customer and its days.
VALUES = (
    "model_id, tier, probability, annual_value, revenue_at_risk, reasons, signals, "
    "single_threaded, active_contacts"
)

# Whether score `a` differs materially from the score `b` held before (see above). The
# probabilities are stored to 6 places: their difference is rounded so that 0.110 - 0.100
# counts as the whole point it is, not as 0.00999... in binary floating point.
_MATERIAL = """(
    {a}.model_id <> {b}.model_id
    OR {a}.tier IS DISTINCT FROM {b}.tier
    OR round(abs({a}.probability - {b}.probability)::numeric, 6) >= %(material_change)s
    OR {a}.annual_value <> {b}.annual_value
    OR jsonb_path_query_array({a}.reasons, '$[*].signal')
       <> jsonb_path_query_array({b}.reasons, '$[*].signal')
    OR jsonb_path_query_array({a}.signals, '$[*].signal')
       <> jsonb_path_query_array({b}.signals, '$[*].signal')
    OR {a}.single_threaded <> {b}.single_threaded
    OR {a}.active_contacts <> {b}.active_contacts
)"""


@dataclass
class Swap:
    scored: int = 0  # customers scored for the day
    written: int = 0  # rows written: the customers whose score changed materially
    ended: int = 0  # rows ended without a successor: customers no longer scored
    split: int = 0  # rows copied past the day when an older day was scored again


def next_scored_day(day: dt.date) -> dt.date | None:
    """The next day after `day` with a scoring run: a row written for `day` (an older day
    scored again) holds until then."""
    return (
        ScoringRun.objects.filter(day__gt=day).order_by("day").values_list("day", flat=True).first()
    )


def swap_in(run: ScoringRun, bounds: list[int]) -> Swap:
    """Rank the run's staged scores into tiers (`bounds`: cumulative rank limits, the last
    tier takes the rest) and fold them into the history for the run's day. Call inside
    the run's transaction; a handful of statements whatever the company's size, and only
    the customers whose row changes are written or copied."""
    day = run.day
    until = next_scored_day(day)
    table = RiskScore._meta.db_table
    staged = StagedScore._meta.db_table
    cases = " ".join(
        f"WHEN risk_rank <= %(tier_{i})s THEN {tier}" for i, tier in enumerate(RiskTier.values[:-1])
    )
    params = {
        "day": day,
        "until": until,
        "run": run.pk,
        "model": run.model_id,
        "material_change": MATERIAL_PROBABILITY_CHANGE,
        **{f"tier_{i}": bound for i, bound in enumerate(bounds[:-1])},
    }
    # The rows that hold on the day (from an earlier attempt at it, or from before). The
    # latest day's are the open rows (a partial index); an older day's also include rows
    # that ended after it.
    holds = (
        "valid_until IS NULL" if until is None else "(valid_until IS NULL OR valid_until > %(day)s)"
    )
    swap = Swap()
    if connection.vendor != "postgresql":
        # The embedded database (SQLite, make demo): the same rows, planned in Python.
        from customers.scoring import history_portable

        return history_portable.swap_in(run, bounds, until, MATERIAL_PROBABILITY_CHANGE, swap)
    with connection.cursor() as cursor:
        for name in ("score_tiers", "score_plan", "score_tails"):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        # Each staged customer's tier: ties are broken by revenue at risk, then the larger
        # account, then customer id, so tier sizes are exact.
        cursor.execute(
            f"""
            CREATE TEMP TABLE score_tiers ON COMMIT DROP AS
            SELECT customer_id, (CASE {cases} ELSE {RiskTier.VERY_LOW} END)::smallint AS tier,
                   revenue_at_risk
            FROM (
                SELECT customer_id, revenue_at_risk, ROW_NUMBER() OVER (
                    ORDER BY probability DESC, revenue_at_risk DESC, annual_value DESC, customer_id
                ) AS risk_rank
                FROM {staged} WHERE run_id = %(run)s
            ) ranked
            """,
            params,
        )
        swap.scored = cursor.rowcount
        cursor.execute("ANALYZE score_tiers")  # three plain columns: cheap to sample
        # What becomes of each customer whose row changes: write the day's score, or let
        # the score before (it held the day before) hold on; and what happens to the row
        # held on the day. The customers whose held row began before the day and still
        # holds their score (most of them on a normal night) are left out.
        material = _MATERIAL.format(a="f", b="b")
        cursor.execute(
            f"""
            CREATE TEMP TABLE score_plan ON COMMIT DROP AS
            WITH fresh AS (
                SELECT s.customer_id, %(model)s::bigint AS model_id, t.tier, s.probability,
                       s.annual_value, s.reasons, s.signals, s.single_threaded,
                       s.active_contacts
                FROM {staged} s JOIN score_tiers t ON t.customer_id = s.customer_id
                WHERE s.run_id = %(run)s
            ), held AS (
                SELECT id, customer_id, day, valid_until, {VALUES}
                FROM {table} WHERE day <= %(day)s AND {holds}
            ), before AS (
                SELECT id, customer_id, true AS is_held, {VALUES}
                FROM held WHERE day < %(day)s
                UNION ALL
                SELECT id, customer_id, false, {VALUES}
                FROM {table} WHERE valid_until = %(day)s
            ), planned AS (
                SELECT coalesce(f.customer_id, h.customer_id) AS customer_id,
                       f.customer_id IS NOT NULL AS scored,
                       b.id AS before_id, coalesce(b.is_held, false) AS before_is_held,
                       f.customer_id IS NOT NULL AND b.id IS NOT NULL
                           AND NOT {material} AS keeps_before,
                       h.id AS held_id, h.day AS held_day, h.valid_until AS held_until
                FROM fresh f
                FULL JOIN held h ON h.customer_id = f.customer_id
                LEFT JOIN before b ON b.customer_id = coalesce(f.customer_id, h.customer_id)
            )
            SELECT * FROM planned WHERE NOT (keeps_before AND before_is_held)
            """,
            params,
        )
        # The few customers left (no JSON to sample, so this is cheap): the statements
        # below reach their rows through the primary keys instead of scanning.
        cursor.execute("CREATE UNIQUE INDEX ON score_plan (customer_id)")
        cursor.execute("ANALYZE score_plan")
        cursor.execute("SELECT count(*) FROM score_plan WHERE NOT scored")
        swap.ended = cursor.fetchone()[0]
        if until is not None:
            # An older day scored again: the held row's score still holds from the next
            # scored day on, as a row of its own (kept aside before the row changes).
            cursor.execute(
                f"""
                CREATE TEMP TABLE score_tails ON COMMIT DROP AS
                SELECT h.customer_id, %(until)s::date AS day, p.held_until AS valid_until,
                       {_prefixed("h")}
                FROM score_plan p JOIN {table} h ON h.id = p.held_id
                WHERE p.held_until IS NULL OR p.held_until > %(until)s
                """,
                params,
            )
        # The held row gives way to the day: cut before the day, or gone if it began on
        # the day (an earlier attempt's).
        cursor.execute(
            f"""
            UPDATE {table} r SET valid_until = %(day)s FROM score_plan p
            WHERE r.id = p.held_id AND p.held_day < %(day)s
            """,
            params,
        )
        cursor.execute(
            f"""
            DELETE FROM {table} r USING score_plan p
            WHERE r.id = p.held_id AND p.held_day = %(day)s
            """,
            params,
        )
        # The score before holds on through the day (it had ended on it).
        cursor.execute(
            f"""
            UPDATE {table} r SET valid_until = %(until)s FROM score_plan p
            WHERE r.id = p.before_id AND p.keeps_before AND NOT p.before_is_held
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (customer_id, day, valid_until, {VALUES})
            SELECT s.customer_id, %(day)s, %(until)s, %(model)s, t.tier, s.probability,
                   s.annual_value, s.revenue_at_risk, s.reasons, s.signals,
                   s.single_threaded, s.active_contacts
            FROM score_plan p
            JOIN {staged} s ON s.run_id = %(run)s AND s.customer_id = p.customer_id
            JOIN score_tiers t ON t.customer_id = p.customer_id
            WHERE p.scored AND NOT p.keeps_before
            """,
            params,
        )
        swap.written = cursor.rowcount
        if until is not None:
            cursor.execute(
                f"INSERT INTO {table} (customer_id, day, valid_until, {VALUES}) "
                f"SELECT * FROM score_tails"
            )
            swap.split = cursor.rowcount
    return swap


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in VALUES.split(","))


def day_totals(run: ScoringRun) -> dict:
    """Tier sizes, customers and revenue at risk of the day just swapped in, from the
    day's own scores (exact: the history keeps a score that moved less than a point)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tier, count(*), sum(revenue_at_risk) FROM score_tiers GROUP BY tier")
        rows = cursor.fetchall()
    if connection.vendor != "postgresql":  # SQLite sums decimals as floats
        rows = [
            (t, n, None if r is None else Decimal(str(r)).quantize(Decimal("0.01")))
            for t, n, r in rows
        ]
    return {
        "sizes": {tier: count for tier, count, _ in rows},
        "count": sum(count for _, count, _ in rows),
        "revenue_at_risk": sum((rar for _, _, rar in rows if rar is not None), 0),
    }
