"""Every index is written again for each insert and each update that is not HOT: the
night's scores and alerts, the ingest of customers, contacts and contracts. An index
whose columns open another index of the same table (same operator classes and
collations, same predicate) serves no read the other cannot, so the product's tables
have none (Django gives each foreign key an index of its own unless told
`db_index=False`; a composite index led by that key serves its lookups)."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

PRODUCT_APPS = ("customers", "staff", "handover", "alerts", "jobs")

# Each index: its table, name, uniqueness, key columns, operator classes, collations,
# predicate, and whether it is on expressions.
INDEXES = """
SELECT t.relname, c.relname, i.indisunique,
       string_to_array(i.indkey::text, ' ')::int[],
       string_to_array(i.indclass::text, ' ')::oid[],
       string_to_array(i.indcollation::text, ' ')::oid[],
       pg_get_expr(i.indpred, i.indrelid), i.indexprs IS NOT NULL, am.amname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_am am ON am.oid = c.relam
WHERE t.relname = ANY(%s)
"""


def redundant_indexes(tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, index, the index it opens) for each non-unique btree index whose key is
    the start of another btree index's key on the same table."""
    with connection.cursor() as cursor:
        cursor.execute(INDEXES, [tables])
        rows = cursor.fetchall()
    found = []
    for table, name, unique, keys, classes, collations, predicate, on_expressions, method in rows:
        if unique or on_expressions or method != "btree":
            continue
        width = len(keys)
        for other in rows:
            if other[0] != table or other[1] == name or other[7] or other[8] != "btree":
                continue
            if (
                other[3][:width] == keys
                and other[4][:width] == classes
                and other[5][:width] == collations
                and other[6] == predicate
                and (len(other[3]) > width or other[2])
            ):
                found.append((table, name, other[1]))
    return found


def product_tables() -> list[str]:
    return [
        model._meta.db_table
        for label in PRODUCT_APPS
        if label in {config.label for config in apps.get_app_configs()}
        for model in apps.get_app_config(label).get_models()
    ]


def test_no_index_of_the_products_tables_is_the_start_of_another():
    assert redundant_indexes(product_tables()) == []


def test_the_check_finds_a_foreign_keys_own_index_beside_a_composite_one():
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX probe_alert_owner ON alerts_alert (owner_id)")
        cursor.execute("CREATE INDEX probe_alert_owner_text ON alerts_alert (owner_id, text)")
        cursor.execute(
            "CREATE INDEX probe_alert_owner_open ON alerts_alert (owner_id) WHERE status = 'open'"
        )
    found = redundant_indexes(["alerts_alert"])
    assert ("alerts_alert", "probe_alert_owner", "alert_owner_status") in found
    assert ("alerts_alert", "probe_alert_owner", "probe_alert_owner_text") in found
    # A partial index answers other questions than the whole-table ones; it is the start
    # only of the partial index of the same rows (the digests' alert_open_owner_risk).
    assert [f for f in found if "probe_alert_owner_open" in f[1:]] == [
        ("alerts_alert", "probe_alert_owner_open", "alert_open_owner_risk")
    ]
