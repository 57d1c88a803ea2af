"""The blend of logistic regression and gradient boosting: its arithmetic, when the
backtest chooses it and when it keeps logistic regression, how its weights are fitted,
and how a change of its score is split over the inputs."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from customers.models import RiskModel
from customers.scoring import explain
from customers.scoring.backtest import evaluate, standard_errors
from customers.scoring.candidates import (
    UNTRIED,
    LogOddsBlend,
    Weights,
    blend_weights,
    choose_learner,
    fit_learner,
    log_odds,
)

Kind = RiskModel.Kind


class Predicted:
    """A fitted learner's predictions written down: row i of X (column "row") is
    predicted to churn with probability `churn[i]`."""

    classes_ = np.array([False, True])
    feature_names_in_ = np.array(["row"])

    def __init__(self, churn):
        self.churn = np.asarray(churn, dtype=float)

    def predict_proba(self, X):
        p = self.churn[X["row"].to_numpy()]
        return np.column_stack([1 - p, p])


ROWS = pd.DataFrame({"row": [0, 1, 2, 3]})
CHURNED = np.array([True, True, False, False])


EQUAL = (0.5, 0.5)


def test_equal_weights_are_the_geometric_mean_of_the_odds():
    blend = LogOddsBlend([Predicted([0.2]), Predicted([0.5])], EQUAL)
    # Odds 1/4 and 1: their geometric mean is 1/2, a probability of 1/3.
    assert blend.predict_proba(ROWS.iloc[:1])[0, 1] == pytest.approx(1 / 3)
    # An intercept of ln 2 doubles the odds: 1, a probability of 1/2.
    shifted = LogOddsBlend(blend.parts, EQUAL, math.log(2))
    assert shifted.predict_proba(ROWS.iloc[:1])[0, 1] == pytest.approx(0.5)


def summary_of(lr, gb) -> dict[str, dict]:
    blend = LogOddsBlend([Predicted(lr), Predicted(gb)], EQUAL)
    predictions = {
        Kind.LOGISTIC_REGRESSION: np.array(lr),
        Kind.GRADIENT_BOOSTING: np.array(gb),
        Kind.BLEND: blend.predict_proba(ROWS)[:, 1],
    }
    return {kind: evaluate(CHURNED, p) for kind, p in predictions.items()}


def test_the_blend_wins_when_its_parts_err_on_different_customers():
    # Logistic regression ranks the second churner below the first loyal customer, gradient
    # boosting the first churner: each orders 3 of the 4 (churner, loyal) pairs right.
    summary = summary_of(lr=[0.9, 0.3, 0.5, 0.1], gb=[0.3, 0.9, 0.5, 0.1])
    assert summary[Kind.LOGISTIC_REGRESSION]["roc_auc"] == 0.75
    assert summary[Kind.GRADIENT_BOOSTING]["roc_auc"] == 0.75
    # Blended odds: sqrt(9 x 3/7) = 1.96 for both churners, sqrt(1 x 1) = 1 and
    # sqrt(1/9 x 1/9) = 1/9 for the loyal ones: all 4 pairs right.
    assert summary[Kind.BLEND]["roc_auc"] == 1.0
    assert choose_learner(summary) == Kind.BLEND


def test_a_company_where_logistic_regression_ranks_best_keeps_it():
    # Logistic regression orders every pair right; gradient boosting puts the first
    # churner last (2 of 4 pairs).
    summary = summary_of(lr=[0.9, 0.8, 0.2, 0.1], gb=[0.05, 0.9, 0.8, 0.2])
    assert summary[Kind.LOGISTIC_REGRESSION]["roc_auc"] == 1.0
    assert summary[Kind.GRADIENT_BOOSTING]["roc_auc"] == 0.5
    # Blended odds: churners sqrt(9 x 1/19) = 0.69 and sqrt(4 x 9) = 6, loyal ones
    # sqrt(1/4 x 4) = 1 and sqrt(1/9 x 1/4) = 1/6: the first churner now ranks below the
    # first loyal customer, 3 of 4 pairs.
    assert summary[Kind.BLEND]["roc_auc"] == 0.75
    assert choose_learner(summary) == Kind.LOGISTIC_REGRESSION


def test_a_tie_keeps_the_single_learner():
    summary = {
        Kind.GRADIENT_BOOSTING: {"roc_auc": 0.90},
        Kind.LOGISTIC_REGRESSION: {"roc_auc": 0.95},
        Kind.BLEND: {"roc_auc": 0.95},
    }
    assert choose_learner(summary) == Kind.LOGISTIC_REGRESSION


def _folds(**auc_per_method):
    """Backtest fold records with these ROC AUCs (one list per method, one value a fold)."""
    methods = list(auc_per_method)
    count = len(auc_per_method[methods[0]])
    return [
        {"methods": {m: {"roc_auc": auc_per_method[m][i]} for m in methods}} for i in range(count)
    ]


def test_standard_error_is_the_folds_spread_over_the_root_of_their_number():
    folds = _folds(blend=[0.9708, 0.9796, 0.9762, 0.9811], rules=[0.8, 0.8, 0.8, 0.8])
    folds.insert(1, {"skipped": "few_churners"})  # a skipped fold does not count
    errors = standard_errors(folds)
    # Mean 0.976925; squared deviations 37.5e-6, 7.2e-6, 0.5e-6, 17.4e-6 sum to 62.6e-6;
    # / 3 = 20.9e-6, sd 0.004568, / sqrt(4) = 0.002284.
    assert errors["blend"] == 0.0023
    assert errors["rules"] == 0.0
    assert standard_errors(_folds(blend=[0.9]))["blend"] == 0.0


def test_a_blend_within_one_standard_error_keeps_the_simpler_learner():
    # The demo company's backtest: the blend's mean is 0.0005 above logistic regression's,
    # its folds spread by 0.0023 (standard error): logistic regression is kept.
    summary = {
        Kind.GRADIENT_BOOSTING: {"roc_auc": 0.9726},
        Kind.LOGISTIC_REGRESSION: {"roc_auc": 0.9764},
        Kind.BLEND: {"roc_auc": 0.9769},
    }
    errors = {Kind.GRADIENT_BOOSTING: 0.003, Kind.LOGISTIC_REGRESSION: 0.0019, Kind.BLEND: 0.0023}
    assert choose_learner(summary, errors) == Kind.LOGISTIC_REGRESSION
    # Gradient boosting is within the bar (0.9746) only when logistic regression is not.
    summary[Kind.LOGISTIC_REGRESSION]["roc_auc"] = 0.9700
    assert choose_learner(summary, errors) == Kind.BLEND
    summary[Kind.GRADIENT_BOOSTING]["roc_auc"] = 0.9746
    assert choose_learner(summary, errors) == Kind.GRADIENT_BOOSTING
    # Exactly one standard error below the best still counts as within it.
    summary[Kind.LOGISTIC_REGRESSION]["roc_auc"] = 0.9746
    assert choose_learner(summary, errors) == Kind.LOGISTIC_REGRESSION


def test_a_blend_better_by_more_than_its_standard_error_is_kept():
    summary = {
        Kind.GRADIENT_BOOSTING: {"roc_auc": 0.90},
        Kind.LOGISTIC_REGRESSION: {"roc_auc": 0.91},
        Kind.BLEND: {"roc_auc": 0.95},
    }
    errors = {Kind.GRADIENT_BOOSTING: 0.01, Kind.LOGISTIC_REGRESSION: 0.01, Kind.BLEND: 0.0399}
    assert choose_learner(summary, errors) == Kind.BLEND
    errors[Kind.BLEND] = 0.04
    assert choose_learner(summary, errors) == Kind.LOGISTIC_REGRESSION


def test_weights_follow_the_part_that_predicted_the_earlier_folds():
    rng = np.random.default_rng(0)
    churned = rng.random(4000) < 0.3
    informed = np.where(churned, 0.6, 0.2) + rng.normal(0, 0.05, 4000)
    backwards = np.where(churned, 0.3, 0.4) + rng.normal(0, 0.05, 4000)
    both = np.column_stack([informed, backwards]).clip(0.01, 0.99)
    weights = blend_weights(both, churned)
    # The second part ranks churners below loyal customers: it gets no weight, and the
    # first one its own logistic regression's.
    assert weights.weights[0] > 1 and weights.weights[1] == 0
    # Nothing predicted out of time yet (the first fold), or one class only: logistic
    # regression alone.
    assert blend_weights(None, None) == UNTRIED == ((1.0, 0.0), 0.0)
    assert blend_weights(both, np.zeros(4000, bool)) == UNTRIED


def test_the_change_of_a_blended_score_is_split_exactly_over_its_inputs():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {
            "complaints_90d": rng.poisson(1.0, 600).astype(float),
            "interactions_90d": rng.poisson(6.0, 600).astype(float),
            "renewal_within_horizon": (rng.random(600) < 0.3).astype(float),
        }
    )
    logit = -2 + X["complaints_90d"] - 0.2 * X["interactions_90d"] + X["renewal_within_horizon"]
    y = rng.random(600) < 1 / (1 + np.exp(-logit.to_numpy()))
    blend = fit_learner(Kind.BLEND, X, y, calibrate=True, weights=Weights((0.7, 0.4), -0.3))
    assert isinstance(blend.parts[1].estimator, HistGradientBoostingClassifier)
    then, now = X.iloc[:50], X.iloc[50:100].set_axis(X.index[:50])

    shares = explain._log_odds_change(blend, now, then)

    p_now, p_then = blend.predict_proba(now)[:, 1], blend.predict_proba(then)[:, 1]
    # Every row's shares add up to the change of the blend's log-odds (the intercept
    # cancels), and they are 0.7 x the logistic regression's plus 0.4 x the trees' shares.
    assert shares.sum(axis=1) == pytest.approx(log_odds(p_now) - log_odds(p_then), abs=1e-6)
    parts = [explain._log_odds_change(part, now, then) for part in blend.parts]
    assert shares == pytest.approx(0.7 * parts[0] + 0.4 * parts[1])
