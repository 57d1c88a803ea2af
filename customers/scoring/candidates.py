"""The learners training chooses between, and how each is fitted and calibrated.

- Logistic regression over log-scaled, standardised inputs: explained by its own
  decomposition (coefficient x scaled value).
- Gradient boosting (histogram trees): explained by shap's TreeExplainer.
- The blend of the two: its log-odds are a weighted sum of the two calibrated learners'
  log-odds plus a constant, p = 1 / (1 + exp(-(b + w1 logit p1 + w2 logit p2))). The
  weights are a logistic regression of the outcome on the parts' out-of-time predictions
  of earlier backtest folds, never on the rows a fold is judged on (the stored blend: on
  every fold's predictions). The two make different mistakes (a straight line per
  log-scaled input against thresholds and interactions), so the blend can rank better
  than either; when it does not by more than the folds' spread, the backtest keeps the
  simpler single learner (choose_learner). Being a
  weighted sum of log-odds, the blend is explained exactly by the same weighted sum of
  its parts' contributions.

Every learner is calibrated (sigmoid) on out-of-fold predictions of the rows it learns
from, so its probabilities can be read as churn rates and blended as such."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from customers.scoring.models import RiskModel

Kind = RiskModel.Kind
LEARNERS = (Kind.GRADIENT_BOOSTING, Kind.LOGISTIC_REGRESSION, Kind.BLEND)
# The learners a blend is made of, in the order of its weights.
BLEND_PARTS = (Kind.LOGISTIC_REGRESSION, Kind.GRADIENT_BOOSTING)


class Weights(NamedTuple):
    weights: tuple[float, ...]
    intercept: float = 0.0


# Before any out-of-time prediction to weigh its parts on (the first backtest fold), the
# blend is its first part alone: the trees join once they have shown, out of time, that
# they add to logistic regression.
UNTRIED = Weights((1.0, 0.0))
# Probabilities are kept this far from 0 and 1 before taking their log-odds.
EPSILON = 1e-12


def _signed_log(values):
    return np.sign(values) * np.log1p(np.abs(values))


def candidate_models() -> dict[str, object]:
    """The single learners, unfitted (the blend is made of two of them)."""
    return {
        Kind.LOGISTIC_REGRESSION: make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            # Counts and days are heavy-tailed: a log scale keeps a few huge values from
            # deciding the fit.
            FunctionTransformer(_signed_log, feature_names_out="one-to-one"),
            StandardScaler(),
            LogisticRegression(max_iter=2000, C=0.5),
        ),
        Kind.GRADIENT_BOOSTING: HistGradientBoostingClassifier(
            learning_rate=0.06,
            max_iter=200,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            random_state=0,
        ),
    }


# The learners from the simplest (fewest parameters, its own explanation, cheapest to
# predict: about a fifth of the trees' time a night) to the most complex (both of them).
SIMPLEST_FIRST = (Kind.LOGISTIC_REGRESSION, Kind.GRADIENT_BOOSTING, Kind.BLEND)


def best_learner(summary: dict[str, dict]) -> str:
    """The learner with the highest mean backtest ROC AUC (on a tie, the simpler)."""
    return max(SIMPLEST_FIRST, key=lambda kind: summary[kind]["roc_auc"])


def choose_learner(
    summary: dict[str, dict], standard_errors: dict[str, float] | None = None
) -> str:
    """The learner training keeps, by the one-standard-error rule (Hastie, Tibshirani
    and Friedman, The Elements of Statistical Learning, 2nd ed., section 7.10): the
    simplest learner (SIMPLEST_FIRST) whose mean backtest ROC AUC is at least the best
    mean less the best learner's standard error over the folds. A more complex learner
    is kept only when it ranks better by more than the folds' own spread: a blend that
    adds 0.0005 of ROC AUC to logistic regression is noise, and costs every night five
    times the prediction time. `summary`: mean metrics per learner (backtest.summarise);
    `standard_errors`: ROC AUC standard error per learner (backtest.standard_errors);
    without them, the best mean wins."""
    best = best_learner(summary)
    bar = summary[best]["roc_auc"] - (standard_errors or {}).get(best, 0.0)
    # Compared at the 4 places the means are kept to.
    return next(kind for kind in SIMPLEST_FIRST if round(summary[kind]["roc_auc"] - bar, 6) >= 0)


def log_odds(probability: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(probability, dtype="float64"), EPSILON, 1 - EPSILON)
    return np.log(p) - np.log1p(-p)


class LogOddsBlend(ClassifierMixin, BaseEstimator):
    """Fitted learners combined by a weighted sum of their log-odds:
    p = 1 / (1 + exp(-(intercept + sum of weight x log-odds of each part)))."""

    def __init__(self, parts=(), weights=(), intercept=0.0):
        self.parts = parts
        self.weights = weights
        self.intercept = intercept

    def fit(self, X: pd.DataFrame, y: np.ndarray):
        """Refit every part on these rows (the weights stay)."""
        self.parts = [clone(part).fit(X, y) for part in self.parts]
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return bool(self.parts)

    @property
    def classes_(self):
        return self.parts[0].classes_

    @property
    def feature_names_in_(self):
        return self.parts[0].feature_names_in_

    def part_log_odds(self, X: pd.DataFrame) -> np.ndarray:
        """One column per part: its log-odds, unweighted."""
        return np.column_stack([log_odds(part.predict_proba(X)[:, 1]) for part in self.parts])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        z = self.intercept + self.part_log_odds(X) @ np.asarray(self.weights, dtype="float64")
        churn = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - churn, churn])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def blend_weights(part_probabilities: np.ndarray | None, churned: np.ndarray | None) -> Weights:
    """The blend's weights and intercept: a logistic regression of the outcome on the
    parts' log-odds, fitted on predictions made out of time (the earlier backtest folds'
    predictions of their own rows). A part whose weight comes out negative (it adds
    nothing the other does not know) gets none. Without such predictions, the first part
    alone (UNTRIED)."""
    if part_probabilities is None or churned is None or len(set(churned.tolist())) < 2:
        return UNTRIED
    features = log_odds(part_probabilities)
    kept = np.ones(features.shape[1], dtype=bool)
    while kept.any():
        stacker = LogisticRegression(C=1.0).fit(features[:, kept], churned)
        fitted = np.zeros(len(kept))
        fitted[kept] = stacker.coef_[0]
        if (fitted[kept] >= 0).all():
            return Weights(
                tuple(round(float(w), 4) for w in fitted), round(float(stacker.intercept_[0]), 4)
            )
        kept &= fitted > 0
    return UNTRIED


def blend_of(fitted: dict[str, object], weights: Weights = None) -> LogOddsBlend:
    """The blend of already fitted learners (a backtest fold fits each part once)."""
    weights = weights or UNTRIED
    return LogOddsBlend([fitted[kind] for kind in BLEND_PARTS], weights.weights, weights.intercept)


def fit_learner(kind: str, X: pd.DataFrame, y: np.ndarray, *, calibrate: bool, weights=None):
    if kind == Kind.BLEND:
        parts = {part: fit_learner(part, X, y, calibrate=calibrate) for part in BLEND_PARTS}
        return blend_of(parts, weights)
    estimator = clone(candidate_models()[kind])
    if calibrate and y.sum() >= 6:
        # Sigmoid (Platt) calibration is monotonic: it keeps the ranking and leaves no
        # ties for the tiers to break arbitrarily. ensemble=False: one model on all rows,
        # calibrated on 3-fold out-of-fold predictions, so scoring predicts once. The
        # folds are shuffled: rows come in date order, and folds of whole periods can
        # teach the calibration the wrong direction.
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
        calibrated = CalibratedClassifierCV(
            estimator, method="sigmoid", cv=folds, ensemble=False
        ).fit(X, y)
        # p = 1 / (1 + exp(a f + b)): a must be negative to keep the learner's ranking.
        if calibrated.calibrated_classifiers_[0].calibrators[0].a_ < 0:
            return calibrated
    return estimator.fit(X, y)
