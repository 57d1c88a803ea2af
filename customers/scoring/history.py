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

The rule is applied in two places that together make it one: a scoring chunk compares
everything but the tier in numpy (`changed_materially`, against `rows_before` of its id
range) and stages reasons and signs only where a row may be written (`staged_rows`);
the finishing step ranks the tiers and compares them (`swap_in`).

Every function here is safe to run twice: the result depends on the day's scores and
the history before the day, never on what an earlier attempt at the same day wrote.
Scoring an older day again changes that day only (up to the next scored day, whose
scores stay as they were)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Sum

from customers.scoring.models import RiskScore, RiskTier, ScoringRun, StagedScore
from retention.bulk import read_sql_frame

MATERIAL_PROBABILITY_CHANGE = 0.01

# The stored columns of a score besides its customer and its days.
VALUES = (
    "model_id, tier, probability, annual_value, revenue_at_risk, reasons, signals, "
    "single_threaded, active_contacts"
)

# What a scoring chunk reads of the rows that held on the day before its day, for its id
# range: the figures the rule above compares (the codes of the reasons and signs as JSON
# text, the value in cents) and whether the row still holds on the day (it is the
# customer's current row, not one an earlier attempt at the day ended).
_BEFORE = f"""
SELECT customer_id, model_id, tier, probability, (annual_value * 100)::bigint AS value_cents,
       jsonb_path_query_array(reasons, '$[*].signal')::text AS reason_codes,
       jsonb_path_query_array(signals, '$[*].signal')::text AS signal_codes,
       single_threaded::int AS single_threaded, active_contacts,
       (valid_until IS NULL OR valid_until > %(day)s)::int AS holds_on_day
FROM {RiskScore._meta.db_table}
WHERE customer_id BETWEEN %(id_from)s AND %(id_to)s AND day < %(day)s
  AND (valid_until IS NULL OR valid_until >= %(day)s)
"""


def rows_before(day: dt.date, id_from: int, id_to: int) -> pd.DataFrame:
    """The score that held on the day before `day` of each customer in [id_from, id_to]
    that had one, indexed by customer id."""
    if connection.vendor != "postgresql":  # the embedded database (SQLite, make demo)
        from customers.scoring import history_portable

        return history_portable.rows_before(day, id_from, id_to)
    frame = read_sql_frame(
        _BEFORE,
        {"day": day, "id_from": id_from, "id_to": id_to},
        list(BEFORE_COLUMNS),
        text=("reason_codes", "signal_codes"),
    )
    return frame.set_index("customer_id")


BEFORE_COLUMNS = (
    "customer_id",
    "model_id",
    "tier",
    "probability",
    "value_cents",
    "reason_codes",
    "signal_codes",
    "single_threaded",
    "active_contacts",
    "holds_on_day",
)


def changed_materially(scores: pd.DataFrame, before: pd.DataFrame, model_id: int) -> np.ndarray:
    """The rule above, apart from the tier (a rank over the whole company, known only when
    every chunk is in: `swap_in` compares it): True where the day's score differs
    materially from the score that held the day before, or there was none. `scores`:
    the day's scores (customer_id, probability, annual_value, reason_codes, signal_codes,
    single_threaded, active_contacts); `before`: `rows_before`."""
    held = before.reindex(scores["customer_id"].to_numpy())
    had = held["model_id"].notna().to_numpy()
    probability = scores["probability"].to_numpy(dtype="float64")
    # The probabilities are compared to 6 places, so that 0.110 - 0.100 counts as the whole
    # point it is, not as 0.00999... in binary floating point.
    moved = np.round(np.abs(probability - held["probability"].to_numpy(dtype="float64")), 6)
    cents = np.rint(scores["annual_value"].to_numpy(dtype="float64") * 100)

    def differs(column: str, values) -> np.ndarray:
        return (held[column].to_numpy() != np.asarray(values)).astype(bool)

    return ~had | (
        (held["model_id"].to_numpy(dtype="float64") != model_id)
        | (moved >= MATERIAL_PROBABILITY_CHANGE)
        | (held["value_cents"].to_numpy(dtype="float64") != cents)
        | differs("reason_codes", scores["reason_codes"].to_numpy())
        | differs("signal_codes", scores["signal_codes"].to_numpy())
        | differs("single_threaded", scores["single_threaded"].to_numpy(dtype=bool))
        | differs("active_contacts", scores["active_contacts"].to_numpy(dtype="int64"))
    )


# How many ranks from a tier boundary of the night before a customer may be and still be
# staged with its reasons and signs in case its tier moves, as a share of the customers
# scored: the boundaries themselves stay at fixed ranks, so a customer's tier moves only
# when others overtake it, and most nights few do.
TIER_EDGE_SHARE = 0.01


def tier_edges(ranks: int) -> list[tuple[float, float]]:
    """For each boundary between a tier and the next safer one, in the current scores:
    the probabilities from `ranks` customers above it to `ranks` below it (the open rows'
    index on tier and probability: a short walk from each end of each tier). A boundary
    with no customer above it is (inf, inf): everyone is below it; with none below,
    (-inf, -inf)."""
    table = RiskScore._meta.db_table
    ranks = max(int(ranks), 0)
    probes = []  # LIMIT before OFFSET: the order both PostgreSQL and SQLite take
    for tier in RiskTier.values:
        for order in ("ASC", "DESC"):  # the tier's lowest, then its highest, probabilities
            probes.append(
                f"coalesce((SELECT probability FROM {table} WHERE valid_until IS NULL "
                f"AND tier = {int(tier)} ORDER BY probability {order} LIMIT 1 OFFSET {ranks}), "
                f"(SELECT {'min' if order == 'ASC' else 'max'}(probability) FROM {table} "
                f"WHERE valid_until IS NULL AND tier = {int(tier)}))"
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(probes))
        values = cursor.fetchone()
    lows, highs = values[0::2], values[1::2]
    edges = []
    for k in range(1, len(RiskTier.values)):  # the boundary below the k riskiest tiers
        above = [low for low in lows[:k] if low is not None]
        below = [high for high in highs[k:] if high is not None]
        if not above:
            edges.append((math.inf, math.inf))
        elif not below:
            edges.append((-math.inf, -math.inf))
        else:
            edges.append(tuple(sorted((above[-1], below[0]))))
    return edges


def may_change_tier(
    probability: np.ndarray, held_tier: np.ndarray, edges: list[tuple[float, float]]
) -> np.ndarray:
    """Where a customer's tier may differ from `held_tier`: near a boundary of the night
    before, or past one. A guess that saves work, never the rule: a customer it misses
    whose tier did change has its reasons computed when the run finishes."""
    if not edges:
        return np.ones(len(probability), dtype=bool)
    near = np.zeros(len(probability), dtype=bool)
    below = np.zeros(len(probability), dtype="int64")
    for low, high in edges:
        near |= (probability >= low) & (probability <= high)
        below += probability < low
    return near | (1 + below != held_tier)


def staged_rows(
    run: ScoringRun,
    scores: pd.DataFrame,
    id_from: int,
    id_to: int,
    *,
    word: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """The staging rows of a chunk's scores: every customer's narrow row (probability,
    value, revenue at risk, whether the score changed materially apart from its tier, and
    the tier of the row it holds on the day if that row would otherwise hold on), and
    their reasons and signs only where a row may be written (changed, or its tier may
    move). `scores` holds the codes of the reasons and signs, and either the reasons and
    signs themselves (`reasons`, `signals`: JSON text) or `word`, which gives them for
    the rows of a boolean mask over `scores` (runs.reasons_and_signs)."""
    before = rows_before(run.day, id_from, id_to)
    changed = changed_materially(scores, before, run.model_id)
    held = before.reindex(scores["customer_id"].to_numpy())
    keeps = ~changed & held["holds_on_day"].fillna(0).to_numpy(dtype=bool)
    held_tier = np.where(keeps, held["tier"].fillna(0).to_numpy(dtype="int64"), 0)
    wide = changed | may_change_tier(
        scores["probability"].to_numpy(dtype="float64"),
        np.where(keeps, held_tier, -1),
        run_tier_edges(run) if keeps.any() else [],
    )
    rows = scores[[c for c in STAGED_COLUMNS if c not in ("reasons", "signals")]].copy()
    rows["changed"] = changed
    rows["held_tier"] = pd.array(np.where(keeps, held_tier, 0), dtype="Int64")
    rows.loc[~keeps, "held_tier"] = pd.NA
    if word is None:
        worded = [
            np.where(wide, scores[c].to_numpy(dtype=object), None) for c in ("reasons", "signals")
        ]
    else:
        worded = word(wide)
    rows["reasons"], rows["signals"] = worded
    return rows[[*STAGED_COLUMNS, "changed", "held_tier"]]


def edges_for(day: dt.date) -> list[tuple[float, float]]:
    """`tier_edges` of the current scores with the margin for a run of `day`: a share
    (TIER_EDGE_SHARE) of the customers the last complete run before it scored. Each
    probe walks that many ranks of the tier index (8,000 at 1M customers), so a run reads
    them once, when it starts (`start_run`), not once a chunk."""
    return tier_edges(math.ceil(TIER_EDGE_SHARE * _scored_before(day)))


def run_tier_edges(run: ScoringRun) -> list[tuple[float, float]]:
    """The edges stored on the run when it started (JSON: infinities as text), else read
    now (a run made without start_run)."""
    if run.tier_edges is None:
        return edges_for(run.day)
    return [(float(low), float(high)) for low, high in run.tier_edges]


def stored_edges(edges: list[tuple[float, float]]) -> list[list]:
    """`edges` as JSON can hold them: an infinity as the text "inf" or "-inf"."""
    return [[value if math.isfinite(value) else str(value) for value in edge] for edge in edges]


def _scored_before(day: dt.date) -> int:
    """How many customers the last complete run before `day` scored."""
    return (
        ScoringRun.objects.filter(status=ScoringRun.Status.COMPLETE, day__lt=day)
        .order_by("-day")
        .values_list("customers_scored", flat=True)
        .first()
        or 0
    )


STAGED_COLUMNS = (
    "run_id",
    "customer_id",
    "probability",
    "annual_value",
    "revenue_at_risk",
    "reasons",
    "signals",
    "single_threaded",
    "active_contacts",
)


@dataclass
class Swap:
    scored: int = 0  # customers scored for the day
    written: int = 0  # rows written: the customers whose score changed materially
    ended: int = 0  # rows ended without a successor: customers no longer scored
    split: int = 0  # rows copied past the day when an older day was scored again
    reasons_late: int = 0  # rows to write whose reasons the chunks had not staged


def next_scored_day(day: dt.date) -> dt.date | None:
    """The next day after `day` with a scoring run: a row written for `day` (an older day
    scored again) holds until then."""
    return (
        ScoringRun.objects.filter(day__gt=day).order_by("day").values_list("day", flat=True).first()
    )


def swap_in(
    run: ScoringRun,
    bounds: list[int],
    *,
    stage_reasons: Callable[[list[int]], None] | None = None,
) -> Swap:
    """Rank the run's staged scores into tiers (`bounds`: cumulative rank limits, the last
    tier takes the rest) and fold them into the history for the run's day. Call inside
    the run's transaction; a handful of statements whatever the company's size, and only
    the customers whose row changes are read, written or copied: the chunks compared
    every other part of the rule, so a customer whose score did not change and whose
    tier stays is not looked at again. A customer whose row must be written but whose
    reasons were not staged (its tier moved where the chunk did not expect it) has them
    staged by `stage_reasons(customer ids)` first."""
    day = run.day
    until = next_scored_day(day)
    table = RiskScore._meta.db_table
    staged = StagedScore._meta.db_table
    from customers.models import Customer

    customers = Customer._meta.db_table
    cases = " ".join(
        f"WHEN risk_rank <= %(tier_{i})s THEN {tier}" for i, tier in enumerate(RiskTier.values[:-1])
    )
    params = {
        "day": day,
        "until": until,
        "run": run.pk,
        "model": run.model_id,
        **{f"tier_{i}": bound for i, bound in enumerate(bounds[:-1])},
    }
    # The rows that hold on the day (from an earlier attempt at it, or from before). The
    # latest day's are the open rows (a partial index); an older day's also include rows
    # that ended after it.
    holds = (
        "{t}.valid_until IS NULL"
        if until is None
        else "({t}.valid_until IS NULL OR {t}.valid_until > %(day)s)"
    )
    swap = Swap()
    if connection.vendor != "postgresql":
        # The embedded database (SQLite, make demo): the same rows, planned in Python.
        from customers.scoring import history_portable

        return history_portable.swap_in(run, bounds, until, swap, stage_reasons)
    with connection.cursor() as cursor:
        for name in ("score_tiers", "score_moved", "score_plan", "score_tails"):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        # The chunks have just filled the staging table: plan with its statistics, not
        # autovacuum's of an emptier moment. Planned as one row, the "no longer scored"
        # anti-join below ran as a nested loop over every staged row for each held row
        # (hours at 1M customers). Only the two columns the statements below filter and
        # join on: a third of the time of every column's (the JSON ones cost the most).
        cursor.execute(f"ANALYZE {staged} (run_id, customer_id)")
        # Each staged customer's tier: ties are broken by revenue at risk, then the larger
        # account, then customer id, so tier sizes are exact. Narrow rows only.
        cursor.execute(
            f"""
            CREATE TEMP TABLE score_tiers ON COMMIT DROP AS
            SELECT customer_id, (CASE {cases} ELSE {RiskTier.VERY_LOW} END)::smallint AS tier,
                   revenue_at_risk, changed, held_tier
            FROM (
                SELECT customer_id, revenue_at_risk, changed, held_tier, ROW_NUMBER() OVER (
                    ORDER BY probability DESC, revenue_at_risk DESC, annual_value DESC, customer_id
                ) AS risk_rank
                FROM {staged} WHERE run_id = %(run)s
            ) ranked
            """,
            params,
        )
        swap.scored = cursor.rowcount
        # The customers whose current row does not simply hold on: changed, or moved tier
        # (a few per cent on a normal night; small enough to sample, so the statement
        # below reaches their rows through the customers' index).
        cursor.execute(
            """
            CREATE TEMP TABLE score_moved ON COMMIT DROP AS
            SELECT customer_id, tier, changed FROM score_tiers
            WHERE changed OR held_tier IS DISTINCT FROM tier
            """
        )
        cursor.execute("ANALYZE score_moved")
        # What becomes of each customer whose row changes: write the day's score, or let
        # the score before (it held the day before) hold on; and what happens to the row
        # held on the day. The scored customers whose current row holds their score
        # (unchanged, same tier: most of them on a normal night) are left out unread; of
        # the rest, the rows before and on the day are reached through the customer's
        # index. Customers no longer scored are the held rows without a staged score
        # whose relationship has ended (or not begun) on the day: an active customer a
        # chunk set aside (a value its score cannot hold) keeps the score it had, as the
        # company keeps the last complete day when a run fails, so its alerts stand.
        cursor.execute(
            f"""
            CREATE TEMP TABLE score_plan ON COMMIT DROP AS
            SELECT * FROM (
                SELECT m.customer_id, true AS scored, m.tier,
                       b.id AS before_id,
                       coalesce(b.valid_until IS NULL OR b.valid_until > %(day)s, false)
                           AS before_is_held,
                       b.id IS NOT NULL AND NOT m.changed AND b.tier IS NOT DISTINCT FROM m.tier
                           AS keeps_before,
                       h.id AS held_id, h.day AS held_day, h.valid_until AS held_until
                FROM score_moved m
                LEFT JOIN {table} b ON b.customer_id = m.customer_id AND b.day < %(day)s
                    AND (b.valid_until IS NULL OR b.valid_until >= %(day)s)
                LEFT JOIN {table} h ON h.customer_id = m.customer_id AND h.day <= %(day)s
                    AND {holds.format(t="h")}
            ) moved
            WHERE NOT (keeps_before AND before_is_held)
            UNION ALL
            SELECT h.customer_id, false, NULL::smallint, NULL::bigint, false, false,
                   h.id, h.day, h.valid_until
            FROM {table} h
            WHERE h.day <= %(day)s AND {holds.format(t="h")} AND NOT EXISTS (
                SELECT 1 FROM {staged} s WHERE s.run_id = %(run)s AND s.customer_id = h.customer_id
            ) AND NOT EXISTS (
                SELECT 1 FROM {customers} c WHERE c.id = h.customer_id
                  AND c.customer_since <= %(day)s
                  AND (c.churned_on IS NULL OR c.churned_on > %(day)s)
            )
            """,
            params,
        )
        # The few customers left: the statements below reach their rows through the
        # primary keys instead of scanning.
        cursor.execute("CREATE UNIQUE INDEX ON score_plan (customer_id)")
        cursor.execute("ANALYZE score_plan")
        cursor.execute("SELECT count(*) FROM score_plan WHERE NOT scored")
        swap.ended = cursor.fetchone()[0]
        cursor.execute(
            f"""
            SELECT p.customer_id FROM score_plan p
            JOIN {staged} s ON s.run_id = %(run)s AND s.customer_id = p.customer_id
            WHERE p.scored AND NOT p.keeps_before AND s.reasons IS NULL
            ORDER BY p.customer_id
            """,
            params,
        )
        unstaged = [customer_id for (customer_id,) in cursor.fetchall()]
        swap.reasons_late = len(unstaged)
        if unstaged:
            if stage_reasons is None:
                raise ValueError(f"{len(unstaged)} scores to write have no reasons staged")
            stage_reasons(unstaged)
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
            SELECT s.customer_id, %(day)s, %(until)s, %(model)s, p.tier, s.probability,
                   s.annual_value, s.revenue_at_risk, s.reasons, s.signals,
                   s.single_threaded, s.active_contacts
            FROM score_plan p
            JOIN {staged} s ON s.run_id = %(run)s AND s.customer_id = p.customer_id
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
    """Tier sizes, customers and revenue at risk of the day just swapped in. Sizes and
    count from the day's own scores (a changed tier always writes a row, so the stored
    rows agree); revenue at risk summed over the rows in force on the day, as the
    dashboard, the tier table and the API read it: the day's own scores would differ by
    the scores kept because they moved less than a point (about 1% of the total)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tier, count(*) FROM score_tiers GROUP BY tier")
        rows = cursor.fetchall()
    stored = RiskScore.objects.on_day(run.day).aggregate(total=Sum("revenue_at_risk"))["total"]
    if stored is not None and connection.vendor != "postgresql":  # SQLite sums as floats
        stored = Decimal(str(stored)).quantize(Decimal("0.01"))
    return {
        "sizes": dict(rows),
        "count": sum(count for _, count in rows),
        "revenue_at_risk": stored or 0,
    }
