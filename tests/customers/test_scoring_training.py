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


def test_model_is_backtested_forward_chained_and_stored(demo_company):
    model = training.train_model(as_of=AS_OF)

    assert model.kind in {
        RiskModel.Kind.GRADIENT_BOOSTING,
        RiskModel.Kind.LOGISTIC_REGRESSION,
        RiskModel.Kind.BLEND,
    }
    assert model.is_active and model.version == 1 and model.artifact
    dates = training.observation_dates(AS_OF, horizon_days=90, months=24)
    # The demo's history starts 2024-06-30; with 28 days of warm-up the monthly dates run
    # 2024-08-01 .. 2026-04-01 (21), the newest 90 days before the day.
    assert (dates[0], dates[-1], len(dates)) == (dt.date(2024, 8, 1), dt.date(2026, 4, 1), 21)
    assert (model.window_start, model.window_end) == (dates[0], dates[-1])
    assert model.train_rows == sum(active_on(d) for d in dates)
    assert model.churn_label == "explicit"

    # Validation dates: those whose 90-day look-back leaves at least 56 days of training
    # dates (2024-08-01 .. 2024-09-26), i.e. from 2025-01-01: 16, in four folds of four.
    folds = model.backtest["folds"]
    assert [(f["validate_from"], f["validate_to"]) for f in folds] == [
        ("2025-01-01", "2025-04-01"),
        ("2025-05-01", "2025-08-01"),
        ("2025-09-01", "2025-12-01"),
        ("2026-01-01", "2026-04-01"),
    ]
    # Each fold learns only from dates whose 90-day window closed before its first date.
    assert [(f["train_from"], f["train_to"]) for f in folds] == [
        ("2024-08-01", "2024-10-01"),
        ("2024-08-01", "2025-01-01"),
        ("2024-08-01", "2025-06-01"),
        ("2024-08-01", "2025-10-01"),
    ]
    assert folds[1]["validation_rows"] == sum(active_on(dt.date(2025, m, 1)) for m in (5, 6, 7, 8))
    for fold in folds:
        assert set(fold["methods"]) == {
            "gradient_boosting",
            "logistic_regression",
            "blend",
            "rules",
            "recency",
        }
    # The blend of the first fold is logistic regression alone (no earlier fold predicted
    # out of time to weigh the trees on), so it ranks exactly like it; later folds weigh
    # the parts on the folds before them.
    assert folds[0]["blend_weights"] == {
        "logistic_regression": 1.0,
        "gradient_boosting": 0.0,
        "intercept": 0.0,
    }
    first = folds[0]["methods"]
    assert first["blend"]["roc_auc"] == first["logistic_regression"]["roc_auc"]
    assert folds[1]["blend_weights"] != folds[0]["blend_weights"]
    summary = model.backtest["summary"]
    # The simplest learner within one standard error of the best mean is kept.
    errors = model.backtest["roc_auc_se"]
    for kind in training.LEARNERS:
        aucs = [fold["methods"][kind]["roc_auc"] for fold in folds if "methods" in fold]
        assert errors[kind] == pytest.approx(np.std(aucs, ddof=1) / len(aucs) ** 0.5, abs=6e-5)
    top = max(training.LEARNERS, key=lambda kind: summary[kind]["roc_auc"])
    bar = summary[top]["roc_auc"] - errors[top]
    simplest_first = ["logistic_regression", "gradient_boosting", "blend"]
    assert summary[model.kind]["roc_auc"] >= bar - 1e-9
    assert all(
        summary[kind]["roc_auc"] < bar - 1e-9
        for kind in simplest_first[: simplest_first.index(model.kind)]
    )
    assert model.backtest["top"] == top
    assert model.backtest["beats_rules"] is True
    assert model.backtest["decision"].startswith("Active:")
    assert len(model.backtest["calibration"][model.kind]) == 10
    for metric in ("roc_auc", "pr_auc", "lift_top_decile", "brier", "brier_skill", "base_rate"):
        assert metric in model.metrics
    # The generator makes churn follow the warning signs, so the model finds them.
    assert model.metrics["roc_auc"] >= 0.8
    assert model.metrics["lift_top_decile"] > 2
    assert model.metrics["brier_skill"] > 0
    assert "days_to_contract_end" not in model.features  # term features instead
    assert {"contract_term_days", "renewal_within_horizon"} <= set(model.features)
    assert set(model.feature_importance) >= {"engagement_ratio"}


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
