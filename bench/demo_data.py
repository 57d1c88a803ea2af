"""Benchmark: write the demo company at benchmark scale into PostgreSQL.

Usage:  .venv/bin/python bench/demo_data.py [--customers 1000000] [--interactions 20000000]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Creates (or recreates) the benchmark database, migrates it, generates the company with
the same code as `manage.py seed_demo`, and prints wall time, rows per second and peak
memory (max RSS of this process). The database is left in place for the other benchmarks."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=20_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retention.settings")
    recreate_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command

    from customers import demo

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    summary = demo.generate(
        customers=args.customers,
        interactions=args.interactions,
        seed=args.seed,
        progress=lambda message: print(
            f"  [{time.perf_counter() - began:7.1f}s] {message}", flush=True
        ),
    )
    elapsed = time.perf_counter() - began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = (
        summary.customers
        + summary.contacts
        + summary.contracts
        + summary.interactions
        + summary.ownership_periods
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL"
    )
    print(
        f"data: {summary.customers:,} customers, {summary.interactions:,} interactions, "
        f"{summary.contracts:,} contracts, {summary.contacts:,} contacts, "
        f"{summary.ownership_periods:,} ownership periods, {summary.employees:,} employees"
    )
    print(f"wall time: {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s over {rows:,} rows)")
    print(f"peak memory (max RSS): {peak_mib:,.0f} MiB")


def recreate_database(url: str) -> None:
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url)
    connection = psycopg2.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


if __name__ == "__main__":
    main()
