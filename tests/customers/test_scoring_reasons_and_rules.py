"""Reasons in words with their numbers, and the rules-based score used while the history
is too short to train on."""

import pandas as pd
import pytest

from customers.models import RiskModel, RiskScore
from customers.scoring import runs, signals, training
from tests.customers.scoring_world import AS_OF, build_world

pytestmark = pytest.mark.django_db


def test_too_few_churners_gives_a_rules_based_model_that_says_so():
    build_world()  # one churner (Bravo), far below the 30 needed
    model = training.train_model(as_of=AS_OF)
    assert model.kind == RiskModel.Kind.RULES
    assert model.is_rules_based and model.artifact is None
    assert model.description == "Rules-based score, not enough history to train."
    assert "at least 30 are needed" in model.note
    assert model.signal_weights == signals.RULES_WEIGHTS


def test_rules_score_and_reasons_for_the_hand_made_customers():
    world = build_world()
    summary = runs.score_all(day=AS_OF)  # no model yet: the run sets up the rules fallback
    assert summary["model"]["kind"] == "rules"

    alpha = RiskScore.objects.get(customer=world.alpha, day=AS_OF)
    # Fired for Alpha: complaint .15, discount .15, satisfaction drop .10, decision-maker
    # left .20, owner departing .15, owner departed .20:
    # 1 - 0.98 * .85 * .85 * .90 * .80 * .85 * .80 = 0.65333872
    assert alpha.probability == pytest.approx(0.653339, abs=1e-6)
    assert alpha.reason_texts == [
        "Decision-maker left on 2026-05-01",
        "Owner left on 2026-05-10",
        "Complaint 9 days ago (1 complaint in 90 days)",
    ]

    bravo = RiskScore.objects.get(customer=world.bravo, day=AS_OF)
    # Engagement drop .20 (1 interaction against 3 a month) and single-threaded .05.
    assert bravo.probability == pytest.approx(1 - 0.98 * 0.80 * 0.95)
    assert bravo.reason_texts == [
        "Interactions down 67% vs the prior 3-month average",
        "Only one person has talked to them in 180 days",
    ]
    assert [r["signal"] for r in bravo.reasons] == ["engagement_drop", "single_threaded"]
    # Kept with the score so exposure reports need not re-read the interactions.
    assert (alpha.single_threaded, alpha.active_contacts) == (False, 2)
    assert (bravo.single_threaded, bravo.active_contacts) == (True, 0)


def test_contract_end_without_renewal_talk_reads_with_the_days_left():
    features = pd.DataFrame(
        {"days_to_contract_end": [41.0, 150.0], "renewal_talks_180d": [0, 0]}, index=[7, 8]
    )
    assert list(
        signals.SIGNAL_BY_CODE["contract_ending_90"].fires(
            features, signals.SIGNAL_BY_CODE["contract_ending_90"].defaults
        )
    ) == [True, False]
    assert list(
        signals.SIGNAL_BY_CODE["contract_ending_180"].fires(
            features, signals.SIGNAL_BY_CODE["contract_ending_180"].defaults
        )
    ) == [False, True]
    assert signals.SIGNAL_BY_CODE["contract_ending_90"].text(features, {}).iloc[0] == (
        "Contract ends in 41 days, no renewal talk logged"
    )


def test_signal_lift_is_the_churn_rate_with_the_signal_over_the_base_rate():
    # 20 customers, 4 churned (base 0.2); the signal fires for 5 of them, 3 of whom churned.
    flags = pd.DataFrame({"complaint": [True] * 5 + [False] * 15})
    churned = pd.Series([True, True, True, False, False, True] + [False] * 14)
    assert signals.signal_lift(flags, churned) == {"complaint": 3.0}  # 0.6 / 0.2


def test_a_trained_model_only_gives_reasons_that_raised_churn_in_the_history():
    features = pd.DataFrame(
        {
            "complaints_60d": [1],
            "days_since_complaint": [3.0],
            "complaints_90d": [1],
            "discount_requests_60d": [1],
            "days_since_discount_request": [5.0],
        },
        index=[1],
    )
    flags = pd.DataFrame({"complaint": [True], "discount_request": [True]}, index=[1])
    reasons = signals.top_reasons(features, flags, {"complaint": 2.5, "discount_request": 0.8})
    assert reasons == [
        '[{"signal": "complaint", "text": "Complaint 3 days ago (1 complaint in 90 days)", '
        '"params": {"days_ago": 3, "complaints": 1}}]'
    ]


def test_rules_scores_rank_the_hand_made_customers_sensibly():
    world = build_world()
    runs.score_all(day=AS_OF)
    assert (
        RiskScore.objects.get(customer=world.alpha).tier
        < RiskScore.objects.get(customer=world.bravo).tier
    )


def test_a_new_model_replaces_the_active_one():
    build_world()
    first = training.train_model(as_of=AS_OF)
    second = training.train_model(as_of=AS_OF)
    first.refresh_from_db()
    assert (first.is_active, second.is_active, second.version) == (False, True, 2)
    assert runs.current_model(as_of=AS_OF) == second


def test_a_drop_needs_a_real_baseline_of_one_a_month():
    features = pd.DataFrame(
        {
            "usage_30d": [0, 0],
            "usage_prior_90d": [1, 6],  # a third of one a month; two a month
            "usage_ratio": [0.0, 0.0],
        },
        index=[1, 2],
    )
    usage_drop = signals.SIGNAL_BY_CODE["usage_drop"]
    assert list(usage_drop.fires(features, usage_drop.defaults)) == [False, True]
    assert usage_drop.text(features, {}).iloc[1] == (
        "Product usage down 100% vs the prior 3-month average"
    )


def test_a_model_trained_on_other_features_is_replaced_before_scoring():
    import pickle

    from sklearn.linear_model import LogisticRegression

    build_world()
    stale_estimator = LogisticRegression().fit(
        pd.DataFrame({"owner_departed_90d": [0.0, 1.0]}), [False, True]
    )
    stale = RiskModel.objects.create(
        version=1,
        kind=RiskModel.Kind.LOGISTIC_REGRESSION,
        as_of=AS_OF,
        horizon_days=90,
        window_start=AS_OF,
        window_end=AS_OF,
        artifact=pickle.dumps(stale_estimator),
    )
    summary = runs.score_all(day=AS_OF)
    model = runs.current_model(as_of=AS_OF)
    assert model != stale and model.version == 2
    assert summary["customers"] == 2
