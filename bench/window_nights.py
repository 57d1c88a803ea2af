"""Benchmark: moving the interaction windows on by a night (interaction_windows.advance).

Usage:  .venv/bin/python bench/window_nights.py [--as-of 2026-11-29] [--rounds 2] [--explain]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Needs a database made by bench/demo_data.py and migrated. Each round builds the windows
for the day before --as-of (a rebuild from every roll-up, timed apart) and then moves them
on to --as-of, as a night does, and prints both wall times, what was moved (rows written,
rows on the edges left as they were, rows added, customers whose employees were read
again) and the load average. With --explain the moving-on of the last round runs every
statement under EXPLAIN (ANALYZE, BUFFERS) instead, inside a transaction rolled back, and
prints each statement's time, plan nodes and buffers. The windows end at --as-of."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import time

from common import machine, peak_mib, setup_django

PLAN_LINES = r"Scan|Join|Nested|Hash |Sort|Aggregate|Execution|Buffers: shared|Heap Fetches"


class Explaining:
    """A cursor that runs data-changing statements under EXPLAIN (ANALYZE, BUFFERS)."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.rowcount = -1

    def execute(self, sql, params=None):
        text = sql.strip()
        if not re.match(r"(INSERT|UPDATE|DELETE|CREATE TEMPORARY TABLE)", text):
            self.cursor.execute(sql, params)
            self.rowcount = self.cursor.rowcount
            return
        began = time.perf_counter()
        self.cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + text, params)
        plan = [row[0] for row in self.cursor.fetchall()]
        print(f"--- {time.perf_counter() - began:.3f} s: {' '.join(text.split())[:100]}")
        print("\n".join(line for line in plan if re.search(PLAN_LINES, line)))
        self.rowcount = -1

    def fetchone(self):
        return self.cursor.fetchone()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection, transaction
    from django.db.models import Max

    from customers.models import Interaction
    from customers.scoring import interaction_days, interaction_windows

    print(machine())
    day = args.as_of or Interaction.objects.aggregate(last=Max("happened_at"))["last"].date()
    before = day - dt.timedelta(days=1)
    interaction_days.refresh()
    for round_ in range(args.rounds):
        began = time.perf_counter()
        interaction_days.refresh(window_day=before)
        built = time.perf_counter() - began
        explain = args.explain and round_ == args.rounds - 1
        began = time.perf_counter()
        if explain:
            with transaction.atomic(), connection.cursor() as cursor:
                interaction_windows.advance(Explaining(cursor), day)
                transaction.set_rollback(True)
            interaction_days.refresh(window_day=day)
            moved = "(explained, rolled back, then moved on)"
        else:
            moved = interaction_days.refresh(window_day=day)["windows"]
        print(
            f"round {round_ + 1}: windows built for {before} in {built:.2f} s; moved on to "
            f"{day} in {time.perf_counter() - began:.2f} s {moved}; "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
