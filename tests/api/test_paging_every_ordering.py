"""Every ordering a list offers pages through every row once, including orderings on a
float column (a score's probability): the next page's cursor is read back, not a 500."""

import base64
import datetime as dt
import json

import pytest

from customers.api import RiskScoreViewSet
from customers.models import RiskModel, RiskScore, ScoringRun
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 1)


@pytest.fixture
def scores():
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=DAY, horizon_days=90, window_start=DAY, window_end=DAY
    )
    ScoringRun.objects.create(day=DAY, model=model, status="complete")
    # Two probabilities equal (a tie the id breaks), the others apart; 0.1 + 0.2 is not
    # 0.3 in binary floating point and must come back exactly.
    for i, probability in enumerate([0.1 + 0.2, 0.3, 0.3, 0.05, 0.9]):
        RiskScore.objects.create(
            customer=CustomerFactory(name=f"C{i}"),
            day=DAY,
            model=model,
            probability=probability,
            tier=3,
            annual_value=100 + i,
            revenue_at_risk=(100 + i) * probability,
        )
    return set(RiskScore.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("field", RiskScoreViewSet.ordering_fields)
@pytest.mark.parametrize("direction", ["", "-"])
def test_each_ordering_of_risk_scores_reads_every_row_once(scores, field, direction):
    client = integration_client()[0]
    url, seen = f"/api/v1/risk-scores/?ordering={direction}{field}&page_size=2", []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        seen += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
    assert sorted(seen) == sorted(scores)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_probability_cursor_that_is_not_finite_is_an_invalid_cursor(scores, value):
    client = integration_client()[0]
    token = base64.urlsafe_b64encode(json.dumps({"p": [value, 1]}).encode()).decode()
    response = client.get(f"/api/v1/risk-scores/?ordering=probability&cursor={token}")
    assert response.status_code == 404, response.content
