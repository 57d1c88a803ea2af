"""Benchmark: CSV import of 1M interactions.

Usage:  .venv/bin/python bench/csv_import.py [--rows 1000000]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Writes a semicolon-separated UTF-8 file (with BOM) of --rows new interactions for random
active customers of the benchmark database, then runs what the import task runs: the
check of every row, then the import (check again, then all rows written in one
transaction). Prints wall time and rows per second of each, and peak memory (max RSS).
The rows it wrote are deleted at the end (unless --keep)."""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from common import cpu_seconds, machine, peak_mib, setup_django

KINDS = ["call", "email", "meeting", "usage", "support_ticket", "note"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url)
    from customers import csv_io
    from customers.models import Customer, Interaction
    from staff.models import Employee

    print(machine())
    customers = list(
        Customer.objects.filter(status="active").values_list("external_id", flat=True)[:200_000]
    )
    emails = list(Employee.objects.filter(status="active").values_list("email", flat=True))
    tag = f"CSV{int(time.time())}"
    rng = random.Random(11)
    path = Path(tempfile.mkdtemp()) / "interactions.csv"
    began = time.perf_counter()
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write("Interaction;Customer;Who;Kind;When;Score\n")
        now = time.time()
        for i in range(args.rows):
            kind = rng.choice(KINDS)
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - rng.random() * 3e7))
            who = "" if kind == "usage" else rng.choice(emails)
            score = str(rng.randint(1, 10)) if kind in ("call", "meeting") else ""
            handle.write(f"{tag}-{i};{rng.choice(customers)};{who};{kind};{when};{score}\n")
    size = path.stat().st_size / 2**20
    print(
        f"data: {args.rows:,} interactions ({size:,.0f} MiB CSV) for {len(customers):,} "
        f"customers, onto {Interaction.objects.count():,} stored; written in "
        f"{time.perf_counter() - began:.1f} s"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def cpu_note(app: float, database: float, rows: int) -> str:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        return (
            f"  CPU: this process {app:.1f} s, PostgreSQL {database:.1f} s = "
            f"{rows / (app + database):,.0f} rows per CPU-second; load average {load}"
        )

    mapping = {
        "Interaction": "external_id",
        "Customer": "customer",
        "Who": "employee",
        "Kind": "kind",
        "When": "happened_at",
        "Score": "satisfaction",
    }
    try:
        began, app, database = time.perf_counter(), time.process_time(), cpu_seconds(backend)
        report = csv_io.check("interactions", path, mapping)
        took = time.perf_counter() - began
        print(
            f"check: {report.rows:,} rows in {took:.1f} s = {report.rows / took:,.0f} rows/s, "
            f"{report.problem_count} problems"
        )
        print(cpu_note(time.process_time() - app, cpu_seconds(backend) - database, report.rows))
        began, app, database = time.perf_counter(), time.process_time(), cpu_seconds(backend)
        report = csv_io.import_file("interactions", path, mapping)
        took = time.perf_counter() - began
        print(
            f"import (read, validate and write in one transaction): {report.rows:,} rows in "
            f"{took:.1f} s = {report.rows / took:,.0f} rows/s; created {report.created:,}"
        )
        print(cpu_note(time.process_time() - app, cpu_seconds(backend) - database, report.rows))
        print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")
    finally:
        path.unlink()
        if not args.keep:
            deleted = Interaction.objects.filter(external_id__startswith=f"{tag}-").delete()[0]
            print(f"removed the {deleted:,} benchmark interactions")


if __name__ == "__main__":
    main()
