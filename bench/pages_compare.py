"""Benchmark: two versions of the code side by side on one database, request by request.

Usage:  .venv/bin/python bench/pages_compare.py --before /path/to/other/checkout
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench100k]
        [--rounds 10] [--ports 8766,8767] [--pages dashboard,renewals,list]

On a scored database with the nightly figures (bench/pages.py's logins and
--history-weeks of score history are added as it adds them), starts this checkout and the one at --before under gunicorn (2 workers each,
production settings), signs in to both as the same people, and requests the slow pages
of bench/pages.py (the admin's dashboard over every team, the manager's renewal calendar,
the admin's customers list over its filters and sorts) in turn: every URL once from each
server, the server that goes first alternating, so both see the same load and the same
cache. The other checkout must be migrated to the same database (its schema may lack what
this one adds; the rows measure each version's reads).

Prints each page's p50 / p95 / max per version, and each URL's median per version."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from pathlib import Path

from common import ROOT, machine, setup_django, start_server
from pages import ensure_history, people, session


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, type=Path)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench100k"
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--ports", default="8766,8767")
    parser.add_argument("--pages", default="dashboard,renewals,list")
    parser.add_argument("--history-weeks", type=int, default=12)
    args = parser.parse_args()
    setup_django(args.database_url)
    print(machine())
    am, manager, day = people()
    ensure_history(day, args.history_weeks)  # as bench/pages.py, so the pages read as much
    ports = [int(port) for port in args.ports.split(",")]
    env = {"SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false"}
    versions = {"before": args.before.resolve(), "after": ROOT}
    servers = {
        name: start_server(args.database_url, port, 2, env, root=tree)
        for (name, tree), port in zip(versions.items(), ports, strict=True)
    }
    bases = {name: f"http://127.0.0.1:{port}" for name, port in zip(versions, ports, strict=True)}
    dashboards = [
        f"/dashboard/?period={period}&by={by}"
        for period in ("month", "quarter", "year")
        for by in ("team", "owner", "region", "segment")
    ]
    customer_lists = [
        "/customers/",
        "/customers/?sort=name",
        "/customers/?sort=probability",
        "/customers/?sort=value",
        "/customers/?sort=renewal",
        "/customers/?tier=1&tier=2",
        f"/customers/?team={am.team_id}&segment=core",
        "/customers/?handover=no_successor",
        "/customers/?renewal=30",
        "/customers/?page=40",
        f"/customers/?owner={am.pk}",
        f"/customers/owners/?q={am.name[:3]}",
    ]
    renewal_pages = [
        "/renewals/",
        "/renewals/?page=2",
        f"/renewals/?team={am.team_id}",
        f"/renewals/?month={(day + dt.timedelta(days=45)):%Y-%m}",
    ]
    groups = {
        "dashboard": ("Dashboard as admin (every team)", "bench-admin", dashboards),
        "renewals": ("Renewals as manager", manager.user.username, renewal_pages),
        "list": ("Customers list as admin (filters, sorts)", "bench-admin", customer_lists),
    }
    try:
        for key in args.pages.split(","):
            label, username, paths = groups[key]
            clients = {name: session(base, username) for name, base in bases.items()}
            for name, client in clients.items():  # warm-up: every URL once
                for path in paths:
                    client.get(bases[name] + path).raise_for_status()
            times: dict[str, dict[str, list[float]]] = {
                name: {path: [] for path in paths} for name in versions
            }
            for round_number in range(args.rounds):
                order = list(versions) if round_number % 2 == 0 else list(versions)[::-1]
                for path in paths:
                    for name in order:
                        began = time.perf_counter()
                        response = clients[name].get(bases[name] + path)
                        times[name][path].append((time.perf_counter() - began) * 1000)
                        response.raise_for_status()
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"\n{label} ({args.rounds} rounds over {len(paths)} URLs; load {load})")
            for name in versions:
                every = [t for path in paths for t in times[name][path]]
                print(
                    f"  {name:<7} p50 {statistics.median(every):6.0f} ms   "
                    f"p95 {p95(every):6.0f} ms   max {max(every):6.0f} ms"
                )
            for path in paths:
                medians = "   ".join(
                    f"{name} {statistics.median(times[name][path]):5.0f}" for name in versions
                )
                print(f"    {path:<52} median ms: {medians}")
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
