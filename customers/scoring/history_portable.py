"""The score history's swap for the embedded database (SQLite, the `make demo` default).

The same history as customers/scoring/history.py, row for row: a row is written only where
a customer's score changed materially (the same test, `material`), an older day scored
again splits the held row the same way, and every attempt at a day gives the same result.
PostgreSQL does it in a handful of set-based statements; SQLite has no FULL JOIN over
temp tables with ON COMMIT DROP, no UPDATE ... FROM with JSON path queries, so here the
day's staged scores and the rows that hold on the day are read once and the plan is made
in Python (set-based: one read each, bulk writes; fine at the demo's size)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from customers.scoring.models import RiskScore, RiskTier, ScoringRun, StagedScore

# SQLite's limit on a statement's parameters is far above this; ids are written in chunks.
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


def _signs(items) -> list:
    """jsonb_path_query_array(items, '$[*].signal'): the signals, in order."""
    return [item["signal"] for item in items or [] if isinstance(item, dict) and "signal" in item]


def material(a: dict, b: dict, material_change: float) -> bool:
    """Whether score `a` differs materially from the score `b` held before (history.py)."""
    return (
        a["model_id"] != b["model_id"]
        or a["tier"] != b["tier"]
        or round(abs(a["probability"] - b["probability"]), 6) >= material_change
        or Decimal(a["annual_value"]) != Decimal(b["annual_value"])
        or _signs(a["reasons"]) != _signs(b["reasons"])
        or _signs(a["signals"]) != _signs(b["signals"])
        or a["single_threaded"] != b["single_threaded"]
        or a["active_contacts"] != b["active_contacts"]
    )


def _chunks(ids: list) -> list:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def swap_in(
    run: ScoringRun, bounds: list[int], until: dt.date | None, material_change: float, swap
):
    """history.swap_in for a database without PostgreSQL's SQL (see the module's words).
    Leaves the day's tiers in the temp table score_tiers, as the PostgreSQL path does, for
    history.day_totals."""
    day = run.day
    staged = list(
        StagedScore.objects.filter(run_id=run.pk).values(
            "customer_id",
            "probability",
            "annual_value",
            "revenue_at_risk",
            "reasons",
            "signals",
            "single_threaded",
            "active_contacts",
        )
    )
    # Each staged customer's tier: ties broken by revenue at risk, then the larger account,
    # then customer id, so tier sizes are exact (the same order as the PostgreSQL path).
    staged.sort(
        key=lambda s: (
            -s["probability"],
            -s["revenue_at_risk"],
            -s["annual_value"],
            s["customer_id"],
        )
    )
    limits = list(zip(bounds[:-1], RiskTier.values[:-1], strict=False))
    fresh = {}
    for rank, score in enumerate(staged, start=1):
        tier = next((t for bound, t in limits if rank <= bound), RiskTier.VERY_LOW)
        fresh[score["customer_id"]] = {**score, "tier": tier, "model_id": run.model_id}
    swap.scored = len(fresh)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS temp.score_tiers")
        cursor.execute(
            "CREATE TEMP TABLE score_tiers (customer_id bigint, tier smallint, revenue_at_risk decimal)"
        )
        cursor.executemany(
            "INSERT INTO score_tiers VALUES (%s, %s, %s)",
            [(c, f["tier"], str(f["revenue_at_risk"])) for c, f in fresh.items()],
        )

    columns = ("id", "customer_id", "day", "valid_until", *_FIELDS)
    holds = (
        Q(valid_until__isnull=True)
        if until is None
        else Q(valid_until__isnull=True) | Q(valid_until__gt=day)
    )
    held_rows = RiskScore.objects.filter(holds, day__lte=day)
    held = {r["customer_id"]: r for r in held_rows.values(*columns)}
    before = {c: {**r, "is_held": True} for c, r in held.items() if r["day"] < day}
    for r in RiskScore.objects.filter(valid_until=day).values(*columns):
        before.setdefault(r["customer_id"], {**r, "is_held": False})

    cut, gone, carry_on, write, tails = [], [], [], [], []
    for customer_id in fresh.keys() | held.keys():
        f, h, b = fresh.get(customer_id), held.get(customer_id), before.get(customer_id)
        keeps_before = f is not None and b is not None and not material(f, b, material_change)
        if keeps_before and b["is_held"]:
            continue  # the score that held before holds on: nothing changes
        if f is None:
            swap.ended += 1
        if h is not None:
            if until is not None and (h["valid_until"] is None or h["valid_until"] > until):
                tails.append(_row(h, customer_id, until, h["valid_until"]))
            (cut if h["day"] < day else gone).append(h["id"])
        if keeps_before:
            carry_on.append(b["id"])
        elif f is not None:
            write.append(_row(f, customer_id, day, until))
    for ids in _chunks(cut):
        RiskScore.objects.filter(pk__in=ids).update(valid_until=day)
    for ids in _chunks(gone):
        RiskScore.objects.filter(pk__in=ids).delete()
    for ids in _chunks(carry_on):
        RiskScore.objects.filter(pk__in=ids).update(valid_until=until)
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
