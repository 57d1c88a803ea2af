"""Benchmark: where the time of one bulk upsert of new interactions goes, in-process.

Usage:  .venv/bin/python bench/ingest_phases.py [--batches 5] [--batch 10000]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench] [--profile]

Builds --batches requests of --batch new interactions (random active customers and
employees, random moments in the last year, as bench/api_ingest.py sends them), then for
each: decodes the JSON body, validates it (`upsert.validate`), writes it
(`upsert.write_valid`) and commits, timing each phase and every SQL statement of the
write. With --profile, cProfile of the validation and write of the last batch. The rows
are deleted at the end."""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import time
from collections import defaultdict

from common import machine, peak_mib, setup_django

KINDS = ["call", "email", "meeting", "usage", "support_ticket", "note", "renewal_talk"]


def make_bodies(customers, emails, batches, size, tag) -> list[bytes]:
    rng = random.Random(7)
    now = time.time()
    bodies = []
    for b in range(batches):
        rows = []
        for i in range(b * size, (b + 1) * size):
            kind = rng.choice(KINDS)
            moment = time.gmtime(now - rng.random() * 365 * 86400)
            rows.append(
                {
                    "external_id": f"{tag}-{i}",
                    "customer": rng.choice(customers),
                    "employee": rng.choice(emails) if kind != "usage" else None,
                    "kind": kind,
                    "direction": "internal" if kind == "usage" else "outbound",
                    "happened_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", moment),
                    "satisfaction": rng.randint(1, 10) if kind in ("call", "meeting") else None,
                    "notes": "",
                }
            )
        bodies.append(json.dumps({"rows": rows}).encode())
    return bodies


def backend_cpu(pid: int) -> float:
    """CPU seconds the database server process of this connection has used (user and
    system): unlike wall time, it does not grow with the load of a shared machine."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection, transaction

    from customers import upsert
    from customers.models import Customer, Interaction
    from staff.models import Employee

    print(machine())
    customers = list(
        Customer.objects.filter(status="active").values_list("external_id", flat=True)[:200_000]
    )
    emails = list(Employee.objects.filter(status="active").values_list("email", flat=True))
    tag = f"PHASE{int(time.time())}"
    bodies = make_bodies(customers, emails, args.batches, args.batch, tag)
    statements: dict[str, list[float]] = defaultdict(list)

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements[" ".join(sql.split())[:60]].append(time.perf_counter() - began)

    phases: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    server: dict[str, list[float]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        for number, body in enumerate(bodies, start=1):
            profiler = cProfile.Profile() if args.profile and number == len(bodies) else None
            began, began_cpu = time.perf_counter(), time.process_time()
            rows = json.loads(body)["rows"]
            phases["decode JSON"].append(time.perf_counter() - began)
            cpu["decode JSON"].append(time.process_time() - began_cpu)
            if profiler:
                profiler.enable()
            began, began_cpu, began_server = (
                time.perf_counter(),
                time.process_time(),
                backend_cpu(pid),
            )
            clean, errors = upsert.validate("interactions", rows)
            phases["validate"].append(time.perf_counter() - began)
            cpu["validate"].append(time.process_time() - began_cpu)
            server["validate"].append(backend_cpu(pid) - began_server)
            assert not errors, errors[:3]
            began, began_cpu, began_server = (
                time.perf_counter(),
                time.process_time(),
                backend_cpu(pid),
            )
            with connection.execute_wrapper(timed):
                transaction.set_autocommit(False)
                outcome = upsert.write_valid("interactions", clean)
                wrote = time.perf_counter()
                cpu["write (statements)"].append(time.process_time() - began_cpu)
                server["write (statements)"].append(backend_cpu(pid) - began_server)
                began_server = backend_cpu(pid)
                connection.commit()
                transaction.set_autocommit(True)
            phases["write (statements)"].append(wrote - began)
            phases["commit (foreign keys)"].append(time.perf_counter() - wrote)
            server["commit (foreign keys)"].append(backend_cpu(pid) - began_server)
            if profiler:
                profiler.disable()
            assert outcome.created == len(rows), outcome
        print(f"{args.batches} batches of {args.batch:,} new interactions")
        for name, times in phases.items():
            used, served = cpu.get(name), server.get(name)
            print(
                f"  {name:<24} median {sorted(times)[len(times) // 2] * 1000:7.0f} ms  "
                f"min {min(times) * 1000:7.0f} ms"
                + (f"  CPU: app {sorted(used)[len(used) // 2] * 1000:5.0f} ms" if used else "")
                + (
                    f", database {sorted(served)[len(served) // 2] * 1000:5.0f} ms"
                    if served
                    else ""
                )
            )
        total_cpu = sum(map(sum, cpu.values())) + sum(map(sum, server.values()))
        print(
            f"  CPU of app and database together: {total_cpu / args.batches * 1000:,.0f} ms a "
            f"batch = {args.batch * args.batches / total_cpu:,.0f} rows per CPU-second"
        )
        print("SQL statements of the write (median of those run in each batch):")
        for sql, times in statements.items():
            if len(times) >= args.batches:
                print(f"  {sorted(times)[len(times) // 2] * 1000:7.0f} ms  {sql}")
        if args.profile:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(30)
        print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")
    finally:
        deleted = Interaction.objects.filter(external_id__startswith=f"{tag}-").delete()[0]
        print(f"removed the {deleted:,} benchmark interactions")


if __name__ == "__main__":
    main()
