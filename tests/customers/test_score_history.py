"""The score history grows with change: a night writes a row only for a customer whose
score changed materially, ends the row of a customer no longer scored, and every day
still reads exactly one score per scored customer, however often a day is scored."""

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pytest
from django.db import transaction

from customers.models import ChurnReason, Customer, RiskModel, RiskScore, ScoringRun, StagedScore
from customers.scoring import history, runs
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

D1, D2, D3 = dt.date(2026, 6, 1), dt.date(2026, 6, 2), dt.date(2026, 6, 3)
COMPLAINT = {"signal": "complaint", "text": "Complaint 3 days ago"}
NO_CONTACT = {"signal": "no_contact", "text": "No contact for 75 days"}


@pytest.fixture
def model():
    return RiskModel.objects.create(
        version=1, kind="rules", as_of=D1, horizon_days=90, window_start=D1, window_end=D1
    )


def night(model, day, scores: dict) -> dict:
    """Score `day` with hand-made scores: {customer: (probability, reasons)} or
    {customer: (probability, reasons, annual value)}; the tiers come from the ranks. The
    scores are staged as a chunk stages them (compared with the history first)."""
    run, _ = ScoringRun.objects.update_or_create(
        day=day, defaults={"model": model, "status": "running", "customers_scored": 0}
    )
    StagedScore.objects.filter(run=run).delete()
    rows = []
    for customer, (probability, reasons, *value) in scores.items():
        value = Decimal(value[0] if value else 1000)
        codes = json.dumps([reason["signal"] for reason in reasons])
        rows.append(
            {
                "run_id": run.pk,
                "customer_id": customer.pk,
                "probability": probability,
                "annual_value": float(value),
                "revenue_at_risk": float(
                    (value * Decimal(str(probability))).quantize(Decimal("0.01"))
                ),
                "reasons": json.dumps(reasons),
                "signals": json.dumps(reasons),
                "reason_codes": codes,
                "signal_codes": codes,
                "single_threaded": False,
                "active_contacts": 0,
            }
        )
    if rows:
        with transaction.atomic():
            frame = pd.DataFrame(rows)
            runs.stage(run, history.staged_rows(run, frame, 0, 2**62), 0, 2**62)
    return runs.finish_run(run_id=run.pk)


def probability_on(customer, day):
    return RiskScore.objects.on_day(day).get(customer=customer).probability


def every_day_reads_one_score_per_customer(customers, days):
    for day in days:
        counts = [RiskScore.objects.on_day(day).filter(customer=c).count() for c in customers]
        assert max(counts) <= 1, day


def test_a_score_that_moved_less_than_a_point_keeps_its_row(model):
    a, b = CustomerFactory(), CustomerFactory()
    night(model, D1, {a: (0.500, [COMPLAINT]), b: (0.100, [])})
    # A moves 0.9 points, Bravo 1.0 point: only Bravo's moves enough to be written.
    summary = night(model, D2, {a: (0.509, [COMPLAINT]), b: (0.110, [])})
    assert summary["scores_written"] == 1
    assert RiskScore.objects.filter(customer=a).count() == 1
    assert probability_on(a, D2) == 0.5  # the stored score holds on
    assert probability_on(b, D2) == 0.11 and probability_on(b, D1) == 0.1
    # The run's revenue at risk is what every page sums for the day, the rows in force:
    # A's stored 0.500 x 1,000 + Bravo's 0.110 x 1,000 = 610.00 (not A's fresh 509.00).
    assert summary["revenue_at_risk"] == 610.0
    assert ScoringRun.objects.get(day=D2).revenue_at_risk == Decimal("610.00")
    # A drifts on by 0.6 points: 1.5 points from the stored 0.500, so it is written now
    # (compared with what is stored, not with the night before, so it never drifts far).
    summary = night(model, D3, {a: (0.515, [COMPLAINT]), b: (0.110, [])})
    assert summary["scores_written"] == 1
    assert [probability_on(a, day) for day in (D1, D2, D3)] == [0.5, 0.5, 0.515]
    assert ScoringRun.objects.get(day=D3).customers_scored == 2


def test_new_reasons_a_new_tier_or_value_write_a_row_and_new_words_do_not(model):
    a, b = CustomerFactory(), CustomerFactory()
    night(model, D1, {a: (0.5, [COMPLAINT]), b: (0.1, [])})
    later = {"signal": "complaint", "text": "Complaint 4 days ago"}
    # A: same sign, other words (its figures age a day); B: a new sign.
    summary = night(model, D2, {a: (0.5, [later]), b: (0.1, [NO_CONTACT])})
    assert summary["scores_written"] == 1
    assert RiskScore.objects.on_day(D2).get(customer=a).reasons == [COMPLAINT]
    assert RiskScore.objects.on_day(D2).get(customer=b).reasons == [NO_CONTACT]
    # B overtakes A: both change tier (ranks of two: medium and low, swapped).
    summary = night(model, D3, {a: (0.5, [COMPLAINT]), b: (0.6, [NO_CONTACT], 2000)})
    assert summary["scores_written"] == 2
    assert RiskScore.objects.on_day(D3).get(customer=b).annual_value == Decimal("2000.00")


def test_a_customer_no_longer_scored_has_their_row_ended_and_a_return_begins_a_new_one(
    model,
):
    a, b = CustomerFactory(), CustomerFactory()
    night(model, D1, {a: (0.5, []), b: (0.1, [])})
    Customer.objects.filter(pk=b.pk).update(
        status="churned", churned_on=D2, churn_reason=ChurnReason.PRICE
    )
    summary = night(model, D2, {a: (0.5, [])})  # B churned
    assert summary["scores_ended"] == 1
    assert not RiskScore.objects.on_day(D2).filter(customer=b).exists()
    assert RiskScore.objects.current().filter(customer=b).count() == 0
    assert probability_on(b, D1) == 0.1
    Customer.objects.filter(pk=b.pk).update(status="active", churned_on=None, churn_reason="")
    night(model, D3, {a: (0.5, []), b: (0.1, [])})  # back again
    assert probability_on(b, D3) == 0.1
    assert list(RiskScore.objects.filter(customer=b).values_list("day", "valid_until")) == [
        (D3, None),
        (D1, D2),
    ]


def test_running_a_day_again_ends_as_if_it_had_run_once(model):
    a, b = CustomerFactory(), CustomerFactory()
    night(model, D1, {a: (0.5, [COMPLAINT]), b: (0.1, [])})
    night(model, D2, {a: (0.7, [COMPLAINT]), b: (0.1, [])})
    # The day again with other data: A back where it was, B risen.
    night(model, D2, {a: (0.5, [COMPLAINT]), b: (0.2, [])})
    again = list(
        RiskScore.objects.order_by("customer_id", "day").values_list(
            "customer_id", "day", "valid_until", "probability"
        )
    )
    assert again == [
        (a.pk, D1, None, 0.5),
        (b.pk, D1, D2, 0.1),
        (b.pk, D2, None, 0.2),
    ]
    # And once more with the same data: the same rows, and A's untouched.
    kept = RiskScore.objects.get(customer=a).pk
    night(model, D2, {a: (0.5, [COMPLAINT]), b: (0.2, [])})
    assert (
        list(
            RiskScore.objects.order_by("customer_id", "day").values_list(
                "customer_id", "day", "valid_until", "probability"
            )
        )
        == again
    )
    assert RiskScore.objects.get(customer=a).pk == kept
    every_day_reads_one_score_per_customer([a, b], [D1, D2])


def test_scoring_an_older_day_again_changes_that_day_only(model):
    a, b = CustomerFactory(), CustomerFactory()
    night(model, D1, {a: (0.5, []), b: (0.1, [])})
    night(model, D2, {a: (0.5, []), b: (0.1, [])})
    night(model, D3, {a: (0.5, []), b: (0.3, [])})
    # The admin scores D2 again after a correction: A rose on that day only.
    night(model, D2, {a: (0.4, []), b: (0.1, [])})
    assert [probability_on(a, day) for day in (D1, D2, D3)] == [0.5, 0.4, 0.5]
    assert [probability_on(b, day) for day in (D1, D2, D3)] == [0.1, 0.1, 0.3]
    assert RiskScore.objects.current().get(customer=a).probability == 0.5
    every_day_reads_one_score_per_customer([a, b], [D1, D2, D3])


def test_a_day_between_two_scored_days_reads_the_score_that_held(model):
    a = CustomerFactory()
    night(model, D1, {a: (0.5, [])})
    night(model, D3, {a: (0.8, [])})
    assert [probability_on(a, day) for day in (D1, D2, D3)] == [0.5, 0.5, 0.8]
    assert not RiskScore.objects.on_day(D1 - dt.timedelta(days=1)).exists()


def test_the_risk_history_has_a_point_per_scored_day(model):
    from customers.selectors import risk_histories

    a = CustomerFactory()
    night(model, D1, {a: (0.5, [])})
    night(model, D2, {a: (0.5, [])})
    night(model, D3, {a: (0.8, [])})
    # Two rows, three scored days: the sparkline still has a point a day.
    assert RiskScore.objects.filter(customer=a).count() == 2
    assert risk_histories([a.pk], until=D3)[a.pk] == [(D1, 0.5), (D2, 0.5), (D3, 0.8)]
    assert risk_histories([a.pk], until=D2, days=1)[a.pk] == [(D2, 0.5)]
