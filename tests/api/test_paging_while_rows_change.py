"""An incremental reader pages through a list while other systems write: between page 2
and 3, three rows it has not read yet change so that the ordering moves them in front
of where it stands (renamed to "AAA", touched under -updated_at, an earlier end date),
one unread row is deleted and one is created. Every row that was there when it began
and was not deleted is read, on every list that syncs and every ordering it offers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Contact, Contract, Customer, ExchangeRate, Interaction
from tests.api.helpers import integration_client
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    InteractionFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROWS, PAGE = 23, 5
DAY = dt.date(2026, 1, 1)


def make_customers():
    return [
        CustomerFactory(
            external_id=f"C-{i:02d}", name=f"M {i % 4}", customer_since=DAY + dt.timedelta(i % 3)
        )
        for i in range(ROWS)
    ]


def make_contacts():
    customer = CustomerFactory(external_id="C-X")
    return [ContactFactory(customer=customer, name=f"M {i % 4}") for i in range(ROWS)]


def make_contracts():
    customer = CustomerFactory(external_id="C-X")
    return [
        ContractFactory(customer=customer, start_date=DAY, end_date=DAY + dt.timedelta(100 + i % 3))
        for i in range(ROWS)
    ]


def make_interactions():
    customer = CustomerFactory(external_id="C-X")
    now = timezone.now()
    return [
        InteractionFactory(
            customer=customer, external_id=f"I-{i}", happened_at=now - dt.timedelta(hours=i % 5)
        )
        for i in range(ROWS)
    ]


def make_rates():
    return [
        ExchangeRate.objects.create(
            currency="JPY", day=DAY + dt.timedelta(days=i), rate=Decimal("0.006")
        )
        for i in range(ROWS)
    ]


# (list, model, factory, ordering, the values that move the k-th changed row to the front)
CASES = [
    ("customers", Customer, make_customers, "name", lambda k: {"name": f"AAA {k}"}),
    ("customers", Customer, make_customers, "-name", lambda k: {"name": f"zzz {k}"}),
    ("customers", Customer, make_customers, "-updated_at", lambda k: {}),
    ("customers", Customer, make_customers, "updated_at", lambda k: {}),
    (
        "customers",
        Customer,
        make_customers,
        "customer_since",
        lambda k: {"customer_since": dt.date(2000, 1, 1)},
    ),
    (
        "customers",
        Customer,
        make_customers,
        "-customer_since",
        lambda k: {"customer_since": dt.date(2030, 1, 1)},
    ),
    ("customers", Customer, make_customers, "-id", lambda k: {"name": "changed"}),
    ("contacts", Contact, make_contacts, "name", lambda k: {"name": f"AAA {k}"}),
    ("contacts", Contact, make_contacts, "-updated_at", lambda k: {}),
    (
        "contracts",
        Contract,
        make_contracts,
        "end_date",
        lambda k: {"start_date": dt.date(2000, 1, 1), "end_date": dt.date(2000, 12, 31)},
    ),
    (
        "contracts",
        Contract,
        make_contracts,
        "-end_date",
        lambda k: {"end_date": dt.date(2040, 12, 31)},
    ),
    ("contracts", Contract, make_contracts, "-updated_at", lambda k: {}),
    (
        "interactions",
        Interaction,
        make_interactions,
        "happened_at",
        lambda k: {"happened_at": timezone.now() - dt.timedelta(days=900 + k)},
    ),
    (
        "interactions",
        Interaction,
        make_interactions,
        "-happened_at",
        lambda k: {"happened_at": timezone.now() + dt.timedelta(minutes=k + 1)},
    ),
    (
        "exchange-rates",
        ExchangeRate,
        make_rates,
        "day",
        lambda k: {"day": dt.date(2000, 1, 1 + k)},
    ),
    (
        "exchange-rates",
        ExchangeRate,
        make_rates,
        "currency",
        lambda k: {"currency": "AUD"},
    ),
    ("exchange-rates", ExchangeRate, make_rates, "-updated_at", lambda k: {}),
]


@pytest.mark.parametrize(
    ("endpoint", "model", "make", "ordering", "front"),
    CASES,
    ids=[f"{c[0]}?ordering={c[3]}" for c in CASES],
)
def test_no_row_is_missed_while_rows_change_between_pages(endpoint, model, make, ordering, front):
    there = {row.pk for row in make()}
    client = integration_client()[0]
    url = f"/api/v1/{endpoint}/?ordering={ordering}&page_size={PAGE}"
    seen, pages, deleted = [], 0, None
    while url:
        page = client.get(url).json()
        pages += 1
        seen += [row["id"] for row in page["results"]]
        if pages == 2:
            unread = sorted(there - set(seen))
            assert len(unread) == ROWS - 2 * PAGE
            for k, pk in enumerate(unread[:3]):
                changes = front(k)
                if hasattr(model, "updated_at"):
                    changes["updated_at"] = timezone.now() + dt.timedelta(seconds=k + 1)
                model.objects.filter(pk=pk).update(**changes)
            deleted = unread[-1]
            model.objects.filter(pk=deleted).delete()
            make_one = {"customers": lambda: CustomerFactory(external_id="C-NEW")}
            make_one.get(endpoint, lambda: None)()
        url = page["next"]
    assert there - {deleted} <= set(seen), f"missed {sorted(there - {deleted} - set(seen))}"
    assert deleted not in seen


def test_the_first_pass_keeps_the_order_asked_for_and_reads_each_row_once():
    make_customers()
    client = integration_client()[0]
    url = f"/api/v1/customers/?ordering=-name&page_size={PAGE}"
    names = []
    while url:
        page = client.get(url).json()
        names += [(row["name"], row["id"]) for row in page["results"]]
        url = page["next"]
    assert names == sorted(names, key=lambda n: (n[0], n[1]), reverse=True)
    assert len(names) == len(set(names)) == ROWS
