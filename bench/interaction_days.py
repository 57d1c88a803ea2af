"""Benchmark: the daily interaction roll-ups (customers/scoring/interaction_days.py).

Usage:  .venv/bin/python bench/interaction_days.py [--rows 10000] [--chunk-size 50000]
        [--as-of 2026-11-29] [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Needs a database made by bench/demo_data.py and migrated. Prints, with wall times:

1. the refresh that brings the roll-ups up to date (right after the migration: the
   one-off build of every roll-up from every interaction), and the roll-up table's size;
2. the interaction windows built for (or moved on to) the day before;
3. one scoring chunk's features (the first --chunk-size active customers) computed from
   the interactions and from the roll-ups, alternated twice (the faster counts); then
   the windows moved on to the day (what a night does) and the features from them;
   whether the frames are equal;
4. the write path: --rows new interactions (random customers, the last 30 days, one in
   20 back-dated up to a year) through the bulk upsert, with the roll-up triggers and
   with them disabled, alternated twice; the rows deleted again each time, and with the
   triggers the refresh that folds the writes and the deletes into the roll-ups.
   The rows are removed again at the end; the database ends as it began.

Peak memory is the max RSS of this process."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
import uuid

from common import machine, peak_mib, setup_django

KINDS = ["call", "email", "meeting", "usage", "support_ticket", "complaint", "renewal_talk"]
TRIGGERS = ("interaction_inserted", "interaction_updated", "interaction_deleted")


def timed(what: str, call):
    began = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - began
    shown = "" if result is None or hasattr(result, "columns") else result
    print(f"  {what}: {seconds:.2f} s {shown}", flush=True)
    return seconds, result


def make_rows(customers: list[str], n: int, day: dt.date, tag: str) -> list[dict]:
    rng = random.Random(11)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)  # nothing in the future
    end = min(dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC), now)
    rows = []
    for i in range(n):
        back = 365 if rng.random() < 0.05 else 30
        kind = rng.choice(KINDS)
        rated = kind in ("call", "meeting", "support_ticket", "complaint")
        rows.append(
            {
                "external_id": f"{tag}-{i}",
                "customer": rng.choice(customers),
                "kind": kind,
                "direction": rng.choice(["inbound", "outbound"]),
                "happened_at": (
                    end - dt.timedelta(seconds=rng.random() * back * 86400)
                ).isoformat(),
                "satisfaction": rng.choice([None, None, rng.randint(1, 10)]) if rated else None,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    setup_django(args.database_url)
    import pandas as pd
    from django.db import connection
    from django.db.models import Max

    from customers import upsert
    from customers.models import Customer, Interaction
    from customers.scoring import interaction_days
    from customers.scoring.features import CustomerSelection, active_customers, compute_features

    print(machine())
    print(f"load average before: {os.getloadavg()}")
    day = args.as_of or Interaction.objects.aggregate(last=Max("happened_at"))["last"].date()
    print(
        f"data: {Customer.objects.count():,} customers, {Interaction.objects.count():,} "
        f"interactions; features as of {day}"
    )

    print(f"1. refresh ({interaction_days.pending_changes():,} change notes pending)")
    timed("refresh", interaction_days.refresh)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), pg_size_pretty(pg_total_relation_size('customers_interactionday')),"
            " pg_size_pretty(pg_total_relation_size('customers_interaction'))"
            " FROM customers_interactionday"
        )
        rows, size, interactions_size = cursor.fetchone()
    print(f"  roll-ups: {rows:,} rows, {size} (interactions: {interactions_size})")

    ids = list(active_customers(day).order_by("id").values_list("id", flat=True)[: args.chunk_size])
    chunk = CustomerSelection(id_from=ids[0], id_to=ids[-1])
    before = day - dt.timedelta(days=1)
    print(f"2. the windows at {before} (built or moved on), then moved on to {day}")
    timed(f"refresh, windows to {before}", lambda: interaction_days.refresh(window_day=before))
    print(f"3. features of one chunk: ids {ids[0]}..{ids[-1]} ({len(ids):,} active)")
    ways = {"from interactions": False, "from roll-ups": True}
    best = dict.fromkeys([*ways, "from windows"], float("inf"))
    frames = {}
    for _ in range(2):
        for label, rollups in ways.items():
            seconds, frames[label] = timed(
                label, lambda r=rollups: compute_features(day, chunk, rollups=r)
            )
            best[label] = min(best[label], seconds)
    timed(f"refresh, windows moved on to {day}", lambda: interaction_days.refresh(window_day=day))
    for _ in range(2):
        seconds, frames["from windows"] = timed(
            "from windows", lambda: compute_features(day, chunk, rollups=True)
        )
        best["from windows"] = min(best["from windows"], seconds)
    for label in ("from roll-ups", "from windows"):
        try:
            pd.testing.assert_frame_equal(frames[label], frames["from interactions"])
            equal = "equal to the frame from interactions"
        except AssertionError as difference:
            equal = f"DIFFERENT: {str(difference)[:300]}"
        print(f"  fastest {label}: {best[label]:.2f} s; {equal}")
    print(f"  fastest from interactions: {best['from interactions']:.2f} s")

    def switch(action) -> None:
        if action:
            with connection.cursor() as cursor:
                for name in TRIGGERS:
                    cursor.execute(f"ALTER TABLE customers_interaction {action} TRIGGER {name}")

    customers = list(Customer.objects.order_by("?").values_list("external_id", flat=True)[:50_000])
    print(f"4. write path: {args.rows:,} new interactions through the bulk upsert")
    # With and without the triggers, alternated (the second pass of each counts more:
    # the first warms the caches).
    for with_triggers in (True, False, True, False):
        tag = f"bench-iday-{uuid.uuid4().hex[:8]}"
        rows = make_rows(customers, args.rows, day, tag)
        label = "with roll-up triggers" if with_triggers else "triggers disabled"

        def write(rows=rows):
            outcome = upsert.upsert("interactions", rows)
            assert not outcome.errors, outcome.errors[:3]
            return outcome.created

        switch(not with_triggers and "DISABLE")
        seconds, _ = timed(f"upsert, {label}", write)
        print(f"    {args.rows / seconds:,.0f} rows/s")
        timed(
            "delete them",
            lambda tag=tag: Interaction.objects.filter(external_id__startswith=tag).delete()[0],
        )
        switch(not with_triggers and "ENABLE")
        if with_triggers:
            timed("refresh after both", interaction_days.refresh)
    print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
