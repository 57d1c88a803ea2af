"""Training on the demo company's history: time-based validation without leaks, both
candidates compared, the better one calibrated and stored with its metrics."""

import datetime as dt

import numpy as np
import pytest

from customers import demo
from customers.models import Customer, RiskModel, RiskScore
from customers.scoring import runs, training

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def demo_company():
    demo.generate(customers=800, interactions=60_000, seed=7, as_of=AS_OF)


def active_on(day: dt.date) -> int:
    return Customer.objects.filter(customer_since__lte=day).exclude(churned_on__lte=day).count()


def test_model_is_trained_validated_by_time_and_stored(demo_company):
    model = training.train_model(as_of=AS_OF)

    assert model.kind in {RiskModel.Kind.GRADIENT_BOOSTING, RiskModel.Kind.LOGISTIC_REGRESSION}
    assert model.is_active and model.version == 1 and model.artifact
    dates = training.observation_dates(AS_OF, horizon_days=90, months=24)
    # Monthly, newest 90 days before the day, and never before the history's warm-up.
    assert dates[-1] == AS_OF - dt.timedelta(days=90)
    assert (model.window_start, model.window_end) == (dates[0], dates[-1])
    # The demo's history starts 2024-06-30; with four months of warm-up the monthly dates
    # run 2024-11-01 .. 2026-04-01 (18). Validation: the last three, from 2026-02-01.
    # Training: dates whose 90-day label window closes by then, up to 2025-11-01 (92 days).
    assert (dates[0], len(dates)) == (dt.date(2024, 11, 1), 18)
    validation = dates[-3:]
    train_dates = dates[:13]
    assert train_dates[-1] == dt.date(2025, 11, 1)
    assert model.validation_rows == sum(active_on(d) for d in validation)
    assert model.train_rows == sum(active_on(d) for d in train_dates)

    candidates = model.metrics["candidates"]
    assert set(candidates) == {"gradient_boosting", "logistic_regression"}
    assert model.kind == max(candidates, key=lambda kind: candidates[kind]["roc_auc"])
    for metric in ("roc_auc", "pr_auc", "lift_top_decile", "brier", "base_rate"):
        assert metric in model.metrics
    # The generator makes churn follow the warning signs, so the model finds them.
    assert model.metrics["roc_auc"] >= 0.8
    assert model.metrics["lift_top_decile"] > 2
    assert 0 < model.metrics["brier"] < model.metrics["base_rate"]
    assert set(model.feature_importance) >= {"engagement_ratio", "days_to_contract_end"}


def test_trained_model_scores_with_calibrated_probabilities(demo_company):
    model = training.train_model(as_of=AS_OF)
    runs.score_all(day=AS_OF)
    assert model.runs.get().day == AS_OF
    probabilities = np.array(
        RiskScore.objects.filter(day=AS_OF).values_list("probability", flat=True)
    )
    assert len(probabilities) == active_on(AS_OF)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    # Calibrated: the mean predicted risk is near the share that churns in 90 days.
    assert abs(probabilities.mean() - model.base_rate) < 0.05
