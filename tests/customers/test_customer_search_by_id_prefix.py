"""The customers list's search finds a customer by the start of its external id in any
case ("C0000", "c0000", "X-"), not only by the whole id, and each arm of the search is
read from an index: with sequential scans priced out, PostgreSQL still plans no
sequential scan of the customers (at a million customers it is the only plan it picks)."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from customers.models import Customer
from customers.selectors import name_or_id_matches
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    ann = EmployeeFactory(name="Ann", user=UserFactory(username="ann"))
    CustomerFactory(name="Acme", external_id="C0000005", primary_owner=ann)
    CustomerFactory(name="Birch", external_id="C0001234", primary_owner=ann)
    CustomerFactory(name="Cobalt", external_id="X-17", primary_owner=ann)
    CustomerFactory(name="Snap X-ray", external_id="D0000001", primary_owner=ann)
    return ann


def found(client, q: str) -> list[str]:
    response = client.get(reverse("customers"), {"q": q, "sort": "name"})
    assert response.status_code == 200
    return [c.name for c in response.context["customers"]]


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("C0000005", ["Acme"]),
        ("C0000", ["Acme"]),
        ("c000", ["Acme", "Birch"]),
        ("X-", ["Cobalt"]),  # two characters: the start of the id or of the name
        ("x-r", ["Snap X-ray"]),  # three or more: also inside the name
        ("0000005", []),  # the middle of an id is not its start
        ("birch", ["Birch"]),
    ],
)
def test_the_list_finds_customers_by_the_start_of_their_external_id(client, ann, q, names):
    client.force_login(ann.user)
    assert found(client, q) == names


@pytest.mark.parametrize("q", ["C0000", "x-", "X", "acme corp"])
def test_the_search_reads_indexes_not_every_customer(ann, q):
    if connection.vendor != "postgresql":
        pytest.skip("the indexes are PostgreSQL's")
    query = Customer.objects.filter(name_or_id_matches(q)).order_by().values("pk").query
    sql, params = query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("ANALYZE customers_customer")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert "customer_external_id_prefix" in plan, plan
