"""Sync and paging: every ordering has a unique tie-breaker, so pages never skip or
repeat a row; the sync token brings every committed change, even one made inside a
transaction that was still open while the client synced."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers import upsert
from customers.models import Contract, Customer
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def walk(client, url):
    """Every row's external id, following `next`; and the sync token of the walk."""
    seen, token, pages = [], None, 0
    while url:
        page = client.get(url).json()
        pages += 1
        seen += [row["external_id"] for row in page["results"]]
        token = page.get("sync_token", token)
        url = page["next"]
    return seen, token, pages


def test_handed_case_paging_by_updated_at_reads_each_of_350_rows_even_when_some_change():
    client = integration_client()[0]
    since = (timezone.now() - dt.timedelta(seconds=1)).isoformat()
    rows = [
        {
            "external_id": f"QA-PAGE-{i:04d}",
            "name": f"Paging Test {i:04d}",
            "customer_since": "2025-01-01",
        }
        for i in range(350)
    ]
    assert client.post("/api/v1/customers/bulk/", {"rows": rows}, format="json").status_code == 200
    url = "/api/v1/customers/?ordering=updated_at&page_size=100&updated_since=" + since.replace(
        "+", "%2B"
    )
    seen, _, pages = walk(client, url)
    assert (pages, len(seen), len(set(seen))) == (4, 350, 350)
    # the second trial: 5 not yet read rows change after page 2
    seen, page_number = [], 0
    while url:
        page = client.get(url).json()
        page_number += 1
        seen += [row["external_id"] for row in page["results"]]
        if page_number == 2:
            changed = [dict(r, name=r["name"] + " changed") for r in rows[300:305]]
            client.post("/api/v1/customers/bulk/", {"rows": changed}, format="json")
        url = page["next"]
    assert set(seen) == {r["external_id"] for r in rows}


@pytest.mark.parametrize(
    "ordering", ["name", "-name", "updated_at", "-updated_at", "customer_since"]
)
def test_every_ordering_walks_forward_and_back_without_skipping_or_repeating(ordering):
    for i in range(23):
        CustomerFactory(
            external_id=f"C-{i:02d}",
            name=f"Same {i % 3}",
            customer_since=dt.date(2024, 1, 1 + i % 2),
        )
    Customer.objects.update(updated_at=timezone.now())  # all tied
    client = integration_client()[0]
    seen, _, pages = walk(client, f"/api/v1/customers/?ordering={ordering}&page_size=5")
    assert (pages, sorted(seen)) == (5, sorted(f"C-{i:02d}" for i in range(23)))
    # and back again from the last page by `previous`
    url = f"/api/v1/customers/?ordering={ordering}&page_size=5"
    while True:
        page = client.get(url).json()
        if not page["next"]:
            break
        url = page["next"]
    back = [row["external_id"] for row in page["results"]]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        back = [row["external_id"] for row in page["results"]] + back
    assert back == seen


def test_contract_end_dates_tie_broken_by_id():
    customer = CustomerFactory()
    for i in range(7):
        Contract.objects.create(
            customer=customer,
            external_id=f"K-{i}",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            annual_value=100,
        )
    seen, _, _ = walk(integration_client()[0], "/api/v1/contracts/?ordering=end_date&page_size=2")
    assert seen == [f"K-{i}" for i in range(7)]


def test_a_bad_sync_token_or_cursor_is_refused():
    client = integration_client()[0]
    assert client.get("/api/v1/customers/?sync_token=yesterday").status_code == 400
    assert client.get("/api/v1/customers/?cursor=bm90IGpzb24").status_code == 404


@pytest.mark.postgres
@pytest.mark.parametrize("token", ["yesterday", "-1", "1.5", "\u0661\u0662", str(2**64)])
def test_a_sync_token_that_is_not_one_is_named_in_the_shape_of_every_field_error(token):
    response = integration_client()[0].get(
        "/api/v1/customers/", {"sync_token": token}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"sync_token": [f"{token!r} is not a sync token."]}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_inside_a_long_transaction_comes_with_the_next_sync():
    client = integration_client()[0]
    CustomerFactory(external_id="C-OLD")
    written, finish = threading.Event(), threading.Event()

    def long_import():
        try:
            with transaction.atomic():
                outcome = upsert.upsert(
                    "customers",
                    [
                        {
                            "external_id": "C-SLOW",
                            "name": "Written early",
                            "customer_since": "2024-01-01",
                        }
                    ],
                )
                assert outcome.created == 1
                written.set()
                finish.wait(10)  # still open while the client syncs
        finally:
            connection.close()

    worker = threading.Thread(target=long_import)
    worker.start()
    assert written.wait(10)
    first, token, _ = walk(client, "/api/v1/customers/")
    synced_at = timezone.now()
    assert first == ["C-OLD"] and token is not None
    finish.set()
    worker.join(10)
    CustomerFactory(external_id="C-LATER")
    # the README's old advice, updated_since = when I last synced, misses it for ever
    missed, _, _ = walk(
        client, "/api/v1/customers/?updated_since=" + synced_at.isoformat().replace("+", "%2B")
    )
    assert "C-SLOW" not in missed
    # the sync token brings it, and what came after. (It may also bring rows read before:
    # the token is held back by the oldest transaction open on the whole server.)
    second, _, _ = walk(client, f"/api/v1/customers/?sync_token={token}")
    assert {"C-LATER", "C-SLOW"} <= set(second)


def _stamp() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sync_xid FROM customers_customer")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_write_stamps_its_transaction_and_an_unchanged_upsert_stamps_nothing():
    rows = [{"external_id": "C-1", "name": "One", "customer_since": "2024-01-01"}]
    upsert.upsert("customers", rows)
    inserted = _stamp()
    upsert.upsert("customers", rows)  # the same again: nothing written
    assert _stamp() == inserted
    customer = Customer.objects.get()
    customer.name = "Renamed"
    customer.save()  # the admin's or a form's way
    assert _stamp() > inserted
    changed = _stamp()
    upsert.upsert("customers", [dict(rows[0], name="Again")])
    assert _stamp() > changed
