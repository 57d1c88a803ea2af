"""Interactions are ingested by the million: every index on them costs each new row an
insertion, so each index must take new rows at a few places that stay in memory, or be
one a read needs. The (customer, time) index takes a row at a random place; the index
on time alone takes live rows at its end and serves a page of all interactions by time
(the admin's list, the API's ?ordering=happened_at) without sorting the table."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def interaction_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customers_interaction'"
        )
        return dict(cursor.fetchall())


def test_happened_at_has_one_btree_that_reads_a_page_by_time():
    indexes = interaction_indexes()
    on_time_alone = [d for d in indexes.values() if d.endswith("(happened_at)")]
    assert on_time_alone == [
        "CREATE INDEX interaction_time ON public.customers_interaction USING btree (happened_at)"
    ]


def test_the_employee_index_is_on_the_employee_alone():
    indexes = interaction_indexes()
    assert "interaction_employee_time" not in indexes
    assert indexes["interaction_employee"].endswith("USING btree (employee_id)")
