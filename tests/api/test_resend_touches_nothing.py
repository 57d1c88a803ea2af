"""Re-sending rows that have not changed leaves them untouched: not updated and not even
locked (a lock is written into the row, which costs as much as a small update), while a
changed row in the same batch is updated."""

import pytest
from django.db import connection

from customers.models import Interaction
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def locked_or_updated(external_ids: list[str]) -> dict[str, int]:
    """Each row's xmax: 0 unless a transaction has locked, updated or deleted it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, xmax::text::bigint FROM customers_interaction "
            "WHERE external_id = ANY(%s)",
            [external_ids],
        )
        return dict(cursor.fetchall())


def test_unchanged_rows_are_neither_updated_nor_locked_and_a_changed_one_is_updated():
    CustomerFactory(external_id="C-1")
    api, _ = integration_client()
    rows = [
        {
            "external_id": f"I-{i}",
            "customer": "C-1",
            "kind": "email",
            "happened_at": f"2026-01-0{i + 1}T09:00:00Z",
        }
        for i in range(3)
    ]
    first = api.post("/api/v1/interactions/bulk/", {"rows": rows}, format="json").json()
    assert first["created"] == 3
    assert set(locked_or_updated(["I-0", "I-1", "I-2"]).values()) == {0}
    rows[2]["notes"] = "Asked for the renewal terms"
    again = api.post("/api/v1/interactions/bulk/", {"rows": rows}, format="json").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 2)
    after = locked_or_updated(["I-0", "I-1", "I-2"])
    assert after["I-0"] == 0 and after["I-1"] == 0
    assert Interaction.objects.get(external_id="I-2").notes == "Asked for the renewal terms"
