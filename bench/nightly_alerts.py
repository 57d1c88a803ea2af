"""Benchmark: the nightly alert run at 1M customers.

Usage:  .venv/bin/python bench/nightly_alerts.py [--next-day]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On the scored benchmark database (run bench/nightly_scoring.py first, so the day's
scores carry their signals), starting from no alerts:

1. the floor: one pass of PostgreSQL over the day's scores and their signs
   (SELECT count(*) ... jsonb_array_elements), run twice, the warm run counts;
2. the first night: raises every alert of the latest scoring day;
3. the same night again (a re-run after a failure): finds nothing to do;
4. with --next-day: scores the following day (timed apart) and raises its alerts, which
   is what every later night does: new signs open, cleared ones close, alerts whose
   customer changed tier, value or owner follow.

Prints wall time of each, what it did, and peak memory (max RSS) of this process."""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import machine, peak_mib, setup_django

FLOOR_SQL = """
SELECT count(*), count(DISTINCT s.customer_id)
FROM customers_riskscore s CROSS JOIN LATERAL jsonb_array_elements(s.signals) sig
WHERE s.day <= %(day)s AND (s.valid_until IS NULL OR s.valid_until > %(day)s)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--next-day", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection

    from alerts.models import Alert, DigestSent
    from alerts.services import raise_alerts, send_digests
    from customers.models import ScoringRun
    from customers.scoring import runs

    print(machine())
    run = ScoringRun.objects.filter(status="complete").order_by("-day").first()
    Alert.objects.all().delete()
    DigestSent.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE alerts_alert")
        for _ in range(2):
            began = time.perf_counter()
            cursor.execute(FLOOR_SQL, {"day": run.day})
            signs, customers = cursor.fetchone()
            floor = time.perf_counter() - began
    print(f"data: scores of {run.customers_scored:,} customers on {run.day}")
    print(f"floor (one pass over {signs:,} signs of {customers:,} customers): {floor:.1f} s")

    def night(label: str, day: dt.date) -> None:
        began = time.perf_counter()
        result = raise_alerts(day=day)
        took = time.perf_counter() - began
        print(f"{label}: {took:.1f} s ({took / floor:.1f}x the floor), {vars(result)}")

    night("first night (opens)", run.day)
    night("same night again", run.day)
    if args.next_day:
        next_day = run.day + dt.timedelta(days=1)
        began = time.perf_counter()
        runs.score_all(day=next_day)
        print(f"scoring {next_day}: {time.perf_counter() - began:.1f} s")
        night("next night", next_day)
    began = time.perf_counter()
    sent = send_digests(day=run.day)
    print(f"digests: {sent:,} e-mails in {time.perf_counter() - began:.1f} s")
    print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
