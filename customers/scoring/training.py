"""Training the churn model from the company's own history.

Rows are (customer, observation date) pairs: on monthly observation dates going back
from `as_of - horizon`, every customer active that day is described with the
point-in-time features of that day and labelled with whether it churned within the
horizon after it. Labels only use churn dates up to `as_of`, so nothing the model learns
from was unknown on the day it is trained.

Validation is by time: the latest observation dates are held out, and training uses
only dates whose label window closed before the first validation date, so no training
label overlaps the validation period. Logistic regression and gradient boosting compete
on validation ROC AUC; the winner is calibrated (sigmoid, 3 folds of the training rows)
and judged again on the validation rows. With fewer churned customers than
MIN_CHURNERS_TO_TRAIN the product says so and scores with the transparent rules of
`signals.py` instead."""

from __future__ import annotations

import datetime as dt
import logging
import math
import pickle
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from customers.models import Customer, Interaction, RiskModel
from customers.scoring import signals
from customers.scoring.features import (
    MODEL_FEATURES,
    CustomerSelection,
    active_customers,
    compute_features,
)

logger = logging.getLogger(__name__)

# Features need about four months of history behind an observation date.
WARM_UP_DAYS = 120


@dataclass
class TrainingSet:
    features: pd.DataFrame  # one row per (customer, observation date); MODEL_FEATURES and more
    churned: np.ndarray  # label: churned within the horizon after the observation date
    observed_on: np.ndarray  # observation date per row (datetime64[D])
    every: int  # 1 = all customers; k = every k-th customer id


def observation_dates(as_of: dt.date, *, horizon_days: int, months: int) -> list[dt.date]:
    """Monthly dates, newest first ending `horizon_days` before `as_of`, back to where
    the data begins (plus a warm-up for the features), at most `months` of them."""
    span = Interaction.objects.aggregate(first=Min("happened_at"), last=Max("happened_at"))
    if span["first"] is None:
        return []
    earliest = span["first"].date() + dt.timedelta(days=WARM_UP_DAYS)
    newest = as_of - dt.timedelta(days=horizon_days)
    dates = []
    for k in range(months):
        day = (pd.Timestamp(newest) - pd.DateOffset(months=k)).date()
        if day < earliest:
            break
        dates.append(day)
    return sorted(dates)


def sampling_step(as_of: dt.date, max_customers: int) -> int:
    active = active_customers(as_of).count()
    return max(1, math.ceil(active / max_customers)) if max_customers else 1


def build_training_set(dates: list[dt.date], *, horizon_days: int, every: int = 1) -> TrainingSet:
    frames, labels, observed = [], [], []
    for day in dates:
        features = compute_features(day, CustomerSelection(every=every))
        churned_ids = Customer.objects.filter(
            churned_on__gt=day, churned_on__lte=day + dt.timedelta(days=horizon_days)
        ).values_list("id", flat=True)
        frames.append(features)
        labels.append(features.index.isin(list(churned_ids)))
        observed.append(np.full(len(features), np.datetime64(day, "D")))
        logger.info("training rows for %s: %d", day, len(features))
    if not frames:
        return TrainingSet(pd.DataFrame(columns=MODEL_FEATURES), np.array([]), np.array([]), every)
    return TrainingSet(
        features=pd.concat(frames),
        churned=np.concatenate(labels),
        observed_on=np.concatenate(observed),
        every=every,
    )


def candidate_models() -> dict[str, object]:
    return {
        RiskModel.Kind.LOGISTIC_REGRESSION: make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        ),
        RiskModel.Kind.GRADIENT_BOOSTING: HistGradientBoostingClassifier(
            learning_rate=0.06,
            max_iter=250,
            max_leaf_nodes=31,
            l2_regularization=1.0,
            random_state=0,
        ),
    }


def evaluate(churned: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, lift in the top decile and Brier score."""
    base_rate = float(churned.mean())
    top = np.argsort(-probability, kind="stable")[: max(1, len(probability) // 10)]
    return {
        "roc_auc": round(float(roc_auc_score(churned, probability)), 4),
        "pr_auc": round(float(average_precision_score(churned, probability)), 4),
        "lift_top_decile": round(float(churned[top].mean()) / base_rate, 3),
        "brier": round(float(brier_score_loss(churned, probability)), 5),
        "base_rate": round(base_rate, 5),
    }


def train_model(**options) -> RiskModel:
    """Train, compare, calibrate and store a model as of `as_of`; or store the rules-based
    fallback when the history holds too few churned customers."""
    with threadpool_limits(limits=settings.ML_THREADS):
        return _train_model(**options)


def _train_model(
    *,
    as_of: dt.date,
    horizon_days: int | None = None,
    months: int | None = None,
    validation_dates: int | None = None,
    max_customers: int | None = None,
) -> RiskModel:
    began = time.perf_counter()
    horizon_days = horizon_days or settings.CHURN_HORIZON_DAYS
    months = months or settings.TRAINING_HISTORY_MONTHS
    validation_dates = validation_dates or settings.TRAINING_VALIDATION_MONTHS
    max_customers = settings.TRAINING_MAX_CUSTOMERS if max_customers is None else max_customers

    dates = observation_dates(as_of, horizon_days=horizon_days, months=months)
    every = sampling_step(as_of, max_customers)
    data = build_training_set(dates, horizon_days=horizon_days, every=every)
    sample_note = (
        f"Every {every}th customer (about {100 / every:.0f}% of them)" if every > 1 else ""
    )
    churners = int(data.features.index[data.churned].nunique()) if len(data.churned) else 0
    validation_start = (
        np.datetime64(dates[-validation_dates], "D") if len(dates) > validation_dates else None
    )

    record = dict(
        as_of=as_of,
        horizon_days=horizon_days,
        window_start=dates[0] if dates else as_of,
        window_end=dates[-1] if dates else as_of,
        churners=churners,
        base_rate=float(data.churned.mean()) if len(data.churned) else 0.0,
        sample_note=sample_note,
    )
    if validation_start is None or churners < settings.MIN_CHURNERS_TO_TRAIN:
        return _store_rules_model(data, record, churners, began)

    is_validation = data.observed_on >= validation_start
    # A training row's label window must close before validation begins.
    is_training = data.observed_on + np.timedelta64(horizon_days, "D") <= validation_start
    X_train = data.features.loc[is_training, MODEL_FEATURES].astype("float64")
    y_train = data.churned[is_training]
    X_valid = data.features.loc[is_validation, MODEL_FEATURES].astype("float64")
    y_valid = data.churned[is_validation]
    if y_train.sum() < settings.MIN_CHURNERS_TO_TRAIN or y_valid.sum() == 0 or y_valid.all():
        return _store_rules_model(data, record, churners, began)

    candidates = {}
    fitted = {}
    for kind, estimator in candidate_models().items():
        fitted[kind] = clone(estimator).fit(X_train, y_train)
        candidates[kind] = evaluate(y_valid, fitted[kind].predict_proba(X_valid)[:, 1])
        logger.info("candidate %s: %s", kind, candidates[kind])
    best = max(candidates, key=lambda kind: candidates[kind]["roc_auc"])

    # Sigmoid (Platt) calibration is monotonic, so it keeps the ranking the candidate was
    # chosen for and leaves no ties for the tiers to break arbitrarily.
    # ensemble=False: one model fit on all training rows, calibrated on 3-fold
    # out-of-fold predictions, so scoring predicts once instead of three times.
    calibrated = CalibratedClassifierCV(
        clone(candidate_models()[best]), method="sigmoid", cv=3, ensemble=False
    ).fit(X_train, y_train)
    metrics = evaluate(y_valid, calibrated.predict_proba(X_valid)[:, 1])
    metrics["candidates"] = candidates
    metrics["chosen_by"] = "validation ROC AUC"

    importance = _importance(fitted[best], X_valid, y_valid)
    weights = signals.signal_lift(signals.fired(data.features.loc[is_training]), pd.Series(y_train))
    return _store(
        kind=best,
        artifact=pickle.dumps(calibrated),
        train_rows=int(is_training.sum()),
        validation_rows=int(is_validation.sum()),
        metrics=metrics,
        feature_importance=importance,
        signal_weights=weights,
        began=began,
        **record,
    )


def _importance(model, X_valid: pd.DataFrame, y_valid: np.ndarray) -> dict[str, float]:
    """Drop in validation ROC AUC when each feature is shuffled (largest first)."""
    rows = np.random.default_rng(0).permutation(len(X_valid))[:20_000]
    result = permutation_importance(
        model, X_valid.iloc[rows], y_valid[rows], scoring="roc_auc", n_repeats=3, random_state=0
    )
    ranked = sorted(
        zip(MODEL_FEATURES, result.importances_mean, strict=True), key=lambda item: -item[1]
    )
    return {name: round(float(value), 4) for name, value in ranked}


def _store_rules_model(data: TrainingSet, record: dict, churners: int, began: float) -> RiskModel:
    metrics: dict = {}
    if len(data.churned) and 0 < data.churned.sum() < len(data.churned):
        flags = signals.fired(data.features, signals.configured_thresholds())
        metrics = evaluate(data.churned, signals.rules_probability(flags))
        metrics["evaluated_on"] = "all observation dates (rules are not trained)"
    return _store(
        kind=RiskModel.Kind.RULES,
        artifact=None,
        train_rows=len(data.churned),
        validation_rows=0,
        metrics=metrics,
        feature_importance={},
        signal_weights=dict(signals.RULES_WEIGHTS),
        note=(
            f"{RiskModel.RULES_NOTE} {churners} churned customers in the history; "
            f"at least {settings.MIN_CHURNERS_TO_TRAIN} are needed."
        ),
        began=began,
        **record,
    )


def _store(*, began: float, **fields) -> RiskModel:
    with transaction.atomic():
        latest = RiskModel.objects.select_for_update().order_by("-version").first()
        RiskModel.objects.filter(is_active=True).update(is_active=False)
        return RiskModel.objects.create(
            version=(latest.version + 1) if latest else 1,
            training_seconds=round(time.perf_counter() - began, 2),
            is_active=True,
            **fields,
        )


def load(model: RiskModel):
    """The fitted estimator of a stored model (None for the rules-based one)."""
    return _load_cached(model.pk, model.version) if model.artifact is not None else None


_CACHE: dict[tuple[int, int], object] = {}


def _load_cached(pk: int, version: int):
    key = (pk, version)
    if key not in _CACHE:
        artifact = RiskModel.objects.filter(pk=pk).values_list("artifact", flat=True).get()
        _CACHE.clear()
        _CACHE[key] = pickle.loads(bytes(artifact))
    return _CACHE[key]
