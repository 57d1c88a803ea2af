"""Benchmark: how much of a night's prediction could be skipped for customers "unchanged".

Usage:  .venv/bin/python bench/score_stability.py [--day 2026-12-02] [--later 1 7]
        [--id-from 1 --id-to 50000]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

Needs a database made by bench/demo_data.py with an active trained model. For the
customers of one id range (a scoring chunk), it computes the features on `--day` and on
each day `--later` days after it (read from the interaction roll-ups, as training and
past days are), with nothing written in between, and prints:

- the share of customers whose model inputs are identical on both days (their prediction
  could be reused as it is);
- for a model with a gradient-boosting part (alone, or in the blend): the share whose
  every tree takes the same path on both days, so that part's output is the same. A
  customer's path is read off the split thresholds the fitted trees use on each input
  (sklearn's HistGradientBoostingClassifier keeps them in `_predictors[...].nodes`);
- the wall time of each part's prediction over the chunk, and the features' own time.

What it answers: whether a night could predict only the customers whose inputs or tree
paths moved, and keep the rest from the night before. Prints wall time and peak memory."""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd
from common import machine, peak_mib, setup_django


def tree_paths(estimator, X: pd.DataFrame) -> np.ndarray | None:
    """For a fitted HistGradientBoostingClassifier: one row per customer, one column per
    input, the position of the input's value among the thresholds the trees split it on
    (equal rows take equal paths through every tree). None for other estimators."""
    if not hasattr(estimator, "_predictors"):
        return None
    names = list(estimator.feature_names_in_)
    thresholds: dict[int, set[float]] = {i: set() for i in range(len(names))}
    for stage in estimator._predictors:
        for predictor in stage:
            nodes = predictor.nodes[predictor.nodes["is_leaf"] == 0]
            for feature, threshold in zip(
                nodes["feature_idx"], nodes["num_threshold"], strict=True
            ):
                thresholds[int(feature)].add(float(threshold))
    columns = []
    for i, name in enumerate(names):
        cuts = np.array(sorted(thresholds[i]))
        values = X[name].to_numpy(dtype="float64")
        # A missing value takes a path of its own: past every threshold.
        columns.append(np.searchsorted(cuts, np.nan_to_num(values, nan=np.inf), side="left"))
    return np.column_stack(columns)


def parts_of(model) -> dict[str, object]:
    """The model's learners by name, with their calibration wrapper taken off for the
    tree paths (the calibration maps the same raw output to the same probability)."""
    from sklearn.calibration import CalibratedClassifierCV

    learners = list(getattr(model, "parts", [model]))
    named = {}
    for learner in learners:
        inner = learner
        if isinstance(learner, CalibratedClassifierCV):
            inner = learner.calibrated_classifiers_[0].estimator
        named[type(inner).__name__] = (learner, inner)
    return named


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 12, 2))
    parser.add_argument("--later", type=int, nargs="+", default=[1, 7])
    parser.add_argument("--id-from", type=int, default=1)
    parser.add_argument("--id-to", type=int, default=50_000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    from customers.scoring import training
    from customers.scoring.features import CustomerSelection, compute_features, model_inputs

    print(machine())
    began = time.perf_counter()
    model = training.active_model()
    if model is None or model.is_rules_based:
        raise SystemExit("needs an active trained model (manage.py train_risk_model)")
    estimator = training.load(model)
    parts = parts_of(estimator)
    print(f"model: {model.summary}; parts: {', '.join(parts)}")
    selection = CustomerSelection(id_from=args.id_from, id_to=args.id_to)

    inputs: dict[dt.date, pd.DataFrame] = {}
    for day in [args.day, *(args.day + dt.timedelta(days=k) for k in args.later)]:
        started = time.perf_counter()
        X = model_inputs(compute_features(day, selection), model.features)
        took = time.perf_counter() - started
        timings = []
        for name, (learner, _) in parts.items():
            started = time.perf_counter()
            learner.predict_proba(X)
            timings.append(f"{name} {time.perf_counter() - started:.2f} s")
        print(
            f"{day}: {len(X):,} customers; features {took:.2f} s; prediction: {'; '.join(timings)}"
        )
        inputs[day] = X

    first = inputs[args.day]
    for k in args.later:
        later = inputs[args.day + dt.timedelta(days=k)]
        both = first.index.intersection(later.index)
        a, b = first.loc[both], later.loc[both]
        same_inputs = (a.fillna(-1e300).to_numpy() == b.fillna(-1e300).to_numpy()).all(axis=1)
        line = (
            f"{k} day(s) later, {len(both):,} customers: identical inputs {same_inputs.mean():.1%}"
        )
        for name, (_, inner) in parts.items():
            paths_a, paths_b = tree_paths(inner, a), tree_paths(inner, b)
            if paths_a is None:
                continue
            same = (paths_a == paths_b).all(axis=1)
            moved = (paths_a != paths_b).sum(axis=0)
            top = sorted(zip(moved, inner.feature_names_in_, strict=True), reverse=True)[:3]
            line += (
                f"; {name}: same path in every tree {same.mean():.1%} (moved most: "
                + ", ".join(f"{feature} {count:,}" for count, feature in top)
                + ")"
            )
        print(line)
    print(
        f"wall time: {time.perf_counter() - began:.1f} s; peak memory (max RSS): {peak_mib():,.0f} MiB"
    )


if __name__ == "__main__":
    main()
