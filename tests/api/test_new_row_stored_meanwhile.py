"""A record new to a batch that another client stores while the batch is written is
updated by the batch once the other client commits: neither refused nor written twice."""

import threading

import pytest
from django.db import connections, transaction

from customers import upsert
from customers.models import Customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_new_row_another_client_stores_meanwhile_is_updated_not_refused():
    first = {"external_id": "RACE-1", "name": "First Ltd", "customer_since": "2024-01-01"}
    second = {**first, "name": "Second Ltd"}
    written, outcomes, failures = threading.Event(), {}, []

    def first_client():
        try:
            with transaction.atomic():
                outcomes["first"] = upsert.upsert("customers", [first])
                written.set()
                # The second client finds RACE-1 new and waits on this row until this
                # transaction commits.
                threading.Event().wait(1.0)
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)
        finally:
            written.set()
            connections.close_all()

    def second_client():
        try:
            written.wait(10)
            outcomes["second"] = upsert.upsert("customers", [second])
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_client), threading.Thread(target=second_client)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert (outcomes["first"].created, outcomes["first"].updated) == (1, 0)
    assert (outcomes["second"].created, outcomes["second"].updated) == (0, 1)
    assert list(Customer.objects.values_list("external_id", "name")) == [("RACE-1", "Second Ltd")]
