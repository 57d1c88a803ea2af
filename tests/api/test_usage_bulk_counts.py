"""usage/bulk/ counts a day's total sent for the first time as created, as the other
bulk endpoints count a new record, in a real run and in a dry run alike, on PostgreSQL
and on the embedded SQLite database (run with DATABASE_URL=sqlite:///...)."""

import pytest

from customers.models import UsageDay
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/usage/bulk/"
ROW = {"customer": "X", "day": "2026-11-27", "event": "logins", "quantity": 3}


@pytest.fixture
def api():
    CustomerFactory(external_id="X")
    return integration_client()[0]


def counts(response) -> tuple[int, int, int]:
    assert response.status_code == 200, response.json()
    body = response.json()
    return body["created"], body["updated"], body["unchanged"]


def test_a_new_days_total_is_counted_created_in_a_dry_run_and_nothing_is_written(api):
    dry = api.post(URL, {"rows": [ROW], "dry_run": True}, format="json")
    assert counts(dry) == (1, 0, 0)
    assert not UsageDay.objects.exists()


def test_a_new_days_total_is_created_then_corrected_then_unchanged(api):
    assert counts(api.post(URL, {"rows": [ROW]}, format="json")) == (1, 0, 0)
    assert counts(api.post(URL, {"rows": [{**ROW, "quantity": 4}]}, format="json")) == (0, 1, 0)
    assert counts(api.post(URL, {"rows": [{**ROW, "quantity": 4}]}, format="json")) == (0, 0, 1)
    assert UsageDay.objects.get().quantity == 4


@pytest.mark.parametrize("quantity", ["99999999999.99999", "0.1234567890123456"])
def test_a_quantity_a_double_cannot_keep_is_refused_not_rounded(api, quantity):
    response = api.post(
        URL, {"rows": [{**ROW, "quantity": quantity}]}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [
        {
            "index": 0,
            "field": "quantity",
            "message": f"{quantity!r} has more than 15 significant digits; a usage quantity "
            "keeps 15.",
        }
    ]
    # 15 digits are kept as sent.
    kept = "99999999999.9999"
    response = api.post(URL, {"rows": [{**ROW, "quantity": kept}]}, format="json")
    assert counts(response) == (1, 0, 0)
    assert repr(UsageDay.objects.get().quantity) == kept


def test_a_json_number_past_15_digits_is_quoted_as_sent(api):
    body = (
        b'{"rows": [{"customer": "X", "day": "2026-11-27", "event": "logins", '
        b'"quantity": 99999999999.99999}]}'
    )
    response = api.post(URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["error"]["rows"][0]["message"] == (
        "'99999999999.99999' has more than 15 significant digits; a usage quantity keeps 15."
    )
