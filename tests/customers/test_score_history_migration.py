"""The migration from one score row a day to rows that hold over days keeps what every
day reads: runs of equal daily rows become one row, a churned customer's ends."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.models import RiskModel, RiskScore
from tests.factories import CustomerFactory

BEFORE = [("customers", "0019_merge_20261130_0757")]
D1, D2, D3, D4 = (dt.date(2026, 6, day) for day in (1, 2, 3, 4))


def migrate(targets=None):
    """To `targets`, or forward to the latest migration of every app."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_daily_rows_collapse_into_rows_that_hold_until_the_score_changes():
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=D1, horizon_days=90, window_start=D1, window_end=D1
    )
    a, b, c, e = (CustomerFactory() for _ in range(4))
    # (customer, day, probability, tier): A drifts within whole points 50 then 52; B
    # churns after D2; C changes tier on D2; E misses D2 and comes back unchanged.
    daily = [
        (a, D1, 0.500, 3),
        (a, D2, 0.503, 3),
        (a, D3, 0.520, 3),
        (a, D4, 0.521, 3),
        (b, D1, 0.1, 4),
        (b, D2, 0.1, 4),
        (c, D1, 0.3, 3),
        (c, D2, 0.3, 2),
        (c, D3, 0.3, 2),
        (c, D4, 0.3, 2),
        (e, D1, 0.2, 4),
        (e, D3, 0.2, 4),
        (e, D4, 0.2, 4),
    ]
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            for customer, day, probability, tier in daily:
                cursor.execute(
                    """INSERT INTO customers_riskscore (customer_id, day, model_id,
                        probability, tier, annual_value, revenue_at_risk, reasons,
                        single_threaded, active_contacts, signals)
                    VALUES (%s, %s, %s, %s, %s, 1000, %s, '[]', false, 1, '[]')""",
                    [customer.pk, day, model.pk, probability, tier, 1000 * probability],
                )
    finally:
        migrate()
    rows = {
        (customer_id, day): (until, probability)
        for customer_id, day, until, probability in RiskScore.objects.values_list(
            "customer_id", "day", "valid_until", "probability"
        )
    }
    assert rows == {
        (a.pk, D1): (D3, 0.5),
        (a.pk, D3): (None, 0.52),
        (b.pk, D1): (D3, 0.1),
        (c.pk, D1): (D2, 0.3),
        (c.pk, D2): (None, 0.3),
        (e.pk, D1): (D2, 0.2),
        (e.pk, D3): (None, 0.2),
    }
    assert RiskScore.objects.on_day(D2).count() == 3  # A, B, C; E was not scored
