"""A cursor is read back only if each value has the type of its ordering field: a forged
one (a float, a bool, a string for an integer id, a number out of the column's range, a
sync token that is not an integer) is a 404 "Invalid cursor." in the API's error shape on
every list, never a server error."""

import base64
import json

import pytest

from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "customers",
    "contacts",
    "contracts",
    "interactions",
    "exchange-rates",
    "usage",
    "risk-scores",
    "alerts",
    "teams",
    "employees",
]


def cursor(body) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode()


def assert_invalid_cursor(response):
    assert response.status_code == 404, response.content
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Invalid cursor."}
    }


def test_handed_case_a_float_too_large_for_python_is_an_invalid_cursor_on_every_list():
    client = integration_client()[0]
    for name in LISTS:
        response = client.get(f"/api/v1/{name}/?cursor=eyJwIjogWzFlNDAwXX0=")
        assert_invalid_cursor(response)


@pytest.mark.parametrize(
    "value", [1.5, True, "1", 10**30, 2**63, -(2**63) - 1, 1e308, None, [1], {}]
)
def test_it_refuses_an_id_that_is_not_an_integer_of_the_column(value):
    client = integration_client()[0]
    for name in ("customers", "contracts", "risk-scores"):
        assert_invalid_cursor(client.get(f"/api/v1/{name}/?cursor={cursor({'p': [value]})}"))


@pytest.mark.parametrize(
    ("ordering", "values"),
    [
        ("name", [5, 1]),  # a number for a name
        ("updated_at", ["not a time", 1]),
        ("updated_at", [1e400, 1]),
        ("customer_since", ["2025-13-45", 1]),
        ("customer_since", [20250101, 1]),
        ("-id", ["9"]),
    ],
)
def test_it_refuses_values_not_of_the_ordering_field(ordering, values):
    client = integration_client()[0]
    url = f"/api/v1/customers/?ordering={ordering}&cursor={cursor({'p': values})}"
    assert_invalid_cursor(client.get(url))


def test_it_refuses_a_revenue_at_risk_beyond_its_digits():
    client = integration_client()[0]
    for value in ["1e400", "NaN", "Infinity", 12.5]:
        body = {"p": [value, 1]}
        url = f"/api/v1/risk-scores/?ordering=revenue_at_risk&cursor={cursor(body)}"
        assert_invalid_cursor(client.get(url))


@pytest.mark.parametrize("token", ["t", "12a", -1, "-1", 1.5, True, str(2**64), "", "١٢"])
def test_it_refuses_a_sync_token_that_is_not_a_non_negative_integer(token):
    client = integration_client()[0]
    assert_invalid_cursor(client.get(f"/api/v1/customers/?cursor={cursor({'p': [1], 't': token})}"))


def test_the_cursors_the_api_writes_still_walk_every_ordering():
    for i in range(5):
        CustomerFactory(external_id=f"C-{i}", name=f"Name {4 - i}")
    client = integration_client()[0]
    for ordering in ("id", "-id", "name", "-updated_at", "customer_since"):
        url, seen = f"/api/v1/customers/?ordering={ordering}&page_size=2", []
        while url:
            page = client.get(url)
            assert page.status_code == 200, (ordering, page.content)
            seen += [row["external_id"] for row in page.json()["results"]]
            url = page.json()["next"]
        assert sorted(seen) == [f"C-{i}" for i in range(5)], ordering
    page = client.get("/api/v1/customers/?ordering=name&page_size=2").json()
    assert [row["external_id"] for row in page["results"]] == ["C-4", "C-3"]
    assert client.get(page["next"]).json()["results"][0]["external_id"] == "C-2"
