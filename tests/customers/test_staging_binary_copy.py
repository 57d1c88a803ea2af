"""The night's narrow staging rows go to PostgreSQL as one binary COPY
(retention/binary_copy.py): what is read back is what was staged, to the last bit of a
probability and the cent of an amount; what the table cannot hold is refused as from a
text COPY, and only that customer is set aside."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.db import DataError, connection, transaction

from customers.models import RiskModel, ScoringRun, StagedScore
from customers.scoring import runs
from retention import binary_copy

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAY = dt.date(2026, 6, 1)


@pytest.fixture
def run():
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=DAY, horizon_days=90, window_start=DAY, window_end=DAY
    )
    return ScoringRun.objects.create(day=DAY, model=model)


def narrow(run, rows: list[dict]) -> pd.DataFrame:
    base = {
        "run_id": run.pk,
        "probability": 0.5,
        "annual_value": 1000.0,
        "revenue_at_risk": 500.0,
        "reasons": None,
        "signals": None,
        "single_threaded": False,
        "active_contacts": 1,
        "changed": False,
        "held_tier": 3,
    }
    frame = pd.DataFrame([{**base, "customer_id": 100 + i, **row} for i, row in enumerate(rows)])
    frame["held_tier"] = frame["held_tier"].astype("Int64")
    return frame


def test_what_is_staged_is_read_back_exactly(run):
    rows = [
        {"probability": 1e-12, "annual_value": 0.0, "revenue_at_risk": 0.0, "held_tier": None},
        {"probability": 0.123456789012345, "annual_value": 0.01, "revenue_at_risk": 12.35},
        {"probability": 1.0, "annual_value": 999999999999.99, "revenue_at_risk": 1234567.5},
        {"single_threaded": True, "changed": True, "active_contacts": 0, "held_tier": 5},
        {"probability": 2 / 3, "annual_value": 10000.0, "revenue_at_risk": 6666.67},
        {"annual_value": 100000000.0, "revenue_at_risk": 99999999.99, "held_tier": None},
    ]
    frame = narrow(run, rows)
    with transaction.atomic():
        runs.write_staged(frame)
    stored = {
        row["customer_id"]: row
        for row in StagedScore.objects.values(
            "customer_id",
            "probability",
            "annual_value",
            "revenue_at_risk",
            "single_threaded",
            "active_contacts",
            "changed",
            "held_tier",
            "reasons",
        )
    }
    assert sorted(stored) == [100, 101, 102, 103, 104, 105]
    assert stored[100]["probability"] == 1e-12 and stored[100]["held_tier"] is None
    assert stored[101]["probability"] == 0.123456789012345
    assert stored[104]["probability"] == 2 / 3
    assert [stored[c]["annual_value"] for c in (100, 101, 102, 105)] == [
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("999999999999.99"),
        Decimal("100000000.00"),
    ]
    assert [stored[c]["revenue_at_risk"] for c in (101, 102, 104, 105)] == [
        Decimal("12.35"),
        Decimal("1234567.50"),
        Decimal("6666.67"),
        Decimal("99999999.99"),
    ]
    assert (stored[103]["single_threaded"], stored[103]["changed"]) == (True, True)
    assert (stored[103]["active_contacts"], stored[103]["held_tier"]) == (0, 5)
    assert (stored[101]["single_threaded"], stored[101]["held_tier"]) == (False, 3)
    assert all(row["reasons"] is None for row in stored.values())


def test_worded_rows_keep_their_reasons_beside_the_binary_ones(run):
    reasons = '[{"signal": "complaint", "text": "A \\"complaint\\", logged"}]'
    frame = narrow(run, [{}, {"reasons": reasons, "signals": reasons, "changed": True}])
    with transaction.atomic():
        runs.write_staged(frame)
    worded = StagedScore.objects.get(customer_id=101)
    assert worded.reasons == [{"signal": "complaint", "text": 'A "complaint", logged'}]
    assert StagedScore.objects.get(customer_id=100).reasons is None


def test_an_amount_the_column_cannot_hold_is_refused_and_nothing_is_written(run):
    frame = narrow(run, [{}, {"annual_value": 1e12}])
    with pytest.raises(DataError), transaction.atomic():
        runs.write_staged(frame)
    assert not StagedScore.objects.exists()


def test_a_refused_row_is_set_aside_and_the_others_staged(run):
    frame = narrow(run, [{}, {"active_contacts": -1}, {}])
    with transaction.atomic():
        refused = runs.stage(run, frame, 0, 10**6)
    assert refused == [1]
    assert sorted(StagedScore.objects.values_list("customer_id", flat=True)) == [100, 102]


def test_the_layouts_match_the_staging_table():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT column_name, data_type, numeric_precision, numeric_scale
            FROM information_schema.columns WHERE table_name = %s""",
            [StagedScore._meta.db_table],
        )
        types = {
            name: f"{kind}({precision},{scale})" if kind == "numeric" else kind
            for name, kind, precision, scale in cursor.fetchall()
        }
    assert {column: types[column] for column in runs._NARROW_KINDS} == runs._NARROW_KINDS


def test_a_kind_without_a_layout_is_refused_before_writing():
    with pytest.raises(ValueError, match="text"):
        binary_copy.copy_binary("customers_stagedscore", pd.DataFrame({"x": ["a"]}), {"x": "text"})


@pytest.mark.parametrize(
    "row, column",
    [
        ({"active_contacts": 2**31}, "active_contacts"),
        ({"held_tier": 40_000}, "held_tier"),
        ({"annual_value": float("inf")}, "annual_value"),
        ({"revenue_at_risk": 999_999_999_999.996}, "revenue_at_risk"),
    ],
)
def test_a_value_its_binary_type_cannot_hold_is_refused_not_wrapped(run, row, column):
    # 2**31 as a 4-byte integer would arrive as -2147483648, 40,000 as a smallint as
    # -25536; an amount that rounds to 10^12 has no numeric(14,2) value.
    frame = narrow(run, [{}, row])
    with pytest.raises(DataError, match=column), transaction.atomic():
        runs.write_staged(frame)
    assert not StagedScore.objects.exists()
    with transaction.atomic():
        refused = runs.stage(run, frame, 0, 10**6)
    assert refused == [1]
    assert list(StagedScore.objects.values_list("customer_id", flat=True)) == [100]


def test_more_columns_than_a_null_pattern_holds_are_refused_before_writing():
    frame = pd.DataFrame({f"c{i}": [1] for i in range(64)})
    with pytest.raises(ValueError, match="63"):
        binary_copy.copy_binary("customers_stagedscore", frame, dict.fromkeys(frame, "integer"))
