"""The score history on the embedded database (SQLite, the `make demo` default).

The same history as customers/scoring/history.py, row for row: a row is written only where
a customer's score changed materially (the chunks decide it with the same
`changed_materially`; the tier is compared here), an older day scored again splits the
held row the same way, and every attempt at a day gives the same result. PostgreSQL does
it in a handful of set-based statements (temp tables ON COMMIT DROP, UPDATE ... FROM,
DELETE ... USING, jsonb path queries); here the day's staged scores and the rows that
hold on the day are read once, the plan is made in Python and written in bulk: fine at
the demo's size of a few thousand customers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pandas as pd
from django.db import connection
from django.db.models import Q

from customers.scoring.models import RiskScore, RiskTier, ScoringRun, StagedScore

# Ids per statement: SQLite's limit on a statement's parameters is far above this.
_CHUNK = 500

_FIELDS = (
    "model_id",
    "tier",
    "probability",
    "annual_value",
    "revenue_at_risk",
    "reasons",
    "signals",
    "single_threaded",
    "active_contacts",
)


def _codes(items) -> str:
    """jsonb_path_query_array(items, '$[*].signal')::text: `["complaint", "no_contact"]`."""
    return json.dumps([i["signal"] for i in items or [] if isinstance(i, dict) and "signal" in i])


def rows_before(day: dt.date, id_from: int, id_to: int) -> pd.DataFrame:
    """history.rows_before without PostgreSQL's SQL: the same columns."""
    from customers.scoring.history import BEFORE_COLUMNS

    rows = RiskScore.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day),
        customer_id__gte=id_from,
        customer_id__lte=id_to,
        day__lt=day,
    ).values(
        "customer_id",
        "model_id",
        "tier",
        "probability",
        "annual_value",
        "reasons",
        "signals",
        "single_threaded",
        "active_contacts",
        "valid_until",
    )
    frame = pd.DataFrame(
        [
            {
                "customer_id": r["customer_id"],
                "model_id": r["model_id"],
                "tier": r["tier"],
                "probability": r["probability"],
                "value_cents": int(round(r["annual_value"] * 100)),
                "reason_codes": _codes(r["reasons"]),
                "signal_codes": _codes(r["signals"]),
                "single_threaded": r["single_threaded"],
                "active_contacts": r["active_contacts"],
                "holds_on_day": r["valid_until"] is None or r["valid_until"] > day,
            }
            for r in rows
        ],
        columns=list(BEFORE_COLUMNS),
    )
    return frame.set_index("customer_id")


def _chunks(ids: list) -> list:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def swap_in(
    run: ScoringRun,
    bounds: list[int],
    until: dt.date | None,
    swap,
    stage_reasons: Callable[[list[int]], None] | None,
):
    """history.swap_in without PostgreSQL's SQL (see the module's words). Leaves the day's
    tiers in the temp table score_tiers, as the PostgreSQL path does, for day_totals."""
    day = run.day
    staged = list(
        StagedScore.objects.filter(run_id=run.pk).values(
            "customer_id", "probability", "annual_value", "revenue_at_risk", "changed", "held_tier"
        )
    )
    # Each staged customer's tier: ties broken by revenue at risk, then the larger account,
    # then customer id, so tier sizes are exact (the PostgreSQL path's order).
    staged.sort(
        key=lambda s: (
            -s["probability"],
            -s["revenue_at_risk"],
            -s["annual_value"],
            s["customer_id"],
        )
    )
    limits = list(zip(bounds[:-1], RiskTier.values[:-1], strict=False))
    tiers = {}
    for rank, score in enumerate(staged, start=1):
        tiers[score["customer_id"]] = next((t for b, t in limits if rank <= b), RiskTier.VERY_LOW)
    swap.scored = len(staged)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS temp.score_tiers")
        cursor.execute(
            "CREATE TEMP TABLE score_tiers (customer_id bigint, tier smallint, revenue_at_risk text)"
        )
        cursor.executemany(
            "INSERT INTO score_tiers VALUES (%s, %s, %s)",
            [
                (s["customer_id"], tiers[s["customer_id"]], str(s["revenue_at_risk"]))
                for s in staged
            ],
        )
    # The customers whose current row does not simply hold on: changed, or moved tier.
    moved = {
        s["customer_id"]: s["changed"]
        for s in staged
        if s["changed"] or s["held_tier"] != tiers[s["customer_id"]]
    }
    columns = ("id", "customer_id", "day", "valid_until", "tier")
    holds = Q(valid_until__isnull=True)
    if until is not None:
        holds |= Q(valid_until__gt=day)
    held = {
        r["customer_id"]: r for r in RiskScore.objects.filter(holds, day__lte=day).values(*columns)
    }
    before = {}
    for ids in _chunks(sorted(moved)):
        rows = RiskScore.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day), customer_id__in=ids, day__lt=day
        )
        before.update({r["customer_id"]: r for r in rows.values(*columns)})

    plan = []  # (customer_id, scored, keeps_before, before row, held row)
    for customer_id, changed in moved.items():
        b, h = before.get(customer_id), held.get(customer_id)
        before_is_held = b is not None and (b["valid_until"] is None or b["valid_until"] > day)
        keeps_before = b is not None and not changed and b["tier"] == tiers[customer_id]
        if not (keeps_before and before_is_held):
            plan.append((customer_id, True, keeps_before, b, h))
    from customers.scoring.features import active_customers

    unstaged_held = [c for c in held if c not in tiers]
    still_active = {
        c
        for ids in _chunks(unstaged_held)
        for c in active_customers(day).filter(id__in=ids).values_list("id", flat=True)
    }
    for customer_id in unstaged_held:
        if customer_id not in still_active:  # no longer scored: its row ends
            plan.append((customer_id, False, False, None, held[customer_id]))
        # An active customer a chunk set aside keeps the score it had (history.swap_in).
    swap.ended = sum(1 for p in plan if not p[1])
    writes = sorted(c for c, scored, keeps, _, _ in plan if scored and not keeps)
    unstaged = sorted(
        c
        for ids in _chunks(writes)
        for c in StagedScore.objects.filter(
            run_id=run.pk, customer_id__in=ids, reasons__isnull=True
        ).values_list("customer_id", flat=True)
    )
    swap.reasons_late = len(unstaged)
    if unstaged:
        if stage_reasons is None:
            raise ValueError(f"{len(unstaged)} scores to write have no reasons staged")
        stage_reasons(unstaged)

    tails = []
    if until is not None:
        # An older day scored again: the held row's score still holds from the next scored
        # day on, as a row of its own (kept aside before the row changes).
        tail_ids = [
            h["id"]
            for _, _, _, _, h in plan
            if h is not None and (h["valid_until"] is None or h["valid_until"] > until)
        ]
        for ids in _chunks(tail_ids):
            for r in RiskScore.objects.filter(pk__in=ids).values(
                "customer_id", "valid_until", *_FIELDS
            ):
                tails.append(_row(r, r["customer_id"], until, r["valid_until"]))
    cut = [h["id"] for _, _, _, _, h in plan if h is not None and h["day"] < day]
    gone = [h["id"] for _, _, _, _, h in plan if h is not None and h["day"] == day]
    carry_on = [b["id"] for _, _, keeps, b, _ in plan if keeps]  # its row had ended on the day
    for ids in _chunks(cut):
        RiskScore.objects.filter(pk__in=ids).update(valid_until=day)
    for ids in _chunks(gone):
        RiskScore.objects.filter(pk__in=ids).delete()
    for ids in _chunks(carry_on):
        RiskScore.objects.filter(pk__in=ids).update(valid_until=until)
    write = []
    for ids in _chunks(writes):
        for s in StagedScore.objects.filter(run_id=run.pk, customer_id__in=ids).values(
            "customer_id", *(f for f in _FIELDS if f not in ("model_id", "tier"))
        ):
            values = {**s, "model_id": run.model_id, "tier": tiers[s["customer_id"]]}
            write.append(_row(values, s["customer_id"], day, until))
    RiskScore.objects.bulk_create(write, batch_size=_CHUNK)
    swap.written = len(write)
    if until is not None:
        RiskScore.objects.bulk_create(tails, batch_size=_CHUNK)
        swap.split = len(tails)
    return swap


def _row(values: dict, customer_id: int, day: dt.date, until: dt.date | None) -> RiskScore:
    return RiskScore(
        customer_id=customer_id,
        day=day,
        valid_until=until,
        **{field: values[field] for field in _FIELDS},
    )
