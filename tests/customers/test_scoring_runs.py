"""Nightly scoring runs: one score per active customer for any day, exact tier sizes,
re-runs replace the day, and a run killed halfway ends right when run again."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import RiskModel, RiskScore, RiskTier, ScoringRun
from customers.scoring import runs
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 30)


def rules_model() -> RiskModel:
    from customers.scoring import signals

    return RiskModel.objects.create(
        version=1,
        kind=RiskModel.Kind.RULES,
        as_of=DAY,
        horizon_days=90,
        window_start=DAY,
        window_end=DAY,
        signal_weights=dict(signals.RULES_WEIGHTS),
    )


def company(count: int) -> list:
    owner = EmployeeFactory()
    customers = []
    for i in range(count):
        customer = CustomerFactory(primary_owner=owner, customer_since=dt.date(2025, 1, 1))
        # Contracts ending 1..count days after the day: the sooner, the riskier.
        ContractFactory(
            customer=customer,
            start_date=dt.date(2026, 1, 1),
            end_date=DAY + dt.timedelta(days=10 + 9 * i),
            annual_value=Decimal(1000 * (i + 1)),
        )
        customers.append(customer)
    return customers


def test_tier_bounds_follow_the_configured_shares():
    # 5/15/25/35/20 of 200: 10, 30, 50, 70, 40 customers.
    assert runs.tier_bounds(200, [5, 15, 25, 35, 20]) == [10, 40, 90, 160, 200]
    assert runs.tier_bounds(20, [5, 15, 25, 35, 20]) == [1, 4, 9, 16, 20]


def test_a_run_scores_every_active_customer_once_with_exact_tier_sizes():
    rules_model()
    company(40)
    summary = runs.score_all(day=DAY, chunk_size=7)

    scores = RiskScore.objects.filter(day=DAY)
    assert scores.count() == 40
    # 5/15/25/35/20 % of 40 = 2, 6, 10, 14, 8.
    assert summary["tiers"] == {"Very high": 2, "High": 6, "Medium": 10, "Low": 14, "Very low": 8}
    run = ScoringRun.objects.get(day=DAY)
    assert (run.status, run.chunks_total, run.chunks_done) == ("complete", 6, 6)
    # The riskiest are scored very high: nobody in a lower tier has a higher probability.
    very_high = min(scores.filter(tier=RiskTier.VERY_HIGH).values_list("probability", flat=True))
    assert very_high >= max(
        scores.exclude(tier=RiskTier.VERY_HIGH).values_list("probability", flat=True)
    )


def test_revenue_at_risk_is_probability_times_annual_value():
    rules_model()
    customer = company(1)[0]
    runs.score_all(day=DAY)
    score = RiskScore.objects.get(customer=customer, day=DAY)
    # Contract ends in 10 days with no renewal talk (0.25 points), no contact for 545 days
    # (0.10), base 0.02: 1 - 0.98 * 0.75 * 0.90 = 0.3385.
    assert score.probability == pytest.approx(0.3385)
    assert score.annual_value == Decimal("1000.00")
    assert score.revenue_at_risk == Decimal("338.50")


def test_rerunning_the_day_replaces_its_scores():
    rules_model()
    customers = company(12)
    runs.score_all(day=DAY, chunk_size=5)
    first_ids = set(RiskScore.objects.values_list("id", flat=True))
    # One customer churns before the re-run: its score for the day goes.
    gone = customers[-1]
    gone.status, gone.churned_on, gone.churn_reason = "churned", DAY, "price"
    gone.save()

    runs.score_all(day=DAY, chunk_size=5)

    assert RiskScore.objects.filter(day=DAY).count() == 11
    assert not RiskScore.objects.filter(customer=gone).exists()
    assert first_ids.isdisjoint(RiskScore.objects.values_list("id", flat=True))
    assert ScoringRun.objects.filter(day=DAY).count() == 1


def test_a_run_killed_halfway_and_run_again_ends_with_one_score_per_customer():
    rules_model()
    company(20)
    run, chunks = runs.start_run(day=DAY, chunk_size=5)
    runs.score_chunk(run_id=run.pk, id_from=chunks[0].id_from, id_to=chunks[0].id_to)
    runs.score_chunk(run_id=run.pk, id_from=chunks[1].id_from, id_to=chunks[1].id_to)
    # ... the worker dies here; the run never finished.
    assert ScoringRun.objects.get(day=DAY).status == "running"
    assert not RiskScore.objects.current().exists()

    runs.score_all(day=DAY, chunk_size=5)

    assert RiskScore.objects.filter(day=DAY).count() == 20
    assert RiskScore.objects.filter(day=DAY, tier__isnull=True).count() == 0
    assert RiskScore.objects.current().count() == 20


def test_history_is_kept_and_an_unchanged_score_is_not_written_again():
    rules_model()
    company(3)
    runs.score_all(day=DAY - dt.timedelta(days=1))
    summary = runs.score_all(day=DAY)
    # Nothing changed overnight: the three rows of the day before hold on.
    assert summary["scores_written"] == 0
    assert RiskScore.objects.count() == 3
    assert set(RiskScore.objects.current().values_list("day", flat=True)) == {
        DAY - dt.timedelta(days=1)
    }
    assert RiskScore.objects.on_day(DAY).count() == 3
    assert RiskScore.objects.on_day(DAY - dt.timedelta(days=1)).count() == 3
    assert not RiskScore.objects.on_day(DAY - dt.timedelta(days=2)).exists()


def test_a_chunk_staged_again_is_not_counted_twice():
    """A chunk whose first attempt committed runs again (its worker died before the step
    was marked done): the run still has as many chunks done as it has chunks (it said
    "6 of 5 chunks done")."""
    rules_model()
    company(10)
    run, chunks = runs.start_run(day=DAY, chunk_size=5)
    assert len(chunks) == 2
    first = chunks[0]
    runs.score_chunk(run_id=run.pk, id_from=first.id_from, id_to=first.id_to)
    runs.score_chunk(run_id=run.pk, id_from=first.id_from, id_to=first.id_to)  # again
    run.refresh_from_db()
    assert (run.chunks_done, run.chunks_total, run.customers_scored) == (1, 2, 5)
    runs.score_chunk(run_id=run.pk, id_from=chunks[1].id_from, id_to=chunks[1].id_to)
    run.refresh_from_db()
    assert (run.chunks_done, run.customers_scored) == (2, 10)
