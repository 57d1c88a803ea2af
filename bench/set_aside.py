"""Benchmark: what setting bad records aside costs a set-based write (a scoring chunk's
COPY of staged scores), clean and with bad rows among them.

Usage:  .venv/bin/python bench/set_aside.py [--rows 50000]
        [--database-url postgres://postgres@127.0.0.1:5432/retention]

Needs a migrated database (any: it writes one scoring run's staged scores and rolls
every write back). For each case, the median of 3 runs: the plain COPY
(`write_frame`, with the foreign-key check its commit would make), the same through `steps.write_or_set_aside` with no bad row, then
with 1 and with 10 rows whose value the column cannot hold (numeric overflow), which
the write finds by halving the batch and sets aside."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import time

from common import machine, peak_mib, setup_django


class _RollBack(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/retention")
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    setup_django(args.database_url)
    import numpy as np
    import pandas as pd
    from django.db import transaction

    from customers.models import RiskModel, ScoringRun, StagedScore
    from retention.bulk import write_frame
    from retention.jobs import steps

    logging.getLogger("retention.jobs.steps").setLevel(logging.ERROR)
    print(machine())
    day = dt.date(2000, 1, 1)
    with transaction.atomic():
        model = RiskModel.objects.create(
            version=999_999, kind="rules", as_of=day, horizon_days=90,
            window_start=day, window_end=day,
        )  # fmt: skip
        run = ScoringRun.objects.create(day=day, model=model, status="running")
    n = args.rows
    rng = np.random.default_rng(1)
    probability = rng.random(n).round(6)
    value = rng.uniform(1_000, 500_000, n).round(2)
    frame = pd.DataFrame(
        {
            "run_id": run.pk,
            "customer_id": np.arange(1, n + 1),
            "probability": probability,
            "annual_value": value,
            "revenue_at_risk": (probability * value).round(2),
            "reasons": ["[]"] * n,
            "signals": ["[]"] * n,
            "single_threaded": False,
            "active_contacts": 1,
        }
    )

    def timed(write) -> float:
        began = time.perf_counter()
        try:
            with transaction.atomic():
                write()
                raise _RollBack
        except _RollBack:
            pass
        return time.perf_counter() - began

    def with_bad(count: int) -> pd.DataFrame:
        bad = frame.copy()
        rows = rng.choice(n, size=count, replace=False)
        bad.loc[rows, "annual_value"] = 1.2e12
        return bad

    def guarded(df: pd.DataFrame):
        return lambda: steps.write_or_set_aside(
            range(len(df)),
            lambda rows: write_frame(StagedScore, df.iloc[rows.start : rows.stop]),
            describe=lambda row: {"model": "customer", "object_id": int(row)},
        )

    def copy_then_check() -> None:
        write_frame(StagedScore, frame)
        steps._check_deferred_constraints()  # what the commit would check anyway

    cases = [
        ("plain COPY (FK checked at commit)", copy_then_check),
        ("write_or_set_aside, clean", guarded(frame)),
        ("write_or_set_aside, 1 bad row", guarded(with_bad(1))),
        ("write_or_set_aside, 10 bad rows", guarded(with_bad(10))),
    ]
    print(f"{n:,} staged scores per write")
    for name, write in cases:
        seconds = statistics.median(timed(write) for _ in range(3))
        print(f"{name:34s} {seconds:6.2f} s")
    print(f"peak memory: {peak_mib():.0f} MiB")
    with transaction.atomic():
        run.delete()
        model.delete()


if __name__ == "__main__":
    main()
