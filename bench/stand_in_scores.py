"""Benchmark set-up: a scored day without the nightly scoring, for page benchmarks.

Usage:  .venv/bin/python bench/stand_in_scores.py --database-url URL [--day 2026-11-29]

On a generated company (bench/demo_data.py) that has not been scored (the night takes
tens of minutes on a loaded 2-core machine), writes in one set-based statement what a
complete scoring run leaves for the pages: a rules model, a complete ScoringRun for the
day, and a current RiskScore for every active customer (probability skewed towards low,
tiers as ranks with RISK_TIER_SHARES, annual value of the contracts in force, revenue at
risk, and warning signs: "contract ending" for a contract ending within 90 days,
engagement drop for 30% and a complaint for 10% of customers, drawn with a fixed seed);
then raises the day's alerts (alerts.services.raise_alerts) and computes the dashboard's
nightly figures. The pages read these rows as they read a real night's: their cost
depends on how many rows there are and how they are spread, not on the model. Refuses a
database that already has a complete scoring run."""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import machine, setup_django

SCORES_SQL = """
WITH active AS (
    SELECT c.id FROM customers_customer c WHERE c.status = 'active' ORDER BY c.id
), drawn AS (
    SELECT id, power(random(), 3) AS probability, random() AS engagement, random() AS complaint
    FROM active
), valued AS (
    SELECT d.*, coalesce((
        SELECT sum(k.annual_value_reporting) FROM customers_contract k
        WHERE k.customer_id = d.id AND k.start_date <= %(day)s AND k.end_date >= %(day)s
          AND k.status NOT IN ('cancelled', 'expired')), 0) AS annual_value,
        EXISTS (
        SELECT 1 FROM customers_contract k
        WHERE k.customer_id = d.id AND k.end_date BETWEEN %(day)s AND %(day)s + 90
          AND k.status NOT IN ('cancelled', 'expired')) AS ending
    FROM drawn d
), ranked AS (
    SELECT v.*, percent_rank() OVER (ORDER BY probability DESC) * 100 AS place FROM valued v
)
INSERT INTO customers_riskscore (customer_id, day, valid_until, model_id, probability, tier,
    annual_value, revenue_at_risk, reasons, single_threaded, active_contacts, signals)
SELECT id, %(day)s, NULL, %(model)s, probability,
       CASE WHEN place < %(t1)s THEN 1 WHEN place < %(t2)s THEN 2 WHEN place < %(t3)s THEN 3
            WHEN place < %(t4)s THEN 4 ELSE 5 END,
       annual_value, round((annual_value * probability)::numeric, 2), '[]'::jsonb, false, 2,
       (CASE WHEN ending THEN jsonb_build_array(jsonb_build_object(
            'signal', 'contract_ending_90', 'text', 'Contract ends within 90 days',
            'params', '{}'::jsonb)) ELSE '[]'::jsonb END)
       || (CASE WHEN engagement < 0.3 THEN jsonb_build_array(jsonb_build_object(
            'signal', 'engagement_drop', 'text', 'Interactions fell by half',
            'params', '{}'::jsonb)) ELSE '[]'::jsonb END)
       || (CASE WHEN complaint < 0.1 THEN jsonb_build_array(jsonb_build_object(
            'signal', 'complaint', 'text', 'Complaint in the last 30 days',
            'params', '{}'::jsonb)) ELSE '[]'::jsonb END)
FROM ranked
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 11, 29))
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.conf import settings
    from django.db import connection, transaction

    from alerts.services import raise_alerts
    from customers.figures import nightly as figures
    from customers.models import RiskModel, ScoringRun

    print(machine())
    if ScoringRun.objects.filter(status=ScoringRun.Status.COMPLETE).exists():
        raise SystemExit("this database has a complete scoring run: nothing to stand in for")
    shares = settings.RISK_TIER_SHARES
    bounds = [sum(shares[: i + 1]) for i in range(4)]
    began = time.perf_counter()
    with transaction.atomic():
        model = RiskModel.objects.create(
            version=(
                RiskModel.objects.order_by("-version").values_list("version", flat=True).first()
                or 0
            )
            + 1,
            kind="rules",
            as_of=args.day,
            horizon_days=90,
            window_start=args.day,
            window_end=args.day,
        )
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM customers_riskscore WHERE day = %s", [args.day])
            cursor.execute("SELECT setseed(0.42)")  # the same draws each time
            cursor.execute(
                SCORES_SQL,
                {"day": args.day, "model": model.pk}
                | {f"t{i + 1}": bound for i, bound in enumerate(bounds)},
            )
            scored = cursor.rowcount
        ScoringRun.objects.update_or_create(
            day=args.day,
            defaults={
                "model": model,
                "status": ScoringRun.Status.COMPLETE,
                "customers_scored": scored,
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_riskscore")
    print(f"scores: {scored:,} customers on {args.day} in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    print(f"alerts: {raise_alerts(day=args.day)} in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    print(f"figures: {figures.compute(day=args.day)} in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
