"""Benchmark: the nightly alert run at 1M customers.

Usage:  .venv/bin/python bench/nightly_alerts.py
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On the scored benchmark database (run bench/nightly_scoring.py first, so the day's
scores carry their signals): raises the alerts for the scoring day twice, the first run
opening them and the second refreshing them (what every later night does), and prints
wall time and peak memory of each."""

from __future__ import annotations

import argparse
import time

from common import machine, peak_mib, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    from alerts.models import Alert, DigestSent
    from alerts.services import raise_alerts, send_digests
    from customers.models import ScoringRun

    print(machine())
    run = ScoringRun.objects.filter(status="complete").order_by("-day").first()
    Alert.objects.all().delete()
    DigestSent.objects.all().delete()
    print(f"data: scores of {run.customers_scored:,} customers on {run.day}")
    for label in ("first night (opens)", "next night (refreshes)"):
        began = time.perf_counter()
        result = raise_alerts(day=run.day)
        print(f"{label}: {time.perf_counter() - began:.1f} s, {vars(result)}")
    began = time.perf_counter()
    sent = send_digests(day=run.day)
    print(f"digests: {sent:,} e-mails in {time.perf_counter() - began:.1f} s")
    print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
