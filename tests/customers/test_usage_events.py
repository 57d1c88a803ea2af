"""Product usage as data: daily totals per customer and event name, sent through the
API and the CSV import (a row replaces its day's total), and features per event name
with reasons that name the event."""

import datetime as dt
from pathlib import Path

import pytest

from customers import csv_io, upsert
from customers.models import UsageDay
from customers.scoring import features, signals
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def said(problems: list[dict]) -> list[dict]:
    """The problems as a person reads them (without the code and figures kept to word
    them in another language)."""
    return [{k: p[k] for k in ("line", "column", "message")} for p in problems]


AS_OF = dt.date(2026, 6, 30)


def test_a_day_sent_again_replaces_its_total_and_changes_nothing_twice():
    CustomerFactory(external_id="ACME")
    rows = [
        {"customer": "ACME", "day": "2026-06-01", "event": "reports_run", "quantity": 14},
        {"customer": "ACME", "day": "2026-06-01", "event": "logins", "quantity": "3"},
    ]
    first = upsert.upsert("usage", rows)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = upsert.upsert("usage", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    corrected = upsert.upsert("usage", [{**rows[0], "quantity": 15}])
    assert (corrected.created, corrected.updated) == (0, 1)
    assert dict(UsageDay.objects.values_list("event", "quantity")) == {
        "reports_run": 15.0,
        "logins": 3.0,
    }


def test_bad_usage_rows_are_refused_by_row_and_field_and_nothing_is_written():
    CustomerFactory(external_id="ACME")
    rows = [
        {"customer": "ACME", "day": "2026-06-01", "event": "logins", "quantity": -1},
        {"customer": "NOPE", "day": "2026-06-01", "event": "logins", "quantity": 1},
        {"customer": "ACME", "day": "2026-06-02", "event": "logins", "quantity": 1},
        {"customer": "ACME", "day": "2026-06-02", "event": "logins", "quantity": 2},
        {"customer": "ACME", "day": "2999-01-01", "event": "logins", "quantity": 2},
    ]
    outcome = upsert.upsert("usage", rows)
    problems = {(e["index"], e["field"]) for e in outcome.errors}
    assert problems == {(0, "quantity"), (1, "customer"), (3, "event"), (4, "day")}
    assert "is also in row 2" in next(e for e in outcome.errors if e["index"] == 3)["message"]
    assert not UsageDay.objects.exists()


def test_usage_csv_imports_and_a_repeated_day_is_named_by_line(tmp_path: Path):
    CustomerFactory(external_id="ACME")
    good = tmp_path / "usage.csv"
    good.write_text(
        "customer;day;event;quantity\nACME;2026-06-01;reports_run;4\nACME;2026-06-02;reports_run;6\n"
    )
    mapping = csv_io.default_mapping("usage", ["customer", "day", "event", "quantity"])
    report = csv_io.import_file("usage", good, mapping)
    assert (report.problem_count, report.created) == (0, 2)
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(
        "customer,day,event,quantity\nACME,2026-06-01,logins,1\nACME,2026-06-01,logins,2\n"
    )
    report = csv_io.check("usage", repeated, mapping)
    assert said(report.problems) == [
        {"line": 3, "column": "event", "message": "'ACME / 2026-06-01 / logins' is also on line 2."}
    ]


def test_features_per_event_name_and_a_reason_that_names_it():
    customer = CustomerFactory(customer_since=dt.date(2025, 1, 1))
    # reports_run: 12 a month in the 84 days before the last 28 (36 in all), 2 in the last 28.
    days = {
        AS_OF - dt.timedelta(days=offset): q
        for offset, q in [(1, 1), (20, 1), (40, 12), (70, 12), (100, 12)]
    }
    UsageDay.objects.bulk_create(
        [
            UsageDay(customer=customer, day=d, event="reports_run", quantity=q)
            for d, q in days.items()
        ]
        + [
            UsageDay(
                customer=customer, day=AS_OF - dt.timedelta(days=3), event="logins", quantity=5
            )
        ]
    )
    frame = features.compute_features(AS_OF)
    row = frame.loc[customer.pk]
    assert row["usage:reports_run:7d"] == 1
    assert row["usage:reports_run:28d"] == 2
    assert row["usage:reports_run:90d"] == 26
    # Trend: log((last 28 + 1) / (28 before + 1)) = log(3 / 13).
    assert row["usage:reports_run:trend"] == pytest.approx(-1.4663, abs=1e-4)
    assert row["usage:reports_run:days_since"] == 1
    assert row["usage:logins:days_since"] == 3
    assert row["days_since_last_activity"] == 1
    flags = signals.fired(frame)
    assert flags.loc[customer.pk, "usage_event_drop"]
    text = signals.SIGNAL_BY_CODE["usage_event_drop"].text(frame, {})
    # 2 against a monthly average of 36 / 3 = 12: down 83%.
    assert text.loc[customer.pk] == "Reports run down 83% vs the prior 3 months"
