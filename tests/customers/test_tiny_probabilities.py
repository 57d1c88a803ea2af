"""A well-fitted model gives healthy customers probabilities far below one in a million.
They are stored as they are, so the tiers still rank them: the customer the model finds
riskier gets the higher tier, not the one with the lower id."""

from __future__ import annotations

import math
import pickle
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from customers.models import RiskModel, RiskScore
from customers.scoring import runs
from tests.customers.scoring_world import AS_OF
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _model_of_value(intercept: float, per_unit: float) -> RiskModel:
    """A real logistic regression on one input, annual value, with set coefficients:
    p = 1 / (1 + exp(-(intercept + per_unit * annual_value)))."""
    estimator = LogisticRegression().fit(pd.DataFrame({"annual_value": [0.0, 1.0]}), [0, 1])
    estimator.coef_ = np.array([[per_unit]])
    estimator.intercept_ = np.array([intercept])
    return RiskModel.objects.create(
        version=1,
        kind=RiskModel.Kind.LOGISTIC_REGRESSION,
        as_of=AS_OF,
        horizon_days=90,
        window_start=AS_OF,
        window_end=AS_OF,
        features=["annual_value"],
        artifact=pickle.dumps(estimator),
    )


def test_the_riskier_of_two_healthy_customers_ranks_higher():
    small = CustomerFactory(name="Small")  # the lower id
    large = CustomerFactory(name="Large")
    for customer, value in ((small, "1000"), (large, "2000")):
        ContractFactory(
            customer=customer,
            start_date=AS_OF.replace(month=1, day=1),
            end_date=AS_OF.replace(month=12, day=31),
            annual_value=Decimal(value),
        )
    _model_of_value(intercept=-30.0, per_unit=0.001)
    runs.score_all(day=AS_OF)
    scores = {s.customer_id: s for s in RiskScore.objects.on_day(AS_OF)}
    # By hand: p = 1 / (1 + e^29) = 2.54e-13 for Small, 1 / (1 + e^28) = 6.91e-13 for Large.
    assert scores[small.pk].probability == pytest.approx(1 / (1 + math.exp(29)), rel=1e-6)
    assert scores[large.pk].probability == pytest.approx(1 / (1 + math.exp(28)), rel=1e-6)
    # Two customers: tier shares 5/15/25/35/20 put rank 1 in "high" (round(2 * 20 / 100)
    # = 0 very high) and rank 2 lower; the riskier one (Large) takes rank 1.
    assert scores[large.pk].tier < scores[small.pk].tier
