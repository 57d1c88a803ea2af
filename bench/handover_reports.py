"""Benchmark: the handover reads at 1M customers.

Usage:  .venv/bin/python bench/handover_reports.py
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On the database made by bench/demo_data.py (and scored by bench/nightly_scoring.py, so
value at risk is filled in): the key-person exposure report over every employee, the
handover proposals (priorities and successor recommendations) for the most exposed
employee, and the churn-after-departure outcomes over every departure. Prints the wall
time of each and the peak memory of the process."""

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
    from django.db.models import Max

    from customers.models import Customer, Interaction
    from handover.selectors import departure_outcomes, exposure_report, handover_proposals
    from staff.models import Employee

    print(machine())
    day = Interaction.objects.aggregate(last=Max("happened_at"))["last"].date()
    print(
        f"data: {Customer.objects.count():,} customers, {Employee.objects.count():,} employees; day {day}"
    )

    began = time.perf_counter()
    rows = exposure_report(as_of=day)
    print(f"exposure report: {len(rows):,} employees in {time.perf_counter() - began:.1f} s")
    top = Employee.objects.get(pk=rows[0].employee_id)
    began = time.perf_counter()
    proposals = handover_proposals(top, as_of=day)
    print(
        f"handover proposals for the most exposed ({top.name}): {len(proposals):,} customers "
        f"in {time.perf_counter() - began:.1f} s"
    )
    began = time.perf_counter()
    outcomes = departure_outcomes(as_of=day)
    print(
        f"departure outcomes: {len(outcomes):,} departures in {time.perf_counter() - began:.1f} s"
    )
    print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
