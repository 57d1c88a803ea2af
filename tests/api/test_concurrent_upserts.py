"""Two clients sending the same batch at once, in opposite orders: no deadlock, no
duplicate, both answered."""

import threading

import pytest
from django.db import connections

from customers import upsert
from customers.models import Customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_batch_from_two_clients_in_opposite_orders_writes_each_row_once():
    rows = [
        {"external_id": f"CC-{i:05d}", "name": f"Customer {i}", "customer_since": "2024-01-01"}
        for i in range(3000)
    ]
    # Half exist already, so both writers update and insert the same rows.
    assert not upsert.upsert("customers", rows[::2]).errors
    changed = [{**row, "name": row["name"] + " Ltd"} for row in rows]
    outcomes, failures = [], []
    start = threading.Barrier(2)

    def send(batch):
        try:
            start.wait()
            outcomes.append(upsert.upsert("customers", batch))
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=send, args=(changed,)),
        threading.Thread(target=send, args=(changed[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert [o.errors for o in outcomes] == [[], []]
    assert Customer.objects.filter(external_id__startswith="CC-").count() == 3000
    assert Customer.objects.filter(name__endswith=" Ltd").count() == 3000
    # Between them the two wrote each change once: 1,500 created, 1,500 updated.
    assert sum(o.created for o in outcomes) == 1500
    assert sum(o.created + o.updated for o in outcomes) == 3000
