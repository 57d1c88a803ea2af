"""Benchmark: bulk ingest of interactions through the REST API into PostgreSQL.

Usage:  .venv/bin/python bench/api_ingest.py [--rows 500000] [--batch 10000] [--clients 2]
        [--workers 2] [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Starts the app under gunicorn (--workers processes) on the benchmark database, makes an
integration token, and POSTs /api/v1/interactions/bulk/ with --batch rows per request
from --clients concurrent clients over real HTTP, until --rows new interactions (random
customers of the database, random kinds and moments in the last year) are in. Then sends
every batch again, which must change nothing. Prints rows per second of each pass, the
request latencies, and the peak memory of the server processes and of this one. The
rows it wrote are deleted at the end (unless --keep)."""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from common import (
    CpuMeter,
    database_backends,
    machine,
    peak_mib,
    server_peak_mib,
    server_processes,
    setup_django,
    start_server,
)

KINDS = ["call", "email", "meeting", "usage", "support_ticket", "note", "renewal_talk"]


def make_batches(customers: list[str], emails: list[str], rows: int, size: int, tag: str):
    rng = random.Random(7)
    now = time.time()
    batches = []
    for start in range(0, rows, size):
        batch = []
        for i in range(start, min(rows, start + size)):
            moment = time.gmtime(now - rng.random() * 365 * 86400)
            kind = rng.choice(KINDS)
            batch.append(
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
        batches.append(json.dumps({"rows": batch}).encode())
    return batches


def post(url: str, key: str, body: bytes) -> tuple[float, dict]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        result = json.loads(response.read())
    return time.perf_counter() - began, result


def run_pass(label, url, key, batches, clients, meters=()) -> list[dict]:
    for meter in meters:
        meter.start()
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda body: post(url, key, body), batches))
    wall = time.perf_counter() - began
    used = [meter.stop() for meter in meters]
    rows = sum(r["received"] for _, r in results)
    latencies = sorted(t for t, _ in results)
    totals = {k: sum(r[k] for _, r in results) for k in ("created", "updated", "unchanged")}
    print(
        f"{label}: {rows:,} rows in {wall:.1f} s = {rows / wall:,.0f} rows/s; "
        f"request median {statistics.median(latencies):.2f} s, max {latencies[-1]:.2f} s; {totals}"
    )
    if used:
        print(
            f"  CPU: server processes {used[0]:.1f} s, PostgreSQL {used[1]:.1f} s = "
            f"{rows / sum(used):,.0f} rows per CPU-second; load average "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        )
    return [r for _, r in results]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url)
    from customers.models import Customer, Interaction
    from staff.models import ApiToken, Employee

    print(machine())
    interactions_before = Interaction.objects.count()
    customers = list(
        Customer.objects.filter(status="active").values_list("external_id", flat=True)[:200_000]
    )
    emails = list(Employee.objects.filter(status="active").values_list("email", flat=True))
    print(
        f"data: {interactions_before:,} interactions already stored; new rows go to "
        f"{len(customers):,} customers and {len(emails):,} employees"
    )
    token, key = ApiToken.issue(name="ingest benchmark")
    tag = f"BENCH{int(time.time())}"
    batches = make_batches(customers, emails, args.rows, args.batch, tag)
    server = start_server(
        args.database_url, args.port, args.workers, {"API_RATE_LIMIT": "100000/minute"}
    )
    try:
        url = f"http://127.0.0.1:{args.port}/api/v1/interactions/bulk/"
        print(
            f"server: gunicorn, {args.workers} worker processes; {args.clients} clients, "
            f"{args.batch:,} rows per request"
        )
        meters = (CpuMeter(lambda: server_processes(server.pid)), CpuMeter(database_backends))
        run_pass("first pass (inserts)", url, key, batches, args.clients, meters)
        run_pass(
            "same requests again (must change nothing)", url, key, batches, args.clients, meters
        )
        print(
            f"peak memory: server process {server_peak_mib(server.pid):,.0f} MiB, "
            f"benchmark client {peak_mib():,.0f} MiB"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        token.delete()
        if not args.keep:
            deleted = Interaction.objects.filter(external_id__startswith=f"{tag}-").delete()[0]
            print(f"removed the {deleted:,} benchmark interactions")


if __name__ == "__main__":
    main()
