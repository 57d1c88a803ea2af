"""The night refreshes the planner statistics of the tables it rewrote in bulk (the
scores, the alerts), so its next statements do not plan on the statistics of emptier
tables: with autovacuum switched off, or not yet round, the first night after an import
planned nested loops over every score."""

import pytest
from django.db import connection

from alerts.models import Alert
from alerts.services import raise_alerts
from customers.models import RiskScore
from customers.scoring import runs
from retention import bulk
from tests.customers.test_scoring_runs import DAY, company, rules_model

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def counted(model) -> float:
    """The row count the planner's statistics hold for the table (-1: never taken)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


def analyze(model) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {model._meta.db_table}")


def test_the_first_night_refreshes_the_statistics_of_the_scores_and_alerts_it_wrote():
    rules_model()
    company(30)
    analyze(RiskScore)
    analyze(Alert)
    assert counted(RiskScore) == 0 and counted(Alert) == 0
    runs.score_all(day=DAY, chunk_size=10)
    assert counted(RiskScore) == 30  # every customer's first score
    alerts = raise_alerts(day=DAY)
    assert alerts.opened > 0
    assert counted(Alert) == Alert.objects.count()


def test_statistics_are_refreshed_from_a_tenth_of_the_rows_they_were_taken_on():
    rules_model()
    company(30)
    runs.score_all(day=DAY, chunk_size=10)
    analyze(RiskScore)
    assert counted(RiskScore) == 30
    # 2 of 30 rows changed: under a tenth, the statistics stand.
    assert bulk.analyze_if_stale(RiskScore, 2) is False
    RiskScore.objects.filter(pk__in=RiskScore.objects.values("pk")[:20]).delete()
    assert counted(RiskScore) == 30
    # 3 of 30: a tenth, taken again on the 10 rows left.
    assert bulk.analyze_if_stale(RiskScore, 3) is True
    assert counted(RiskScore) == 10
    assert bulk.analyze_if_stale(RiskScore, 0) is False


def flush_counters() -> None:
    """Make this session's pending table counters visible to the next reader
    (PostgreSQL 15 flushes them at most once a second, after the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")


@pytest.mark.django_db(transaction=True)
def test_changes_counted_by_the_server_since_the_last_analyze_add_up_across_calls():
    rules_model()
    company(30)
    runs.score_all(day=DAY, chunk_size=10)
    flush_counters()  # the night's own inserts, counted before the statistics are taken
    analyze(RiskScore)
    # Two writes of 2 rows each, committed: each call sees its own 2 of 30 (under a
    # tenth), but the server has counted 4 since the statistics were taken.
    ids = list(RiskScore.objects.values_list("pk", flat=True))
    RiskScore.objects.filter(pk__in=ids[:2]).delete()
    flush_counters()
    assert bulk.analyze_if_stale(RiskScore, 2) is False
    RiskScore.objects.filter(pk__in=ids[2:4]).delete()
    flush_counters()
    assert bulk.analyze_if_stale(RiskScore, 2) is True
    assert counted(RiskScore) == 26
    # A retried step that wrote nothing itself still finds the changes of the first.
    RiskScore.objects.filter(pk__in=ids[4:7]).delete()
    flush_counters()
    assert bulk.analyze_if_stale(RiskScore) is True
    assert counted(RiskScore) == 23


@pytest.mark.django_db(transaction=True)
def test_an_analyze_that_cannot_run_is_logged_and_the_caller_goes_on(caplog):
    from django.db import connections

    rules_model()
    company(5)
    runs.score_all(day=DAY, chunk_size=10)
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            # ANALYZE needs this lock; a second session holds it.
            cursor.execute(f"LOCK TABLE {RiskScore._meta.db_table} IN SHARE UPDATE EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        assert bulk.analyze_if_stale(RiskScore, 5) is False
        assert "ANALYZE customers_riskscore failed" in caplog.text
        assert RiskScore.objects.count() == 5  # the connection is still usable
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
