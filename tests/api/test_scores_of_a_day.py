"""`/risk-scores/?day=`: the scores as they stood on a scored day; a day after the latest
scored day has no scores yet and is refused, rather than answered with today's."""

import datetime as dt

import pytest

from customers.models import RiskModel, RiskScore, ScoringRun
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D1, D2 = dt.date(2026, 6, 1), dt.date(2026, 6, 2)


@pytest.fixture
def history():
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=D1, horizon_days=90, window_start=D1, window_end=D1
    )
    customer = CustomerFactory(name="Acme")
    # 0.2 from D1, 0.6 from D2 on (the first row ends where the second begins).
    for day, probability, until in ((D1, 0.2, D2), (D2, 0.6, None)):
        ScoringRun.objects.create(day=day, model=model, status="complete")
        RiskScore.objects.create(
            customer=customer,
            day=day,
            valid_until=until,
            model=model,
            probability=probability,
            tier=3,
            annual_value=100,
            revenue_at_risk=100 * probability,
        )
    api, _ = integration_client()
    return api


def probabilities(api, day):
    response = api.get(f"/api/v1/risk-scores/?day={day}")
    assert response.status_code == 200, response.content
    return [row["probability"] for row in response.json()["results"]]


def test_each_scored_day_reads_the_score_that_held_then(history):
    assert [float(p) for p in probabilities(history, D1)] == [0.2]
    assert [float(p) for p in probabilities(history, D2)] == [0.6]
    assert probabilities(history, D1 - dt.timedelta(days=1)) == []


def test_a_day_after_the_latest_scored_day_is_refused_naming_both_days(history):
    response = history.get("/api/v1/risk-scores/?day=2026-06-03", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert (
        "No scores for 2026-06-03 yet: the latest scored day is 2026-06-02."
        in response.content.decode()
    )
    assert "day" in response.content.decode()
