"""The forward-chained, out-of-time backtest every trained model carries.

The validation observation dates are split into consecutive folds; each fold trains only
on rows whose label window closed before the fold's first date (what would have been
known then) and is judged on the fold's rows, with the features as they were on each
date. Every candidate learner, the rules score and a recency-only baseline are judged on
the same rows: ROC AUC, PR AUC, lift in the top decile, Brier score and Brier skill."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from customers.scoring import notes, signals
from customers.scoring.candidates import (
    BLEND_PARTS,
    LEARNERS,
    Weights,
    blend_of,
    blend_weights,
    fit_learner,
)
from customers.scoring.features import model_inputs
from customers.scoring.models import RiskModel

if TYPE_CHECKING:
    from customers.scoring.training import TrainingSet

BASELINES = ("rules", "recency")
METHOD_LABELS = {
    RiskModel.Kind.GRADIENT_BOOSTING: "Gradient boosting",
    RiskModel.Kind.LOGISTIC_REGRESSION: "Logistic regression",
    RiskModel.Kind.BLEND: "The blend of logistic regression and gradient boosting",
    "rules": "Rules score",
    "recency": "Recency only",
}
CALIBRATION_BINS = 10
# The first backtest fold learns from at least this span of observation dates.
MIN_TRAINING_SPAN_DAYS = 56


def usable_features(frame: pd.DataFrame, names: list[str]) -> list[str]:
    """The inputs that carry information in these rows: a column empty or constant in
    every row (no ratings recorded, no contacts, no contracts) is left out."""
    present = [name for name in names if name in frame.columns]
    values = frame[present].astype("float64")
    varies = values.nunique(dropna=True) > 1
    return [name for name in present if varies[name]]


def evaluate(churned: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, lift in the top decile, Brier score and Brier skill score (against
    always predicting the rows' own base rate; 0 = no better, 1 = perfect)."""
    churned = np.asarray(churned, dtype=bool)
    base_rate = float(churned.mean())
    top = np.argsort(-probability, kind="stable")[: max(1, len(probability) // 10)]
    brier = float(brier_score_loss(churned, probability))
    reference = base_rate * (1 - base_rate)
    return {
        "roc_auc": round(float(roc_auc_score(churned, probability)), 4),
        "pr_auc": round(float(average_precision_score(churned, probability)), 4),
        "lift_top_decile": round(float(churned[top].mean()) / base_rate, 3),
        "brier": round(brier, 5),
        "brier_skill": round(1 - brier / reference, 4) if reference > 0 else 0.0,
        "base_rate": round(base_rate, 5),
    }


def recency_input(frame: pd.DataFrame) -> np.ndarray:
    days = frame["days_since_last_activity"].astype("float64")
    days = days.fillna(frame["tenure_days"].astype("float64")).fillna(365.0)
    return np.log1p(days.clip(lower=0).to_numpy()).reshape(-1, 1)


def rules_score(frame: pd.DataFrame) -> np.ndarray:
    return signals.rules_probability(signals.fired(frame, signals.configured_thresholds()))


def folds_of(
    dates: list[dt.date], window: int, count: int
) -> list[tuple[np.datetime64, list[dt.date]]]:
    """Consecutive blocks of the dates that have at least one earlier date whose label
    window closed before them: (first validation date, the block's dates)."""
    first = dates[0] + dt.timedelta(days=MIN_TRAINING_SPAN_DAYS)
    eligible = [d for d in dates if d - dt.timedelta(days=window) >= first]
    if len(eligible) < count:
        return []
    blocks = [list(block) for block in np.array_split(np.array(eligible, dtype=object), count)]
    return [(np.datetime64(block[0], "D"), block) for block in blocks]


def backtest(
    data: TrainingSet, *, window: int, folds: int, names: list[str]
) -> tuple[dict, dict[str, np.ndarray], list]:
    """Forward-chained folds; every method judged on the same rows. Returns the backtest
    record, out-of-fold predictions per method (for the calibration chart) and the
    fitted learners of the last fold (for feature importance)."""
    dates = sorted({d.astype(object) for d in np.unique(data.observed_on)})
    records: list[dict] = []
    pooled: dict[str, list] = {m: [] for m in (*LEARNERS, *BASELINES)}
    pooled_y: list[np.ndarray] = []
    last_fold = []
    for start, block in folds_of(dates, window, folds):
        block_days = np.array([np.datetime64(d, "D") for d in block])
        is_valid = np.isin(data.observed_on, block_days)
        is_train = data.observed_on + np.timedelta64(window, "D") <= start
        y_train, y_valid = data.churned[is_train], data.churned[is_valid]
        if y_train.sum() < 2 or y_valid.sum() == 0 or y_valid.all() or y_train.all():
            records.append(
                {
                    "validate_from": str(block[0]),
                    "validate_to": str(block[-1]),
                    "skipped": notes.FOLD_FEW_CHURNERS,
                }
            )
            continue
        train_frame = data.features[is_train]
        valid_frame = data.features[is_valid]
        inputs = usable_features(train_frame, names)
        X_train, X_valid = model_inputs(train_frame, inputs), model_inputs(valid_frame, inputs)
        methods: dict[str, dict] = {}
        fitted = {}
        # The blend is weighted by how its parts did on the earlier folds' rows (predicted
        # out of time), never on the rows this fold is judged on.
        weights = blend_weights(*parts_out_of_fold(pooled, pooled_y))
        for kind in LEARNERS:
            if kind == RiskModel.Kind.BLEND:  # made of the parts fitted just before
                fitted[kind] = blend_of(fitted, weights)
            else:
                fitted[kind] = fit_learner(kind, X_train, y_train, calibrate=True)
            probability = fitted[kind].predict_proba(X_valid)[:, 1]
            methods[kind] = evaluate(y_valid, probability)
            pooled[kind].append(probability)
        rules = rules_score(valid_frame)
        methods["rules"] = evaluate(y_valid, rules)
        pooled["rules"].append(rules)
        recency = LogisticRegression().fit(recency_input(train_frame), y_train)
        recent = recency.predict_proba(recency_input(valid_frame))[:, 1]
        methods["recency"] = evaluate(y_valid, recent)
        pooled["recency"].append(recent)
        pooled_y.append(y_valid)
        last_fold = [fitted, X_valid, y_valid]
        train_days = np.unique(data.observed_on[is_train])
        records.append(
            {
                "train_from": str(train_days[0]),
                "train_to": str(train_days[-1]),
                "validate_from": str(block[0]),
                "validate_to": str(block[-1]),
                "train_rows": int(is_train.sum()),
                "validation_rows": int(is_valid.sum()),
                "churned": int(y_valid.sum()),
                "base_rate": round(float(y_valid.mean()), 5),
                "methods": methods,
                "blend_weights": weights_record(weights),
            }
        )
    out_of_fold = {method: np.concatenate(values) for method, values in pooled.items() if values}
    if pooled_y:
        out_of_fold["churned"] = np.concatenate(pooled_y)
    return {"folds": records}, out_of_fold, last_fold


def parts_out_of_fold(
    pooled: dict[str, list], pooled_y: list[np.ndarray]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The blend's parts' predictions of the folds judged so far (one column per part)
    and those rows' outcomes; (None, None) before the first fold."""
    if not pooled_y:
        return None, None
    columns = [np.concatenate(pooled[kind]) for kind in BLEND_PARTS]
    return np.column_stack(columns), np.concatenate(pooled_y)


def weights_record(weights: Weights) -> dict[str, float]:
    return dict(zip(BLEND_PARTS, weights.weights, strict=True)) | {"intercept": weights.intercept}


def summarise(folds: list[dict]) -> dict[str, dict]:
    """Mean of each metric per method over the folds that ran, and the folds each method
    met the bars in."""
    done = [fold for fold in folds if "methods" in fold]
    summary = {}
    for method in (*LEARNERS, *BASELINES):
        rows = [fold["methods"][method] for fold in done if method in fold["methods"]]
        if rows:
            summary[method] = {
                key: round(float(np.mean([r[key] for r in rows])), 4) for key in rows[0]
            }
    return summary


def standard_errors(folds: list[dict], metric: str = "roc_auc") -> dict[str, float]:
    """The standard error of each method's mean `metric` over the folds that ran: the
    folds' sample standard deviation / sqrt(number of folds); 0 with a single fold."""
    done = [fold for fold in folds if "methods" in fold]
    errors = {}
    for method in (*LEARNERS, *BASELINES):
        values = [fold["methods"][method][metric] for fold in done if method in fold["methods"]]
        if values:
            spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            errors[method] = round(spread / math.sqrt(len(values)), 4)
    return errors


def calibration(churned: np.ndarray, probability: np.ndarray) -> list[dict]:
    """Predicted against observed churn in ten bins of equal size by predicted risk."""
    order = np.argsort(probability, kind="stable")
    bins = []
    for part in np.array_split(order, CALIBRATION_BINS):
        if len(part):
            bins.append(
                {
                    "predicted": round(float(probability[part].mean()), 4),
                    "observed": round(float(churned[part].mean()), 4),
                    "rows": int(len(part)),
                }
            )
    return bins


def importance(model, X_valid: pd.DataFrame, y_valid: np.ndarray) -> dict[str, float]:
    """Drop in validation ROC AUC when each feature is shuffled (largest first), on the
    last backtest fold."""
    rows = np.random.default_rng(0).permutation(len(X_valid))[:20_000]
    result = permutation_importance(
        model, X_valid.iloc[rows], y_valid[rows], scoring="roc_auc", n_repeats=3, random_state=0
    )
    ranked = sorted(
        zip(X_valid.columns, result.importances_mean, strict=True), key=lambda item: -item[1]
    )
    return {name: round(float(value), 4) for name, value in ranked}
