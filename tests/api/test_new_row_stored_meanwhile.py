"""A record new to a batch that another client stores while the batch is written is
updated by the batch once the other client commits: neither refused nor written twice."""

import pytest

from customers import upsert
from customers.models import Customer
from tests.api.helpers import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_new_row_another_client_stores_meanwhile_is_updated_not_refused():
    first = {"external_id": "RACE-1", "name": "First Ltd", "customer_since": "2024-01-01"}
    second = {**first, "name": "Second Ltd"}
    # The second client finds RACE-1 new and waits on its row until the first commits.
    outcomes = race(
        lambda: upsert.upsert("customers", [first]), lambda: upsert.upsert("customers", [second])
    )
    assert (outcomes["first"].created, outcomes["first"].updated) == (1, 0)
    assert (outcomes["second"].created, outcomes["second"].updated) == (0, 1)
    assert list(Customer.objects.values_list("external_id", "name")) == [("RACE-1", "Second Ltd")]
