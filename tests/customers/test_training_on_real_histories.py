"""Training on a company the features were not written for: short history, monthly
subscriptions, usage events, no ratings and no contacts. Worked out from
simulated_company.py (240 customers, 300 days of history up to 2026-06-30)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.utils import translation
from django.utils.formats import date_format
from sklearn.ensemble import HistGradientBoostingClassifier

from customers.models import Customer, RiskModel, RiskScore, UsageDay
from customers.scoring import features as feature_module
from customers.scoring import runs, signals, training
from tests.customers.simulated_company import AS_OF, build_company
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def test_a_column_empty_in_every_row_crashed_gradient_boosting():
    """The crash the company without ratings met: scikit-learn's histogram binning
    refuses a column with no value at all."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"interactions_90d": rng.normal(size=200), "latest_satisfaction": np.nan})
    y = rng.random(200) < 0.3
    with pytest.raises(ValueError, match="window shape cannot be larger than input array shape"):
        HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    assert training.usable_features(X, ["interactions_90d", "latest_satisfaction"]) == [
        "interactions_90d"
    ]


def test_constant_columns_are_left_out_too():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 0.0], "c": [np.nan, 5.0, np.nan]})
    assert training.usable_features(X, ["a", "b", "c", "missing"]) == ["a"]


def english_date(day: dt.date) -> str:
    with translation.override("en"):
        return date_format(day)


@pytest.fixture
def company():
    return build_company()


def test_short_history_without_ratings_or_contacts_trains_and_scores(company):
    model = training.train_model(as_of=AS_OF)

    assert model.kind in training.LEARNERS, model.note
    # 300 days of history: fewer than 12 monthly dates, so they are weekly, the newest
    # 90 days before the day and the first 28 days after the history starts.
    dates = training.observation_dates(AS_OF, horizon_days=90, months=24)
    assert dates[-1] == AS_OF - dt.timedelta(days=90)
    assert all((b - a).days == 7 for a, b in zip(dates, dates[1:], strict=False))
    assert dates[0] >= company.start + dt.timedelta(days=28)
    assert (model.window_start, model.window_end) == (dates[0], dates[-1])
    # Ratings, contacts, owner changes: nothing to learn from, so not inputs.
    for absent in ("latest_satisfaction", "satisfaction_change", "active_contacts"):
        assert absent not in model.features
    assert "usage:reports_run:28d" in model.features
    assert model.note.startswith("Left out (empty or constant in every row):")
    assert model.note_code == "left_out" and "active_contacts" in model.note_params["features"]
    # Scoring the company the same day works and uses the model.
    result = runs.score_all(day=AS_OF)
    active = Customer.objects.filter(customer_since__lte=AS_OF).exclude(churned_on__lte=AS_OF)
    assert result["customers"] == active.count()
    assert RiskScore.objects.filter(day=AS_OF, model=model).count() == active.count()


def test_scoring_with_a_model_whose_usage_event_disappeared(company):
    model = training.train_model(as_of=AS_OF)
    frame = feature_module.compute_features(AS_OF, events=["logins"])
    inputs = feature_module.model_inputs(frame, model.features)
    assert list(inputs.columns) == model.features
    assert (inputs["usage:reports_run:28d"] == 0).all()
    assert (inputs["usage:reports_run:days_since"] == feature_module.NEVER_USED_DAYS).all()
    assert len(runs.predict(model, frame, signals.fired(frame))) == len(frame)


def test_the_enough_history_rule_counts_every_churner_and_says_when(company, settings):
    settings.MIN_CHURNERS_TO_TRAIN = 10_000
    model = training.train_model(as_of=AS_OF)
    dates = training.observation_dates(AS_OF, horizon_days=90, months=24)
    churned = Customer.objects.filter(churned_on__gt=dates[0], churned_on__lte=AS_OF)
    assert model.is_rules_based and model.is_active
    assert model.churners == churned.count()
    # Stored as a code and its figures (worded per reader), and in English.
    assert model.note_code == "few_churners"
    assert model.note_params | {"per_month": None, "about": None} == {
        "count": churned.count(),
        "label": "explicit",
        "start": dates[0].isoformat(),
        "end": AS_OF.isoformat(),
        "needed": 10_000,
        "more": 10_000 - churned.count(),
        "per_month": None,
        "about": None,
    }
    assert (
        f"{churned.count()} customers churned in the labelled history "
        f"({english_date(dates[0])} to {english_date(AS_OF)}); "
        f"at least 10000 are needed, {10_000 - churned.count()} more." in model.note
    )
    assert "At the pace of the last 12 months" in model.note


def test_too_short_a_history_says_when_training_becomes_possible():
    company = build_company(customers=60, days=150)
    model = training.train_model(as_of=AS_OF)
    assert model.is_rules_based
    # Weekly dates from start + 28 days; 4 folds need 56 days of training dates, then
    # 2 x 90 days (a fold's look-back and its own label window) and 3 weeks more.
    enough_on = company.start + dt.timedelta(days=28 + 56 + 180 + 21)
    assert model.note_code == "short_history"
    assert model.note_params["enough_on"] == enough_on.isoformat()
    assert f"Training becomes possible on {english_date(enough_on)}." in model.note
    assert "0 of the 4 backtest folds needed" in model.note


def test_contract_label_counts_monthly_contracts_that_were_not_renewed(company):
    events = training.churn_events(AS_OF, "contract")
    explicit = training.churn_events(AS_OF, "explicit")
    # Every churner's last contract ends on its churn day: the lapse is the same day,
    # known once the 30 grace days have passed without a new contract.
    lapses = events.iloc[len(explicit) :]
    merged = lapses.merge(explicit, on="customer_id", suffixes=("_lapse", "_marked"))
    known = explicit[explicit["churned_on"] <= AS_OF - dt.timedelta(days=30)]
    assert 0 < len(known) < len(explicit)
    assert len(merged) == len(lapses) == len(known)
    assert (merged["churned_on_lapse"] == merged["churned_on_marked"]).all()


def test_model_stores_its_label(company, settings):
    settings.CHURN_LABEL = "contract"
    model = training.train_model(as_of=AS_OF)
    assert model.churn_label == "contract"
    assert RiskModel.objects.filter(churn_label="contract").exists()


def test_implicit_label_is_no_activity_in_the_next_n_days_among_the_recently_active(settings):
    settings.IMPLICIT_CHURN_DAYS = [90, 90, 60]  # core, important, general
    owner = EmployeeFactory()
    day = dt.date(2026, 3, 1)
    quiet = CustomerFactory(
        segment="general", customer_since=dt.date(2025, 1, 1), primary_owner=owner
    )
    busy = CustomerFactory(
        segment="general", customer_since=dt.date(2025, 1, 1), primary_owner=owner
    )
    back = CustomerFactory(
        segment="general", customer_since=dt.date(2025, 1, 1), primary_owner=owner
    )
    asleep = CustomerFactory(
        segment="general", customer_since=dt.date(2025, 1, 1), primary_owner=owner
    )
    core = CustomerFactory(segment="core", customer_since=dt.date(2025, 1, 1), primary_owner=owner)

    def used(customer, offset):
        UsageDay.objects.create(
            customer=customer, day=day + dt.timedelta(days=offset), event="logins", quantity=1
        )

    used(quiet, -10)  # active before, nothing after: churned
    used(busy, -10)
    used(busy, 30)  # came back within 60 days: stayed
    used(back, -5)
    used(back, 75)  # after the general segment's 60 days: churned
    used(asleep, -100)  # not active in the 60 days before: not a row at all
    used(core, -5)
    used(core, 75)  # within the core segment's 90 days: stayed
    data = training.build_training_set([day], horizon_days=90, label="implicit", as_of=AS_OF)
    labels = dict(zip(data.features.index, data.churned, strict=True))
    assert labels == {quiet.pk: True, busy.pk: False, back.pk: True, core.pk: False}


def test_monthly_subscriptions_are_no_contract_ending_sign_but_annual_ones_are(company):
    frame = feature_module.compute_features(AS_OF)
    with_contract = frame[frame["contract_term_days"].notna()]
    # Monthly contracts: 28 to 31 days, each ending within the 90-day horizon.
    assert with_contract["contract_term_days"].between(28, 31).all()
    assert (with_contract["renewal_within_horizon"] == 1).all()
    flags = signals.fired(frame)
    assert not flags["contract_ending_90"].any()

    annual = CustomerFactory(customer_since=dt.date(2025, 1, 1))
    ContractFactory(customer=annual, start_date=dt.date(2025, 8, 29), end_date=dt.date(2026, 8, 28))
    row = feature_module.compute_features(AS_OF).loc[[annual.pk]]
    # 365 days; ends in 59 days (2026-08-28), inside the horizon; 59/365 of it left.
    assert row["contract_term_days"].iloc[0] == 365
    assert row["days_to_contract_end"].iloc[0] == 59
    assert row["term_remaining_share"].iloc[0] == pytest.approx(59 / 365)
    assert signals.fired(row)["contract_ending_90"].iloc[0]


def test_the_api_serves_the_backtest_and_the_inputs_of_the_model(company):
    from tests.api.helpers import integration_client

    model = training.train_model(as_of=AS_OF)
    client, _ = integration_client()
    body = client.get("/api/v1/risk-models/current/").json()
    assert body["version"] == model.version and body["churn_label"] == "explicit"
    assert body["features"] == model.features
    folds = body["backtest"]["folds"]
    assert len(folds) == 4
    assert set(folds[0]["methods"]) == {
        "gradient_boosting",
        "logistic_regression",
        "blend",
        "rules",
        "recency",
    }
    # Which learner was chosen, and why: the decision names it and the other learners.
    assert body["kind"] == body["backtest"]["chosen"] == model.kind
    assert body["backtest"]["decision"] == model.backtest["decision"]
    assert "the best of the learners" in body["backtest"]["decision"]
    assert "artifact" not in body
