"""Benchmark: PostgreSQL settings one by one on the night's heaviest reads.

Usage:  .venv/bin/python bench/pg_settings.py [--rounds 3] [--chunk 50000]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On a scored benchmark database, for each setting (a per-session SET, so the shared
server is not restarted; shared_buffers needs a restart and is not measured here):
the features of one scoring chunk, the dashboard figures' reads (tier sums, 24 months
of churn, key-person exposure) and the floor (the interactions GROUP BY). The settings
are interleaved round by round, so a machine whose load drifts treats each alike; the
fastest round of each counts."""

from __future__ import annotations

import argparse
import time

from common import machine, setup_django

FLOOR_SQL = (
    "SELECT customer_id, count(*), max(happened_at) FROM customers_interaction GROUP BY customer_id"
)
CANDIDATES = {
    "defaults": [],
    "work_mem=64MB": ["SET work_mem = '64MB'"],
    "max_parallel_workers_per_gather=0": ["SET max_parallel_workers_per_gather = 0"],
    "jit=off": ["SET jit = off"],
    "work_mem=64MB, jit=off": ["SET work_mem = '64MB'", "SET jit = off"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=50_000)
    args = parser.parse_args()
    setup_django(args.database_url)
    import os

    from django.db import connection
    from django.db.models import Max, Min

    from customers.figures import nightly as figures
    from customers.models import ScoringRun
    from customers.scoring.features import CustomerSelection, active_customers, compute_features

    print(machine())
    day = ScoringRun.objects.filter(status="complete").order_by("-day").first().day
    span = active_customers(day).aggregate(low=Min("id"), high=Max("id"))
    selection = CustomerSelection(id_from=span["low"], id_to=span["low"] + args.chunk - 1)
    print(f"scoring day {day}; one chunk of {args.chunk:,} ids; {args.rounds} rounds")

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL)
            cursor.fetchall()

    def dashboard() -> None:
        figures.tier_figures(day)
        figures.churn_figures(day)
        figures.exposure_figures(day)

    parts = {
        "features": lambda: compute_features(day, selection),
        "dashboard reads": dashboard,
        "floor": floor,
    }
    best: dict[tuple[str, str], float] = {}
    for round_ in range(args.rounds):
        for name, statements in CANDIDATES.items():
            with connection.cursor() as cursor:
                cursor.execute("RESET ALL")
                for statement in statements:
                    cursor.execute(statement)
            for part, run in parts.items():
                began = time.perf_counter()
                run()
                took = time.perf_counter() - began
                key = (name, part)
                best[key] = min(best.get(key, took), took)
        print(f"round {round_ + 1} done, load average {os.getloadavg()[0]:.1f}")
    print(f"{'setting':36}" + "".join(f"{part:>18}" for part in parts))
    for name in CANDIDATES:
        print(f"{name:36}" + "".join(f"{best[(name, part)]:>16.2f} s" for part in parts))


if __name__ == "__main__":
    main()
