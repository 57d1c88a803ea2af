"""Benchmark: how the score history grows over 30 simulated nights.

Usage:  .venv/bin/python bench/score_history.py [--nights 30] [--start 2026-11-30]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On a demo company (bench/demo_data.py), night after night from --start: the day's new
interactions arrive (the interactions of the same day a year before, replayed onto the
same customers, so the mix of kinds and who talks to whom stays that of the company:
about 2,900 a night at 100,000 customers), then the nightly scoring runs (its chunks, then
`finish_run`, which stores the day's scores) and the alert run. The first night (the one
on --start) scores a company with no history and is reported apart.

Prints, per night: rows the night wrote into the score history, seconds of `finish_run`
and of `raise_alerts`; then the history's rows and its table and index size after the
nights, and peak memory. Run it with the code before and after a change of the history
(a copy of the same database for each) to compare them."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from common import machine, peak_mib, setup_django

REPLAY_SQL = """
INSERT INTO customers_interaction (kind, direction, happened_at, satisfaction, notes,
    created_at, contact_id, customer_id, employee_id)
SELECT i.kind, i.direction, i.happened_at + interval '365 days', i.satisfaction, i.notes,
       now(), i.contact_id, i.customer_id, i.employee_id
FROM customers_interaction i JOIN customers_customer c ON c.id = i.customer_id
WHERE c.status = 'active'
  AND i.happened_at >= %(day)s::timestamptz - interval '365 days'
  AND i.happened_at < %(day)s::timestamptz - interval '364 days'
"""

SIZE_SQL = """
SELECT count(*), pg_table_size('customers_riskscore'), pg_indexes_size('customers_riskscore')
FROM customers_riskscore
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--nights", type=int, default=30, help="after the one on --start")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30))
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection

    from alerts.services import raise_alerts
    from customers.models import ScoringRun
    from customers.scoring import runs

    print(machine())
    rows = []
    for night in range(args.nights + 1):
        day = args.start + dt.timedelta(days=night)
        first = not ScoringRun.objects.filter(day__lt=day, status="complete").exists()
        with connection.cursor() as cursor:
            cursor.execute(REPLAY_SQL, {"day": day})
            arrived = cursor.rowcount
        began = time.perf_counter()
        run, chunks = runs.start_run(day=day)
        results = [
            runs.score_chunk(run_id=run.pk, id_from=c.id_from, id_to=c.id_to) for c in chunks
        ]
        scoring = time.perf_counter() - began
        began = time.perf_counter()
        summary = runs.finish_run(run_id=run.pk, chunk_results=results)
        finishing = time.perf_counter() - began
        began = time.perf_counter()
        alerts = raise_alerts(day=day)
        alerting = time.perf_counter() - began
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_riskscore WHERE day = %s", [day])
            written = cursor.fetchone()[0]
            cursor.execute(SIZE_SQL)
            total, table_bytes, index_bytes = cursor.fetchone()
        row = {
            "day": day,
            "arrived": arrived,
            "scored": summary["customers"],
            "written": written,
            "scoring": scoring,
            "finish_run": finishing,
            "alerts": alerting,
            "opened": alerts.opened,
            "cleared": alerts.cleared,
            "looked_at": getattr(alerts, "looked_at", None),  # None: every customer
            "first": first,
            "rows": total,
            "mib": (table_bytes + index_bytes) / 2**20,
        }
        rows.append(row)
        looked = "all" if row["looked_at"] is None else f"{row['looked_at']:,}"
        print(
            f"{'first' if first else f'night {night:2d}'} {day}: "
            f"{arrived:6,} interactions in, {row['scored']:,} scored, {written:7,} rows "
            f"written; scoring {scoring:5.1f} s, finish_run {finishing:5.2f} s, alerts "
            f"{alerting:5.2f} s (looked at {looked}, {alerts.opened:,} opened, "
            f"{alerts.cleared:,} cleared); history {total:,} rows, {row['mib']:.0f} MiB",
            flush=True,
        )
    nights = [r for r in rows if not r["first"]]
    if nights:
        written = [r["written"] for r in nights]
        print(
            f"over {len(nights)} nights after the first: rows written per night median "
            f"{statistics.median(written):,.0f} (min {min(written):,}, max {max(written):,}) "
            f"of {nights[-1]['scored']:,} customers scored; finish_run median "
            f"{statistics.median(r['finish_run'] for r in nights):.2f} s; alerts median "
            f"{statistics.median(r['alerts'] for r in nights):.2f} s"
        )
    with connection.cursor() as cursor:
        cursor.execute(SIZE_SQL)
        total, table_bytes, index_bytes = cursor.fetchone()
    print(
        f"history after {len(rows)} scored days: {total:,} rows, table "
        f"{table_bytes / 2**20:.0f} MiB + indexes {index_bytes / 2**20:.0f} MiB"
    )
    print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
