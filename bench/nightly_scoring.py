"""Benchmark: a full nightly scoring run on the benchmark database, next to its floor.

Usage:  .venv/bin/python bench/nightly_scoring.py [--processes 1] [--train]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Needs the database made by bench/demo_data.py (1M customers / ~20M interactions).

1. The floor: the time PostgreSQL alone needs for
   SELECT customer_id, count(*), max(happened_at) FROM customers_interaction GROUP BY 1
   (run twice, the second, warm run counts; the nightly run is measured warm too).
2. With --train: trains the model as of the same day (sampled, see TRAINING_MAX_CUSTOMERS)
   and prints its time, peak memory and metrics. Without it, the active model is used
   (one is trained first if there is none).
3. The nightly run: features, scoring and writes for every active customer, chunk by
   chunk, in this process (--processes 1, one worker) or in N worker processes at once
   (as N Celery workers would), then the tier step. Prints wall time, the share of
   features / scoring / writes / tiers, and peak memory."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from concurrent.futures import ProcessPoolExecutor

from common import machine, peak_mib, setup_django

FLOOR_SQL = (
    "SELECT customer_id, count(*), max(happened_at) FROM customers_interaction GROUP BY customer_id"
)


def _score_chunk_in_worker(args: tuple[str, int, int, int]) -> dict:
    database_url, run_id, id_from, id_to = args
    setup_django(database_url)
    from customers.scoring import runs

    return runs.score_chunk(run_id=run_id, id_from=id_from, id_to=id_to)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection
    from django.db.models import Max

    from customers.models import Customer, Interaction, RiskScore, ScoringRun
    from customers.scoring import runs, training

    print(machine())
    customers = Customer.objects.count()
    interactions = Interaction.objects.count()
    day = args.as_of or Interaction.objects.aggregate(last=Max("happened_at"))["last"].date()
    print(f"data: {customers:,} customers, {interactions:,} interactions; scoring day {day}")

    floor = []
    for _ in range(2):
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL)
            cursor.fetchall()
        floor.append(time.perf_counter() - began)
    print(f"floor (PostgreSQL GROUP BY alone): {floor[0]:.1f} s cold, {floor[1]:.1f} s warm")

    if args.train:
        began = time.perf_counter()
        model = training.train_model(as_of=day)
        print(
            f"training: {time.perf_counter() - began:.1f} s, peak memory {peak_mib():,.0f} MiB; "
            f"{model} {model.sample_note or 'all customers'}; rows {model.train_rows:,} train / "
            f"{model.validation_rows:,} validation; "
            f"metrics { ({k: v for k, v in model.metrics.items() if k != 'candidates'}) }"
        )
        for kind, metrics in model.metrics.get("candidates", {}).items():
            print(f"  candidate {kind}: {metrics}")
    model = runs.current_model(as_of=day)

    began = time.perf_counter()
    run, chunks = runs.start_run(day=day)
    if args.processes == 1:
        results = [
            runs.score_chunk(run_id=run.pk, id_from=c.id_from, id_to=c.id_to) for c in chunks
        ]
    else:
        connection.close()
        with ProcessPoolExecutor(max_workers=args.processes) as pool:
            results = list(
                pool.map(
                    _score_chunk_in_worker,
                    [(args.database_url, run.pk, c.id_from, c.id_to) for c in chunks],
                )
            )
    summary = runs.finish_run(run_id=run.pk, chunk_results=results)
    wall = time.perf_counter() - began
    run = ScoringRun.objects.get(pk=run.pk)
    print(
        f"nightly run: {wall:.1f} s wall for {summary['customers']:,} customers in "
        f"{len(chunks)} chunks on {args.processes} process(es) with {model}"
    )
    print(f"  = {wall / floor[1]:.2f} x the warm floor (target: within 3 x)")
    spent = run.timings
    total = sum(spent.values()) or 1.0
    print(
        "  time by part (summed over chunks): "
        + ", ".join(
            f"{part} {seconds:.1f} s ({seconds / total:.0%})" for part, seconds in spent.items()
        )
    )
    print(f"  tiers: {summary['tiers']}; revenue at risk {summary['revenue_at_risk']:,.0f}")
    print(
        f"peak memory (max RSS): this process {peak_mib():,.0f} MiB, "
        f"largest worker process {peak_mib(children=True):,.0f} MiB"
    )
    assert RiskScore.objects.on_day(day).count() == summary["customers"]


if __name__ == "__main__":
    main()
