"""Staging a night's scores: every scored customer gets a narrow row; the reasons and
signs are staged only where a history row may be written (the score changed materially
apart from its tier, or its tier may move), and a tier that moves where no chunk expected
it still gets the day's reasons when the run finishes. A staging table emptied under a
run fails the run instead of ending everyone's scores."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from django.db import connection, transaction

from customers.models import RiskModel, RiskScore, ScoringRun, StagedScore
from customers.scoring import history, runs
from customers.scoring.features import CustomerSelection, compute_features
from tests.customers.test_scoring_runs import DAY, company, rules_model
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

D1, D2, D3 = dt.date(2026, 6, 1), dt.date(2026, 6, 2), dt.date(2026, 6, 3)
COMPLAINT = '["complaint"]'


def scores_frame(rows: list[dict]) -> pd.DataFrame:
    """The day's scores as a chunk hands them to the history (only what it compares)."""
    base = {
        "run_id": 0,
        "annual_value": 1000.0,
        "revenue_at_risk": 0.0,
        "reasons": "[]",
        "signals": "[]",
        "reason_codes": COMPLAINT,
        "signal_codes": COMPLAINT,
        "single_threaded": False,
        "active_contacts": 2,
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def before_frame(ids: list[int], model_id: int = 1) -> pd.DataFrame:
    """Each customer's score the day before: 50.0%, 1,000.00 a year, a complaint, two
    contacts."""
    return pd.DataFrame(
        {
            "model_id": model_id,
            "tier": 3,
            "probability": 0.5,
            "value_cents": 100_000,
            "reason_codes": COMPLAINT,
            "signal_codes": COMPLAINT,
            "single_threaded": False,
            "active_contacts": 2,
            "holds_on_day": True,
        },
        index=pd.Index(ids, name="customer_id"),
    )


def test_the_material_rule_apart_from_the_tier_in_numbers():
    scores = scores_frame(
        [
            {"customer_id": 1, "probability": 0.509},  # 0.9 points: kept
            {"customer_id": 2, "probability": 0.510},  # a whole point: written
            {"customer_id": 3, "probability": 0.491},  # 0.9 points down: kept
            {"customer_id": 4, "probability": 0.5, "annual_value": 1000.01},  # a cent more
            {"customer_id": 5, "probability": 0.5, "reason_codes": '["complaint", "no_contact"]'},
            {"customer_id": 6, "probability": 0.5, "signal_codes": "[]"},  # a sign cleared
            {"customer_id": 7, "probability": 0.5, "active_contacts": 3},
            {"customer_id": 8, "probability": 0.5, "single_threaded": True},
            {"customer_id": 9, "probability": 0.5},  # no score the day before
        ]
    )
    before = before_frame(list(range(1, 9)))
    changed = history.changed_materially(scores, before, model_id=1)
    assert changed.tolist() == [False, True, False, True, True, True, True, True, True]
    # Another model's scores replace the old model's, all of them.
    assert history.changed_materially(scores, before, model_id=2).all()


def open_row(customer, tier: int, probability: float, reasons=None) -> RiskScore:
    model = RiskModel.objects.first() or RiskModel.objects.create(
        version=1, kind="rules", as_of=D1, horizon_days=90, window_start=D1, window_end=D1
    )
    return RiskScore.objects.create(
        customer=customer,
        day=D1,
        model=model,
        tier=tier,
        probability=probability,
        annual_value=1000,
        revenue_at_risk=round(1000 * probability, 2),
        reasons=reasons if reasons is not None else [{"signal": "complaint", "text": "x"}],
        signals=[{"signal": "complaint", "text": "x"}],
        active_contacts=2,
    )


def test_only_scores_that_may_be_written_stage_their_reasons():
    # The current tiers: very high none; high 0.95, 0.90; medium 0.70, 0.65; low 0.40,
    # 0.35, 0.30, 0.25; very low 0.10, 0.05. With no run before (no ranks of margin), the
    # boundaries span high / medium 0.70-0.90, medium / low 0.40-0.65, low / very low
    # 0.10-0.25.
    layout = [(2, 0.95), (2, 0.90), (3, 0.70), (3, 0.65), (4, 0.40)]
    layout += [(4, 0.35), (4, 0.30), (4, 0.25), (5, 0.10), (5, 0.05)]
    customers = [CustomerFactory() for _ in layout]
    for customer, (tier, probability) in zip(customers, layout, strict=True):
        open_row(customer, tier, probability)
    newcomer = CustomerFactory()
    model = RiskModel.objects.get()
    run = ScoringRun.objects.create(day=D2, model=model)
    rows = [
        {"customer_id": c.pk, "probability": p, "run_id": run.pk}
        for c, (_, p) in zip(customers, layout, strict=True)
    ]
    rows[6]["reason_codes"] = '["complaint", "no_contact"]'  # 0.30: new reasons
    rows.append({"customer_id": newcomer.pk, "probability": 0.35, "run_id": run.pk})
    staged = history.staged_rows(run, scores_frame(rows), 0, 2**62)

    with_reasons = staged["reasons"].notna().to_numpy()
    # 0.95 (high), 0.35 (low), 0.05 (very low) sit inside their tiers: narrow rows, their
    # tier noted; 0.30 changed its reasons and the newcomer has no score before.
    assert with_reasons.tolist() == [
        *[False, True, True, True, True],
        *[False, True, True, True, False],
        True,
    ]
    assert staged["changed"].tolist() == [False] * 6 + [True] + [False] * 3 + [True]
    assert staged["held_tier"].tolist()[:6] == [2, 2, 3, 3, 4, 4]
    assert staged["held_tier"].isna().tolist()[6:] == [True, False, False, False, True]
    assert history.tier_edges(0) == [(np.inf, np.inf), (0.70, 0.90), (0.40, 0.65), (0.10, 0.25)]
    # One rank of margin: a boundary spans from the second lowest above it to the second
    # highest below it.
    assert history.tier_edges(1) == [(np.inf, np.inf), (0.65, 0.95), (0.35, 0.70), (0.05, 0.30)]


def night(model, day, scores: dict) -> dict:
    """Stage hand-made scores {customer: probability} (a complaint each) as a chunk
    does, and finish the run."""
    run, _ = ScoringRun.objects.update_or_create(
        day=day, defaults={"model": model, "status": "running", "customers_scored": 0}
    )
    reasons = json.dumps([{"signal": "complaint", "text": "Complaint"}])
    frame = scores_frame(
        [
            {
                "run_id": run.pk,
                "customer_id": c.pk,
                "probability": p,
                "revenue_at_risk": round(1000 * p, 2),
                "reasons": reasons,
                "signals": reasons,
            }
            for c, p in scores.items()
        ]
    )
    with transaction.atomic():
        runs.stage(run, history.staged_rows(run, frame, 0, 2**62), 0, 2**62)
    return runs.finish_run(run_id=run.pk)


def test_a_tier_moved_by_newcomers_gets_the_days_reasons_when_the_run_finishes(monkeypatch):
    # No ranks of margin around a boundary: only the customers on it stage their reasons.
    monkeypatch.setattr(history, "TIER_EDGE_SHARE", 0)
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=D1, horizon_days=90, window_start=D1, window_end=D1
    )
    probabilities = [0.95, 0.90, 0.70, 0.65, 0.40, 0.35, 0.30, 0.25, 0.10, 0.05]
    company_ = {CustomerFactory(): p for p in probabilities}
    r1 = next(iter(company_))
    # Ten customers: ranks 1-2 high, 3-4 medium, 5-8 low, 9-10 very low.
    night(model, D1, company_)
    assert night(model, D2, company_)["scores_written"] == 0
    # Two newcomers above everyone: twelve customers, rank 1 very high, 2 high, 3-5
    # medium, 6-10 low, 11-12 very low. 0.95 (high, staged narrow: above the high /
    # medium boundary of the night before, 0.70-0.90) drops to medium, as do 0.90 (high) and 0.65 (medium to low).
    newcomers = {CustomerFactory(): 0.99, CustomerFactory(): 0.98}
    summary = night(model, D3, {**newcomers, **company_})
    assert summary["scores_written"] == 5
    assert summary["reasons_late"] == 1
    assert summary["tiers"] == {"Very high": 1, "High": 1, "Medium": 3, "Low": 5, "Very low": 2}
    row = RiskScore.objects.current().get(customer=r1)
    assert (row.day, row.tier, row.probability) == (D3, 3, 0.95)
    # Its reasons are the day's, from its features read again (none fire for it here).
    features = compute_features(D3, CustomerSelection(ids=(r1.pk,)))
    run = ScoringRun.objects.get(day=D3)
    expected = (
        json.loads(runs.score_frame(run, features)["reasons"].iat[0]) if len(features) else []
    )
    assert row.reasons == expected
    assert RiskScore.objects.on_day(D2).get(customer=r1).tier == 2


def test_reasons_staged_late_are_those_the_chunk_would_have_staged():
    rules_model()
    customers = company(4)
    run, chunks = runs.start_run(day=DAY, chunk_size=10)
    for chunk in chunks:
        runs.score_chunk(run_id=run.pk, id_from=chunk.id_from, id_to=chunk.id_to)
    staged = dict(StagedScore.objects.filter(run=run).values_list("customer_id", "reasons"))
    assert all(reasons is not None for reasons in staged.values())  # no history yet
    third = customers[2].pk
    StagedScore.objects.filter(run=run, customer_id=third).update(reasons=None, signals=None)
    runs.stage_reasons(run, [third])
    assert StagedScore.objects.get(run=run, customer_id=third).reasons == staged[third]


def test_staged_scores_lost_under_a_run_fail_it_and_keep_the_day_before():
    rules_model()
    company(4)
    runs.score_all(day=DAY - dt.timedelta(days=1))
    run, chunks = runs.start_run(day=DAY, chunk_size=10)
    for chunk in chunks:
        runs.score_chunk(run_id=run.pk, id_from=chunk.id_from, id_to=chunk.id_to)
    assert ScoringRun.objects.get(pk=run.pk).customers_scored == 4
    # The database restarted: an UNLOGGED table comes back empty.
    StagedScore.objects.filter(run=run).delete()
    with pytest.raises(runs.StagingLost):
        runs.finish_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED
    assert "4 scores were staged" in run.error
    assert RiskScore.objects.current().count() == 4
    assert not RiskScore.objects.filter(valid_until__isnull=False).exists()


def test_a_chunk_run_twice_counts_its_scores_once():
    rules_model()
    company(6)
    run, chunks = runs.start_run(day=DAY, chunk_size=3)
    first = chunks[0]
    runs.score_chunk(run_id=run.pk, id_from=first.id_from, id_to=first.id_to)
    runs.score_chunk(run_id=run.pk, id_from=first.id_from, id_to=first.id_to)
    assert ScoringRun.objects.get(pk=run.pk).customers_scored == 3
    summary = runs.score_all(day=DAY, chunk_size=3)
    assert summary["customers"] == 6


def test_the_staging_table_writes_no_wal():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s",
            [StagedScore._meta.db_table],
        )
        assert cursor.fetchone() == ("u",)


def test_a_run_reads_the_tier_boundaries_once_when_it_starts():
    # The layout of the test above; a complete run before scored 100 customers, so the
    # margin is 1% of 100 = 1 rank: the boundaries as tier_edges(1) gives them above.
    layout = [(2, 0.95), (2, 0.90), (3, 0.70), (3, 0.65), (4, 0.40)]
    layout += [(4, 0.35), (4, 0.30), (4, 0.25), (5, 0.10), (5, 0.05)]
    for tier, probability in layout:
        open_row(CustomerFactory(), tier, probability)
    ScoringRun.objects.create(
        day=D1, model=RiskModel.objects.get(), status="complete", customers_scored=100
    )
    run, _ = runs.start_run(day=D2, chunk_size=10)
    run.refresh_from_db()
    assert run.tier_edges == [["inf", "inf"], [0.65, 0.95], [0.35, 0.70], [0.05, 0.30]]
    assert history.run_tier_edges(run) == [
        (np.inf, np.inf),
        (0.65, 0.95),
        (0.35, 0.70),
        (0.05, 0.30),
    ]
    # The chunks use what the run stored, even when the scores moved since it started.
    RiskScore.objects.filter(probability=0.95).update(probability=0.99)
    assert history.run_tier_edges(run)[1] == (0.65, 0.95)


def test_a_chunk_words_only_the_rows_asked_for_each_with_its_own_reasons():
    # Four customers whose contracts end 10, 19, 28 and 37 days after the day: the
    # renewal sign fires for each with its own number of days, so a reason worded for
    # the wrong row would show another customer's days.
    run = ScoringRun.objects.create(day=DAY, model=rules_model())
    customers = company(4)
    features = compute_features(DAY, CustomerSelection(ids=tuple(c.pk for c in customers)))
    whole = runs.score_frame(run, features)
    rows = np.array([False, True, False, True])
    reasons, signs = runs.reasons_and_signs(run, features, rows)
    assert reasons[0] is None and signs[2] is None
    for at in (1, 3):
        assert reasons[at] == whole["reasons"].iat[at]
        assert signs[at] == whole["signals"].iat[at]
    days = [f"{10 + 9 * i} days" for i in range(4)]
    assert [days[at] in signs[at] for at in (1, 3)] == [True, True]
    assert days[1] not in signs[3]
    # The codes the history compares are there without the wording.
    narrow = runs.score_frame(run, features, worded=False)
    assert "reasons" not in narrow
    assert narrow["reason_codes"].tolist() == whole["reason_codes"].tolist()
