"""Follow-on contracts keep the calendar of their term, whatever day it starts on, and
their keys stay within the column; the inputs in nightly/ are the handed cases."""

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.models import Contract, RiskScore
from customers.services import follow_on_term, renewal_external_id, roll_contracts
from retention.jobs.models import JobStep
from tests.api.helpers import integration_client
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db
CASES = Path(__file__).parent / "nightly"
d = dt.date


def chain(external_id: str) -> list[tuple[dt.date, dt.date]]:
    rows = [Contract.objects.get(external_id=external_id)]
    while (following := Contract.objects.filter(renewal_of=rows[-1]).first()) is not None:
        rows.append(following)
    return [(c.start_date, c.end_date) for c in rows]


def post(kind, rows):
    return integration_client()[0].post(f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json")


def test_handed_case_calendar_year_leap_day_and_monthly_chains_through_the_api():
    EmployeeFactory(email="ben.berg.2@demo.example")
    body = json.loads((CASES / "renewal_leap_year.json").read_text())
    for kind in ("customers", "contracts"):
        assert post(kind, body[kind]["rows"]).status_code == 200

    roll_contracts(as_of=d(2025, 1, 5))
    roll_contracts(as_of=d(2025, 6, 1))

    assert chain("QA-RENEW-ANNUAL-2024") == [(d(2024, 1, 1), d(2024, 12, 31))] + [
        (d(2025, 1, 1), d(2025, 12, 31))
    ]
    assert chain("QA-RENEW-LEAPDAY")[1:] == [
        (d(2024, 3, 1), d(2025, 2, 28)),
        (d(2025, 3, 1), d(2026, 2, 28)),
    ]
    assert [end for _, end in chain("QA-RENEW-MONTHLY-JAN")] == [
        d(2025, 1, 31),
        d(2025, 2, 28),
        d(2025, 3, 31),
        d(2025, 4, 30),
        d(2025, 5, 31),
        d(2025, 6, 30),
    ]


def test_handed_case_a_64_character_id_renews_and_the_night_goes_on():
    # contract_64char_external_id.json, YESTERDAY the day before the night.
    night = d(2026, 11, 30)
    CustomerFactory(external_id="C0000005")
    [row] = json.loads((CASES / "contract_64char_external_id.json").read_text())["rows"]
    row["end_date"] = (night - dt.timedelta(days=1)).isoformat()
    assert post("contracts", [row]).status_code == 200

    call_command("run_nightly", as_of=night, stdout=StringIO())

    [original, follow_on] = Contract.objects.order_by("start_date")
    assert (original.status, follow_on.renewal_of_id) == ("renewed", original.pk)
    assert len(follow_on.external_id) == 64 and follow_on.external_id.endswith("-R")
    # 2025-11-01..2026-11-29 is 394 days, not whole months: the follow-on runs as many.
    assert (follow_on.start_date, follow_on.end_date) == (d(2026, 11, 30), d(2027, 12, 28))
    assert set(JobStep.objects.filter(day=night).values_list("status", flat=True)) == {"done"}
    assert RiskScore.objects.on_day(night).count() == 1


@pytest.mark.parametrize(
    ("start", "end", "following"),
    [
        # A monthly plan from the 31st stays on the 31st (or the month's last day).
        ("2025-01-31", "2025-02-27", [("2025-02-28", "2025-03-30"), ("2025-03-31", "2025-04-29")]),
        # From the 30th: 30 April..29 May, then 30 May..29 June.
        ("2025-04-30", "2025-05-29", [("2025-05-30", "2025-06-29"), ("2025-06-30", "2025-07-29")]),
        # A quarter from 30 November: 28 February is the 30th's day in February.
        ("2024-11-30", "2025-02-27", [("2025-02-28", "2025-05-29"), ("2025-05-30", "2025-08-29")]),
        # From the 29th across a leap February and back.
        ("2024-01-29", "2024-02-28", [("2024-02-29", "2024-03-28"), ("2024-03-29", "2024-04-28")]),
        # Month-end to month-end from a start at a month's end: month ends.
        ("2025-01-31", "2025-02-28", [("2025-03-01", "2025-03-31"), ("2025-04-01", "2025-04-30")]),
        # Six months, three years.
        ("2025-03-31", "2025-09-30", [("2025-10-01", "2026-03-31"), ("2026-04-01", "2026-09-30")]),
        ("2024-03-01", "2027-02-28", [("2027-03-01", "2030-02-28"), ("2030-03-01", "2033-02-28")]),
        # 2100 is no leap year; 2104 is.
        ("2099-03-01", "2100-02-28", [("2100-03-01", "2101-02-28"), ("2101-03-01", "2102-02-28")]),
        ("2102-03-01", "2103-02-28", [("2103-03-01", "2104-02-29"), ("2104-03-01", "2105-02-28")]),
        # A day renews for a day; 30 days for 30 days.
        ("2025-01-05", "2025-01-05", [("2025-01-06", "2025-01-06"), ("2025-01-07", "2025-01-07")]),
        ("2025-01-01", "2025-01-30", [("2025-01-31", "2025-03-01"), ("2025-03-02", "2025-03-31")]),
    ],
)
def test_follow_ons_keep_the_day_the_term_is_anchored_on(start, end, following):
    iso = dt.date.fromisoformat
    term = (iso(start), iso(end))
    for expected in following:
        term = follow_on_term(*term)
        assert term == (iso(expected[0]), iso(expected[1]))


def test_the_chain_s_first_start_decides_an_anchor_the_term_alone_leaves_open():
    # A year from the leap day ends 2025-02-27; 2025-02-28..2026-02-27 alone could be the
    # 28th's year, but the chain is the 29th's: in 2028 it runs to 28 February.
    ContractFactory(
        external_id="LEAP-29",
        start_date=d(2024, 2, 29),
        end_date=d(2025, 2, 27),
        auto_renew=True,
    )
    roll_contracts(as_of=d(2028, 1, 1))
    assert chain("LEAP-29") == [
        (d(2024, 2, 29), d(2025, 2, 27)),
        (d(2025, 2, 28), d(2026, 2, 27)),
        (d(2026, 2, 28), d(2027, 2, 27)),
        (d(2027, 2, 28), d(2028, 2, 28)),
    ]
    assert follow_on_term(d(2027, 2, 28), d(2028, 2, 27)) == (d(2028, 2, 28), d(2029, 2, 27))


def test_a_monthly_chain_from_the_31st_rolled_in_one_night_stays_on_month_ends():
    ContractFactory(
        external_id="M-31", start_date=d(2025, 1, 31), end_date=d(2025, 2, 27), auto_renew=True
    )
    roll_contracts(as_of=d(2025, 7, 1))
    assert [end for _, end in chain("M-31")] == [
        d(2025, 2, 27),
        d(2025, 3, 30),
        d(2025, 4, 29),
        d(2025, 5, 30),
        d(2025, 6, 29),
        d(2025, 7, 30),
    ]


def test_a_follow_on_key_another_contract_holds_is_set_aside_and_the_rest_roll():
    taken = ContractFactory(external_id="K-77-R", start_date=d(2024, 1, 1), end_date=d(2030, 1, 1))
    mine = ContractFactory(
        external_id="K-77", start_date=d(2025, 1, 1), end_date=d(2025, 12, 31), auto_renew=True
    )
    other = ContractFactory(
        external_id="K-78", start_date=d(2025, 1, 1), end_date=d(2025, 12, 31), auto_renew=True
    )
    call_command("run_nightly", as_of=d(2026, 1, 2), stdout=StringIO())

    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, other.status) == ("active", "renewed")
    assert not Contract.objects.filter(renewal_of=mine).exists()
    assert Contract.objects.get(external_id="K-77-R") == taken  # untouched
    roll = JobStep.objects.get(day=d(2026, 1, 2), name="roll_contracts")
    [aside] = roll.set_aside.all()
    assert (aside.object_id, aside.key) == (mine.pk, "K-77")  # the contract set aside
    assert "another contract already has the external id K-77-R" in aside.reason
    assert roll.result == {"expired": 0, "renewed": 1}


@pytest.mark.parametrize("root", ["客" * 64, "K" * 63, "Ü-" * 31 + "9", "SF-0065g00000XyZabAAB"])
def test_follow_on_keys_fit_the_column_in_any_script_and_stay_apart(root):
    keys = [renewal_external_id(root, generation) for generation in (1, 2, 10, 12_345)]
    assert all(len(key) <= 64 for key in keys) and len(set(keys)) == 4
    ContractFactory(
        external_id=root, start_date=d(2026, 1, 1), end_date=d(2026, 1, 31), auto_renew=True
    )
    roll_contracts(as_of=d(2026, 4, 1))
    assert [c.external_id for c in Contract.objects.order_by("start_date")][1:] == keys[:1] + [
        renewal_external_id(root, 2),
        renewal_external_id(root, 3),
    ]


def test_contracts_whose_renewal_chain_loops_are_set_aside_and_the_rest_roll():
    first = ContractFactory(
        external_id="LOOP-A", start_date=d(2025, 1, 1), end_date=d(2025, 12, 31), auto_renew=True
    )
    second = ContractFactory(
        external_id="LOOP-B", start_date=d(2025, 1, 1), end_date=d(2025, 12, 31), auto_renew=True
    )
    Contract.objects.filter(pk=first.pk).update(renewal_of=second)
    Contract.objects.filter(pk=second.pk).update(renewal_of=first)
    ContractFactory(
        external_id="PLAIN", start_date=d(2025, 1, 1), end_date=d(2025, 12, 31), auto_renew=True
    )
    call_command("run_nightly", as_of=d(2026, 1, 2), stdout=StringIO())

    roll = JobStep.objects.get(day=d(2026, 1, 2), name="roll_contracts")
    assert roll.result == {"expired": 0, "renewed": 1}
    assert sorted(roll.set_aside.values_list("key", flat=True)) == ["LOOP-A", "LOOP-B"]
    assert "renewal chain loops" in roll.set_aside.first().reason
    assert sorted(Contract.objects.values_list("external_id", "status")) == [
        ("LOOP-A", "active"),
        ("LOOP-B", "active"),
        ("PLAIN", "renewed"),
        ("PLAIN-R", "active"),
    ]
