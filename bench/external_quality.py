"""Benchmark: the product's churn backtest on a public, real data set (CDNOW) next to
BG/NBD "probability alive", on the same customers and cutoffs.

Usage:  .venv/bin/python bench/external_quality.py [--customers 23570] [--folds 4]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_cdnow]

CDNOW: 69,659 purchases by 23,570 customers, 1997-01 .. 1998-06, shipped inside the
`lifetimes` package (lifetimes/datasets/CDNOW_master.txt). The database is recreated and
the file goes in through the product's own CSV import: customers (customer_since = the
first purchase) and product usage as daily totals per customer ("purchases": orders
that day, "spend": dollars). Churn is implicit: no purchase in the 90 days after an
observation date (CHURN_LABEL=implicit, IMPLICIT_CHURN_DAYS=90 for every segment).

The product's forward-chained backtest (customers/scoring/backtest.py: monthly
observation dates, folds by date, each fold trained only on dates whose 90-day outcome
was known before it) runs as in training; on every date of every fold, BG/NBD
(lifetimes' BetaGeoFitter) is fitted on the purchases up to that date and ranks the same
rows by 1 - P(alive). Printed per fold: ROC AUC of each method; per cutoff (observation
date): the ROC AUC of the product's out-of-fold predictions and of BG/NBD on that date's
rows, and on how many cutoffs the product is ahead."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

HORIZON = 90


def cdnow_path() -> Path:
    """CDNOW_master.txt from the installed lifetimes package."""
    return Path(str(resources.files("lifetimes") / "datasets" / "CDNOW_master.txt"))


def read_cdnow(limit: int | None = None) -> pd.DataFrame:
    """Purchases: customer, date, cds, dollars (the first `limit` customers by id)."""
    frame = pd.read_csv(
        cdnow_path(),
        sep=r"\s+",
        header=0,
        names=["customer", "date", "cds", "dollars"],
        dtype={"customer": str, "date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d").dt.date
    if limit:
        keep = sorted(frame["customer"].unique())[:limit]
        frame = frame[frame["customer"].isin(keep)]
    return frame


def import_cdnow(purchases: pd.DataFrame, workdir: Path) -> dict[str, int]:
    """Write the customers and their daily usage totals as CSV and import both files with
    the product's CSV import (check, then all rows in one transaction)."""
    from customers import csv_io

    first = purchases.groupby("customer")["date"].min()
    customers = workdir / "cdnow_customers.csv"
    with open(customers, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "name", "segment", "customer_since"])
        for customer, since in first.items():
            writer.writerow([f"CDNOW-{customer}", f"CDNOW customer {customer}", "general", since])
    daily = purchases.groupby(["customer", "date"]).agg(
        purchases=("cds", "size"), spend=("dollars", "sum")
    )
    usage = workdir / "cdnow_usage.csv"
    with open(usage, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "day", "event", "quantity"])
        for (customer, day), row in daily.iterrows():
            writer.writerow([f"CDNOW-{customer}", day, "purchases", int(row["purchases"])])
            writer.writerow([f"CDNOW-{customer}", day, "spend", round(float(row["spend"]), 2)])
    counts = {}
    for kind, path in (("customers", customers), ("usage", usage)):
        _, header = csv_io.sniff(path)
        report = csv_io.import_file(kind, path, csv_io.default_mapping(kind, header))
        if report.problem_count:
            raise SystemExit(f"{kind}: {report.problems[:5]}")
        counts[kind] = report.created
    return counts


def bgnbd_risk(day: dt.date, customer_ids: np.ndarray) -> np.ndarray:
    """1 - P(alive) of BG/NBD fitted on every purchase day up to `day` (daily periods)."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    from customers.models import UsageDay

    days = pd.DataFrame(
        list(
            UsageDay.objects.filter(event="purchases", day__lte=day, quantity__gt=0).values_list(
                "customer_id", "day"
            )
        ),
        columns=["customer_id", "day"],
    )
    days["day"] = pd.to_datetime(days["day"])
    summary = summary_data_from_transaction_data(
        days, "customer_id", "day", observation_period_end=pd.Timestamp(day), freq="D"
    )
    fitter = BetaGeoFitter(penalizer_coef=0.001).fit(
        summary["frequency"], summary["recency"], summary["T"]
    )
    alive = fitter.conditional_probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    alive = pd.Series(np.asarray(alive), index=summary.index)
    return 1.0 - alive.reindex(customer_ids).fillna(0.0).to_numpy()


def compare(*, as_of: dt.date, folds: int = 4) -> list[dict]:
    """The product's backtest and BG/NBD on the same fold rows; one dict per fold."""
    from sklearn.metrics import roc_auc_score

    from customers.scoring import notes, training
    from customers.scoring.features import MODEL_FEATURES, usage_columns

    history = training.check_history(
        as_of, horizon_days=HORIZON, months=24, label="implicit", folds=folds
    )
    if not history.enough:
        raise SystemExit(notes.english(history.note_code, history.note_params))
    data = training.build_training_set(
        history.dates, horizon_days=HORIZON, label="implicit", as_of=as_of
    )
    names = MODEL_FEATURES + usage_columns(data.events)
    record, predicted, _ = training.backtest(
        data, window=history.label_days, folds=folds, names=names
    )
    summary = training.summarise(record["folds"])
    product = max(training.LEARNERS, key=lambda kind: summary[kind]["roc_auc"])
    results = []
    offset = 0  # out-of-fold predictions come fold after fold, each in the data's order
    for fold in record["folds"]:
        if "methods" not in fold:
            results.append({"fold": fold, "skipped": fold["skipped"]})
            continue
        first, last = np.datetime64(fold["validate_from"]), np.datetime64(fold["validate_to"])
        in_fold = (data.observed_on >= first) & (data.observed_on <= last)
        risk = np.empty(int(in_fold.sum()))
        ours = predicted[product][offset : offset + len(risk)]
        offset += len(risk)
        position = np.flatnonzero(in_fold)
        cutoffs = []
        for day in np.unique(data.observed_on[in_fold]):
            rows = data.observed_on[position] == day
            ids = data.features.index.to_numpy()[position[rows]]
            risk[rows] = bgnbd_risk(day.astype(object), ids)
            labels = data.churned[position[rows]]
            cutoffs.append(
                (
                    str(day),
                    int(rows.sum()),
                    float(roc_auc_score(labels, ours[rows])),
                    float(roc_auc_score(labels, risk[rows])),
                )
            )
        churned = data.churned[in_fold]
        bgnbd = training.evaluate(churned, risk)
        results.append(
            {
                "fold": fold,
                "product": product,
                "methods": fold["methods"],
                "bgnbd": bgnbd,
                "cutoffs": cutoffs,
                "churned": churned,
                "product_risk": ours,
            }
        )
    return results


def report(results: list[dict]) -> list[str]:
    lines = [
        f"{'fold':4s} {'validated on':25s} {'rows':>7s} {'churn':>6s} "
        f"{'product':>8s} {'GB':>6s} {'LR':>6s} {'blend':>6s} {'rules':>6s} {'recency':>7s} "
        f"{'BG/NBD':>7s} "
        f"{'beats':>5s}"
    ]
    for number, result in enumerate(results, start=1):
        fold = result["fold"]
        if "skipped" in result:
            lines.append(f"{number:<4d} {fold['validate_from']}..{fold['validate_to']} skipped")
            continue
        m = result["methods"]
        ours = m[result["product"]]["roc_auc"]
        theirs = result["bgnbd"]["roc_auc"]
        lines.append(
            f"{number:<4d} {fold['validate_from'] + '..' + fold['validate_to']:25s} "
            f"{fold['validation_rows']:7d} {fold['base_rate']:6.1%} {ours:8.3f} "
            f"{m['gradient_boosting']['roc_auc']:6.3f} {m['logistic_regression']['roc_auc']:6.3f} "
            f"{m['blend']['roc_auc']:6.3f} "
            f"{m['rules']['roc_auc']:6.3f} {m['recency']['roc_auc']:7.3f} {theirs:7.3f} "
            f"{'yes' if ours > theirs else 'no':>5s}"
        )
        for day, rows, product_auc, bgnbd_auc in result["cutoffs"]:
            lines.append(
                f"       cutoff {day}: {rows:6d} rows, ROC AUC product {product_auc:.3f}, "
                f"BG/NBD {bgnbd_auc:.3f} {'beats' if product_auc > bgnbd_auc else 'DOES NOT BEAT'}"
            )
    cutoffs = [c for r in results if "cutoffs" in r for c in r["cutoffs"]]
    beaten = sum(1 for _, _, ours, theirs in cutoffs if ours > theirs)
    lines.append(
        f"the product beats BG/NBD's ROC AUC on {beaten} of {len(cutoffs)} cutoffs "
        "(goal: every cutoff)"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=None, help="first N customers only")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_cdnow"
    )
    args = parser.parse_args()
    os.environ["CHURN_LABEL"] = "implicit"
    os.environ["IMPLICIT_CHURN_DAYS"] = f"{HORIZON},{HORIZON},{HORIZON}"
    from common import machine, peak_mib, setup_django
    from demo_data import recreate_database

    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(machine())
    purchases = read_cdnow(args.customers)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        counts = import_cdnow(purchases, Path(workdir))
    print(
        f"data: CDNOW from {cdnow_path()}: {len(purchases):,} purchases by "
        f"{purchases['customer'].nunique():,} customers, {purchases['date'].min()} .. "
        f"{purchases['date'].max()}; imported through the CSV import as {counts['customers']:,} "
        f"customers and {counts['usage']:,} daily usage totals in "
        f"{time.perf_counter() - began:.0f} s"
    )
    began = time.perf_counter()
    results = compare(as_of=purchases["date"].max(), folds=args.folds)
    print(
        f"implicit churn = no purchase in the next {HORIZON} days; forward-chained backtest "
        f"and BG/NBD in {time.perf_counter() - began:.0f} s. ROC AUC per fold (product = the "
        "learner training would choose):"
    )
    print("\n".join(report(results)))
    print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
