"""Two HR clients sending the same new team or employee at the same moment: one creates
it, the other finds it unchanged, as one after the other would (not a server error)."""

import pytest

from customers import upsert
from staff.models import Employee, Team
from tests.api.helpers import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = {
    "teams": [{"external_id": "T-1", "name": "North", "region": "EU"}],
    "employees": [
        {
            "external_id": "E-1",
            "name": "Ida Berg",
            "email": "ida@example.com",
            "start_date": "2024-01-01",
        }
    ],
}


@pytest.mark.parametrize(("kind", "model"), [("teams", Team), ("employees", Employee)])
def test_the_same_new_record_from_two_clients_is_created_once(kind, model):
    outcomes = race(
        lambda: upsert.upsert(kind, ROWS[kind]), lambda: upsert.upsert(kind, ROWS[kind])
    )
    first, second = outcomes["first"], outcomes["second"]
    assert (first.errors, second.errors) == ([], [])
    assert (first.created, second.created, second.unchanged) == (1, 0, 1)
    assert model.objects.filter(external_id=ROWS[kind][0]["external_id"]).count() == 1
