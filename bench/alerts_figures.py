"""Benchmark: a normal night's alert pass and dashboard figures, each rolled back, so the
same state can be measured again (and by other code on a copy of the same database).

Usage:  .venv/bin/python bench/alerts_figures.py [--repeat 3] [--code-root DIR]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On a database that has run nights (bench/nightly.py), for the latest complete scoring
day: the alert pass of that day as the night ran it (following on from the pass of the
day before; its own pass is removed first, inside the transaction), without the digests;
then the dashboard figures of the day as a normal night computes them, and with the churn
months recomputed whole (what every night did before the figures followed the changes;
skipped when the code has no such choice). Each is one transaction rolled back at the
end. `--code-root` runs another checkout's code (an older version) on the same data.
Prints wall time of each repetition, what the pass did, and the load average."""

from __future__ import annotations

import os

from common import compare_setup, rolled_back


def main() -> None:
    args = compare_setup()
    root = args.code_root
    from alerts import services
    from alerts.models import AlertPass
    from customers.figures import nightly
    from customers.models import ScoringRun

    day = (
        ScoringRun.objects.filter(status="complete")
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    print(f"code: {root}; day {day}; load average {os.getloadavg()}")

    def alert_pass():
        AlertPass.objects.filter(day=day).delete()
        return services.raise_alerts(day=day)

    def whole_figures():
        from customers.figures import changes

        original = changes.plan
        changes.plan = lambda day, first_month: changes.ChurnPlan()
        try:
            return nightly.compute(day=day)
        finally:
            changes.plan = original

    for n in range(args.repeat):
        took, result = rolled_back(alert_pass)
        print(f"alerts {n + 1}: {took:.2f} s  {vars(result)}")
        took, result = rolled_back(lambda: nightly.compute(day=day))
        print(f"figures {n + 1}: {took:.2f} s  {result}")
        if hasattr(nightly, "changes"):
            took, result = rolled_back(whole_figures)
            print(f"figures, churn months whole {n + 1}: {took:.2f} s  {result}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
