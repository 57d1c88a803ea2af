"""Benchmark: incremental sync of customers and interactions through the REST API.

Usage:  .venv/bin/python bench/api_sync.py [--pages-of 1000] [--change 2000] [--workers 2]
        [--port 8766] [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Starts the app under gunicorn on the benchmark database and, as an integration client
over real HTTP: walks every customer page by page (`?page_size=`, by id, then by
updated_at, which pages on (updated_at, id)); walks the interactions; then changes
--change customers with one bulk request and syncs them back (with the sync token where
the API offers one, else with updated_since). Prints wall time and rows per second of
each walk, and the server's peak memory."""

from __future__ import annotations

import argparse
import json
import signal
import time
import urllib.request

from common import machine, server_peak_mib, setup_django, start_server


def call(url, key, body=None):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def walk(label, url, key, limit=None):
    """Follow `next` to the end (or until `limit` rows were read: a walk that does not
    end is reported as such)."""
    began, rows, pages, token, seen = time.perf_counter(), 0, 0, None, set()
    while url and (limit is None or rows < limit):
        page = call(url, key)
        rows += len(page["results"])
        seen.update(row["id"] for row in page["results"])
        pages += 1
        token = page.get("sync_token", token)
        url = page["next"]
    wall = time.perf_counter() - began
    ended = "" if not url else f"; stopped at the limit of {limit:,} rows"
    print(
        f"{label}: {rows:,} rows ({len(seen):,} distinct), {pages} pages in {wall:.2f} s "
        f"= {rows / wall:,.0f} rows/s{ended}"
    )
    return token, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--pages-of", type=int, default=1000)
    parser.add_argument("--change", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--interactions", type=int, default=100_000, help="walk at most these")
    args = parser.parse_args()
    setup_django(args.database_url)
    import datetime as dt

    from django.db import transaction
    from django.db.models import Value
    from django.db.models.functions import Concat, Replace
    from django.utils import timezone

    from customers.models import Customer, Interaction
    from staff.models import ApiToken

    print(machine())
    print(
        f"data: {Customer.objects.count():,} customers, {Interaction.objects.count():,} "
        f"interactions; pages of {args.pages_of:,}"
    )
    token, key = ApiToken.issue(name="sync benchmark")
    server = start_server(
        args.database_url, args.port, args.workers, {"API_RATE_LIMIT": "100000/minute"}
    )
    api = f"http://127.0.0.1:{args.port}/api/v1"
    try:
        size = f"page_size={args.pages_of}"
        sync_token, _ = walk("customers by id", f"{api}/customers/?{size}", key)
        walk(
            "customers by updated_at",
            f"{api}/customers/?ordering=updated_at&{size}",
            key,
            limit=2 * Customer.objects.count(),
        )
        walk(
            f"interactions (at most {args.interactions:,})",
            f"{api}/interactions/?{size}",
            key,
            limit=args.interactions,
        )
        started = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        ids = list(Customer.objects.order_by("id").values_list("id", flat=True)[: args.change])
        began = time.perf_counter()
        with transaction.atomic():
            Customer.objects.filter(id__in=ids).update(
                name=Concat("name", Value(" (bench)")), updated_at=timezone.now()
            )
        print(f"changed {len(ids):,} customers in {time.perf_counter() - began:.2f} s")
        if sync_token is not None:
            how, url = "sync_token", f"{api}/customers/?sync_token={sync_token}&{size}"
        else:
            how, url = "updated_since", f"{api}/customers/?updated_since={started}&{size}"
        _, synced = walk(f"sync of the changes ({how})", url, key)
        print(f"  {synced:,} rows came back for {len(ids):,} changed")
        Customer.objects.filter(id__in=ids).update(name=Replace("name", Value(" (bench)")))
        print(f"peak memory: server process {server_peak_mib(server.pid):,.0f} MiB")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        # revoked, not deleted: the audit trail keeps the reads it made
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


if __name__ == "__main__":
    main()
