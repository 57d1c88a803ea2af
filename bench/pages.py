"""Benchmark: server time of the pages people open all day, at 1M customers.

Usage:  .venv/bin/python bench/pages.py [--requests 60] [--history-weeks 12]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On the scored benchmark database (bench/demo_data.py, then bench/nightly_scoring.py):

1. gives the riskiest-book account manager, their team's manager and an admin a login;
2. if the latest scoring day has less than --history-weeks of weekly history before it,
   copies the day's scores back week by week (a stand-in for the nights not run, so the
   sparklines and risk charts read as many rows as in a running installation), timed;
3. computes the dashboard's nightly figures for the day (the nightly cost), timed;
4. starts the app under gunicorn (2 workers) and, with a real HTTP client signed in as
   each person, requests My book (default, sorted, filtered, searched, later pages), the
   customer page of random customers of the book, the manager dashboard (every
   period and breakdown) as the manager and as an admin, and the customers list (filters,
   sorts, keyset pages 2 and 40 reached by following "Next", the owner box's
   suggestions) and its search as the manager and as an admin, the renewal calendar
   (pages, team, month) as the manager and as an admin, and the alert inbox of the
   account manager.

Prints each page's p50 / p95 / max over --requests requests (after 3 warm-up requests),
the machine, and peak memory of the server processes and of this client."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from common import machine, peak_mib, server_peak_mib, setup_django, start_server

PASSWORD = "bench-pages-2026"


def people():
    """(account manager, manager, admin user): the account manager owning the most
    revenue at risk today, and the manager of their team."""
    from django.contrib.auth.models import User
    from django.db.models import Sum

    from customers.models import RiskScore
    from customers.selectors import latest_scoring_run
    from staff.models import Employee

    run = latest_scoring_run()
    top = (
        RiskScore.objects.current()
        .filter(customer__primary_owner__status="active")
        .values("customer__primary_owner")
        .annotate(r=Sum("revenue_at_risk"))
        .order_by("-r")
        .first()
    )
    am = Employee.objects.select_related("team__manager").get(pk=top["customer__primary_owner"])
    manager = am.team.manager or Employee.objects.filter(role="manager").first()
    for person, username in ((am, "bench-am"), (manager, "bench-manager")):
        user = person.user or User(username=username)
        user.set_password(PASSWORD)
        user.is_active = True
        user.save()
        if person.user_id != user.pk:
            person.user = user
            person.save(update_fields=["user"])
    admin, _ = User.objects.get_or_create(username="bench-admin")
    admin.is_superuser = admin.is_staff = True
    admin.set_password(PASSWORD)
    admin.save()
    return am, manager, run.day


def ensure_history(day: dt.date, weeks: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for week in range(1, weeks + 1):
            earlier = day - dt.timedelta(days=7 * week)
            cursor.execute("SELECT 1 FROM customers_riskscore WHERE day = %s LIMIT 1", [earlier])
            if cursor.fetchone():
                continue
            began = time.perf_counter()
            # A week-long score before the earliest one of each customer (newest week
            # first), ending where that one begins, as a night that changed every score.
            cursor.execute(
                """
                INSERT INTO customers_riskscore (customer_id, day, valid_until, model_id,
                    probability, tier, annual_value, revenue_at_risk, reasons,
                    single_threaded, active_contacts, signals)
                SELECT customer_id, %(earlier)s, day, model_id,
                       LEAST(1, GREATEST(0, probability * (0.85 + random() * 0.3))), tier,
                       annual_value, revenue_at_risk, reasons, single_threaded,
                       active_contacts, '[]'::jsonb
                FROM (
                    SELECT DISTINCT ON (customer_id) * FROM customers_riskscore
                    ORDER BY customer_id, day
                ) first
                WHERE first.day > %(earlier)s
                """,
                {"earlier": earlier},
            )
            print(
                f"  history: copied {cursor.rowcount:,} scores to {earlier} "
                f"in {time.perf_counter() - began:.1f} s"
            )
        cursor.execute("ANALYZE customers_riskscore")


def session(base: str, username: str):
    import requests

    client = requests.Session()
    page = client.get(f"{base}/login/")
    page.raise_for_status()
    answer = client.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {username}: {answer.status_code}")
    return client


def measure(client, base: str, label: str, paths: list[str], count: int) -> None:
    for path in paths[:3]:
        client.get(base + path).raise_for_status()
    times = []
    by_path: dict[str, list[float]] = {}
    for i in range(count):
        path = paths[i % len(paths)]
        began = time.perf_counter()
        response = client.get(base + path)
        took = (time.perf_counter() - began) * 1000
        times.append(took)
        by_path.setdefault(path, []).append(took)
        response.raise_for_status()
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    print(
        f"{label:<44} p50 {statistics.median(times):6.0f} ms   p95 {p95:6.0f} ms   "
        f"max {times[-1]:6.0f} ms   ({count} requests over {len(paths)} URLs)"
    )
    slowest = sorted(by_path.items(), key=lambda item: -max(item[1]))[:3]
    print(
        "    slowest URLs (max ms): "
        + ", ".join(f"{path} {max(took):.0f}" for path, took in slowest)
    )


def deep_page(client, base: str, path: str, pages: int) -> str:
    """The URL of page `pages` of a list, reached as a person does: following "Next"."""
    import re

    url = path
    for _ in range(pages - 1):
        answer = client.get(base + url)
        answer.raise_for_status()
        found = re.search(r'href="(\?[^"]*)" rel="next"', answer.text)
        if found is None:
            break
        url = path.split("?")[0] + found.group(1).replace("&amp;", "&")
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--history-weeks", type=int, default=12)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    setup_django(args.database_url)
    from customers.figures import nightly as figures
    from customers.models import Customer
    from customers.selectors import book_for

    print(machine())
    am, manager, day = people()
    book = list(book_for(am).filter(status=Customer.Status.ACTIVE).values_list("pk", "name"))
    print(
        f"data: {Customer.objects.count():,} customers; scoring day {day}; account manager "
        f"{am.name} owns {len(book):,} active customers; {manager.name} manages their team"
    )
    ensure_history(day, args.history_weeks)
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    print(f"ANALYZE: {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    done = figures.compute(day=day)
    print(f"nightly dashboard figures: {time.perf_counter() - began:.1f} s {done}")

    server = start_server(
        args.database_url,
        args.port,
        2,
        {"SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false"},
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        rng = random.Random(7)
        word = book[0][1].split()[0]
        client = client_am = session(base, am.user.username)
        measure(
            client,
            base,
            "My book (default, sorts, filters, search, pages)",
            [
                "/",
                "/?sort=renewal",
                "/?sort=value",
                "/?tier=1&tier=2",
                "/?segment=core&renewal=90",
                f"/?q={word}",
                "/?page=2",
                "/?sort=name&page=3",
            ],
            args.requests,
        )
        measure(
            client,
            base,
            "Customer page (random customers of the book)",
            [f"/customers/{pk}/" for pk, _ in rng.sample(book, min(len(book), 40))],
            args.requests,
        )
        dashboards = [
            f"/dashboard/?period={period}&by={by}"
            for period in ("month", "quarter", "year")
            for by in ("team", "owner", "region", "segment")
        ]
        measure(
            session(base, manager.user.username),
            base,
            "Manager dashboard (their teams)",
            dashboards,
            args.requests,
        )
        admin = session(base, "bench-admin")
        measure(admin, base, "Dashboard as admin (every team)", dashboards, args.requests)
        manager_client = session(base, manager.user.username)
        team = f"team={am.team_id}"
        customer_lists = [
            "/customers/",
            "/customers/?sort=name",
            "/customers/?sort=probability",
            "/customers/?sort=value",
            "/customers/?sort=renewal",
            "/customers/?tier=1&tier=2",
            f"/customers/?{team}&segment=core",
            "/customers/?handover=no_successor",
            "/customers/?renewal=30",
            "/customers/?page=40",
            f"/customers/?owner={am.pk}",
            f"/customers/owners/?q={am.name[:3]}",
        ]
        searches = [
            f"/customers/?q={word}",
            f"/customers/?q={word[:3]}",
            "/customers/?q=zzz",
            f"/customers/?q={word}&sort=name",
        ]
        renewal_pages = [
            "/renewals/",
            "/renewals/?page=2",
            f"/renewals/?team={am.team_id}",
            f"/renewals/?month={(day + dt.timedelta(days=45)):%Y-%m}",
        ]
        for label, client in (("manager", manager_client), ("admin", admin)):
            deep = [
                deep_page(client, base, "/customers/", 2),
                deep_page(client, base, "/customers/", 40),
                deep_page(client, base, "/customers/?sort=name", 40),
            ]
            measure(
                client,
                base,
                f"Customers list as {label} (filters, sorts)",
                customer_lists,
                args.requests,
            )
            measure(
                client, base, f"Customers list as {label}, keyset pages 2-40", deep, args.requests
            )
            measure(client, base, f"Customers search as {label}", searches, args.requests)
            measure(client, base, f"Renewals as {label}", renewal_pages, args.requests)
        measure(
            client_am,
            base,
            "Alert inbox (the account manager)",
            ["/alerts/", "/alerts/?sort=newest", "/alerts/?status=open", "/alerts/?page=2"],
            args.requests,
        )
        print(
            f"peak memory: server processes {server_peak_mib(server.pid):,.0f} MiB, "
            f"benchmark client {peak_mib():,.0f} MiB"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
