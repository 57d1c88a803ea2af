"""Benchmark: the whole night on real Celery workers, step by step, next to the floor.

Usage:  .venv/bin/python bench/nightly.py [--workers 1] [--as-of 2026-11-22]
        [--pg "work_mem=64MB jit=off"] [--chunk-size 50000] [--vacuum]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]
        [--redis-url redis://127.0.0.1:6379/0]

Needs a database made by bench/demo_data.py. What it does:

1. The floor: PostgreSQL alone answering
   SELECT customer_id, count(*), max(happened_at) FROM customers_interaction GROUP BY 1
   (run twice; the second, warm run counts).
2. Starts N `celery worker` processes (solo pool, one task at a time each) on a queue of
   their own on the Redis broker, as the product runs them (`--workers 2` = two workers).
3. The night of the day (default: the day after the last complete scoring day, else the
   last interaction's day): the same steps as Celery beat starts (retention/nightly.py:
   contract roll, handovers, retention actions, access watch, scoring split into chunk
   steps, the finishing step, alerts with digests, dashboard figures), each step run by
   the workers through its JobStep. The night's earlier JobSteps for that day are removed
   first, so the benchmark can run a day again (a re-run then replaces the day's scores).
4. Prints each step's wall time (first start to last finish, from the JobSteps), its
   share, its ratio to the warm floor, and the peak resident memory of the worker
   processes sampled every 0.2 s while that step ran; then the whole night.

`--vacuum` runs VACUUM ANALYZE over the database before the night and outside its
time, as autovacuum would have between two nights: for a server with autovacuum off
(its setting is printed with the others).

`--pg` passes PostgreSQL settings to every connection of the night (the workers'
included) through libpq's PGOPTIONS, so settings can be compared without restarting the
server; the settings in effect are printed."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

from common import ROOT, machine, peak_mib, setup_django

FLOOR_SQL = (
    "SELECT customer_id, count(*), max(happened_at) FROM customers_interaction GROUP BY customer_id"
)
SETTINGS = ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit", "autovacuum")


def _rss_mib(pid: int) -> float:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemorySampler(threading.Thread):
    """Every 0.2 s: each worker's resident memory, booked to the step it is running
    (JobStep.owner is host:pid:thread)."""

    def __init__(self, pids: list[int], day: dt.date):
        super().__init__(daemon=True)
        self.pids, self.day = pids, day
        self.peaks: dict[str, float] = defaultdict(float)
        self.worker_peak: dict[int, float] = defaultdict(float)
        self.stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from retention.jobs.models import JobStep

        while not self.stopping.wait(0.2):
            running = {
                owner.split(":")[1]: name
                for owner, name in JobStep.objects.filter(
                    day=self.day, status=JobStep.Status.RUNNING
                ).values_list("owner", "name")
                if owner.count(":") >= 1
            }
            for pid in self.pids:
                rss = _rss_mib(pid)
                self.worker_peak[pid] = max(self.worker_peak[pid], rss)
                name = running.get(str(pid))
                if name:
                    self.peaks[name] = max(self.peaks[name], rss)
        connection.close()


def start_workers(n: int, queue: str, env: dict) -> list[subprocess.Popen]:
    from retention.celery import app

    workers = []
    log_dir = Path("/tmp") / f"bench-nightly-{queue}"
    log_dir.mkdir(exist_ok=True)
    for i in range(n):
        log = (log_dir / f"worker-{i}.log").open("w")
        workers.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "retention",
                    "worker",
                    "-Q",
                    queue,
                    "--pool",
                    "solo",
                    "--loglevel",
                    "WARNING",
                    "-n",
                    f"{queue}-{i}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--prefetch-multiplier",
                    "1",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    names = [f"{queue}-{i}@{os.uname().nodename}" for i in range(n)]
    deadline = time.monotonic() + 120
    while True:
        replies = app.control.ping(destination=names, timeout=1.0)
        if len(replies) == n:
            return workers
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            for w in workers:
                w.kill()
            sys.exit(f"workers did not start; see {log_dir}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--pg", default="", help='e.g. "work_mem=64MB jit=off"')
    parser.add_argument(
        "--vacuum",
        action="store_true",
        help="VACUUM ANALYZE the database before the night (not timed), as autovacuum "
        "does between nights: for a server that runs with autovacuum off",
    )
    args = parser.parse_args()

    if args.pg:
        os.environ["PGOPTIONS"] = " ".join(f"-c {item}" for item in args.pg.split())
    os.environ["REDIS_URL"] = args.redis_url
    if args.chunk_size:
        os.environ["SCORING_CHUNK_SIZE"] = str(args.chunk_size)
    setup_django(args.database_url)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max

    from customers.models import Customer, Interaction, ScoringRun
    from retention.jobs.models import JobStep
    from retention.nightly import start_night

    print(machine())
    with connection.cursor() as cursor:
        shown = []
        for name in SETTINGS:
            cursor.execute(f"SHOW {name}")
            shown.append(f"{name}={cursor.fetchone()[0]}")
    print("PostgreSQL settings in effect: " + ", ".join(shown))
    print(f"load average before: {os.getloadavg()}")
    customers = Customer.objects.count()
    interactions = Interaction.objects.count()
    last_scored = (
        ScoringRun.objects.filter(status=ScoringRun.Status.COMPLETE).order_by("-day").first()
    )
    if args.as_of:
        day = args.as_of
    elif last_scored:
        day = last_scored.day + dt.timedelta(days=1)
    else:
        day = Interaction.objects.aggregate(last=Max("happened_at"))["last"].date()
    print(
        f"data: {customers:,} customers, {interactions:,} interactions; night of {day} "
        f"(last complete scoring day before it: {last_scored.day if last_scored else 'none'}); "
        f"chunks of {settings.SCORING_CHUNK_SIZE:,}"
    )

    if args.vacuum:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE before the night (not timed): {time.perf_counter() - began:.1f} s")

    floor = []
    for _ in range(2):
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL)
            cursor.fetchall()
        floor.append(time.perf_counter() - began)
    warm = floor[1]
    print(f"floor (PostgreSQL GROUP BY alone): {floor[0]:.1f} s cold, {warm:.1f} s warm")

    JobStep.objects.filter(day=day).delete()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    env["DATABASE_URL"] = args.database_url
    workers = start_workers(args.workers, queue, env)
    sampler = MemorySampler([w.pid for w in workers], day)
    sampler.start()
    try:
        began = time.perf_counter()
        start_night(day, queue=queue)
        while True:
            time.sleep(0.5)
            steps = list(JobStep.objects.filter(day=day))
            if steps and all(s.status in JobStep.FINISHED for s in steps):
                # The scoring step makes its sub-steps while running: wait until they exist.
                names = {s.name for s in steps}
                if "score_customers" not in names or "finish_scoring" in names:
                    break
        wall = time.perf_counter() - began
    finally:
        sampler.stopping.set()
        sampler.join()
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()

    by_name: dict[str, list] = defaultdict(list)
    for step in steps:
        by_name[step.name].append(step)
    order = sorted(by_name, key=lambda n: min(s.started_at or s.finished_at for s in by_name[n]))
    print(
        f"\nwhole night: {wall:.1f} s wall on {args.workers} worker(s) = "
        f"{wall / warm:.1f} x the warm floor (target: within 3 x)"
    )
    print(f"{'step':28} {'n':>4} {'wall s':>8} {'share':>6} {'x floor':>8} {'peak MiB':>9}  status")
    for name in order:
        group = by_name[name]
        starts = [s.started_at for s in group if s.started_at]
        ends = [s.finished_at for s in group if s.finished_at]
        seconds = (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0
        statuses = ",".join(sorted({s.status for s in group}))
        print(
            f"{name:28} {len(group):>4} {seconds:>8.1f} {seconds / wall:>6.0%} "
            f"{seconds / warm:>8.1f} {sampler.peaks.get(name, 0):>9,.0f}  {statuses}"
        )
        for s in group:
            if s.status != JobStep.Status.DONE:
                print(f"    {s.subject} {s.status}: {s.error[:300]}")
    run = ScoringRun.objects.filter(day=day).first()
    if run:
        print(f"scoring run: {run.status}, {run.customers_scored:,} customers; {run.timings}")
    for name in ("raise_alerts", "compute_dashboard_figures", "roll_contracts"):
        for s in by_name.get(name, []):
            print(f"{name}: {s.result}")
    print(
        "peak memory (max RSS) per worker: "
        + ", ".join(f"{v:,.0f} MiB" for v in sampler.worker_peak.values())
        + f"; this process {peak_mib():,.0f} MiB"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
