"""The nightly contract roll: expire what ended, renew what renews itself, idempotently."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import Contract, Customer
from customers.services import follow_on_term, renewal_external_id, roll_contracts
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 1)


def test_contract_that_ended_yesterday_expires_and_one_ending_today_does_not():
    ended = ContractFactory(start_date=dt.date(2025, 3, 1), end_date=dt.date(2026, 2, 28))
    ends_today = ContractFactory(start_date=dt.date(2025, 3, 2), end_date=AS_OF)

    result = roll_contracts(as_of=AS_OF)

    ended.refresh_from_db()
    ends_today.refresh_from_db()
    assert (ended.status, ends_today.status) == ("expired", "active")
    assert (result.expired, result.renewed) == (1, 0)


def test_auto_renewing_contract_gets_a_follow_on_of_the_same_length_and_value():
    original = ContractFactory(
        external_id="K-77",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        annual_value=Decimal("9000.00"),
        auto_renew=True,
    )
    result = roll_contracts(as_of=dt.date(2026, 1, 15))

    original.refresh_from_db()
    follow_on = Contract.objects.get(renewal_of=original)
    assert original.status == "renewed"
    # 2025-01-01..2025-12-31 is 364 days end-start, so the follow-on runs 2026-01-01..2026-12-31.
    assert (follow_on.start_date, follow_on.end_date) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert (follow_on.external_id, follow_on.annual_value, follow_on.status) == (
        "K-77-R",
        Decimal("9000.00"),
        "active",
    )
    assert result.renewed == 1


def test_a_long_overdue_auto_renewal_rolls_forward_to_the_current_term_in_one_run():
    ContractFactory(
        external_id="OLD",
        start_date=dt.date(2023, 1, 1),
        end_date=dt.date(2023, 12, 31),
        auto_renew=True,
    )
    roll_contracts(as_of=AS_OF)
    # 2024 term ends 2024-12-31 (< AS_OF) -> renewed again; 2025 ends 2025-12-31 -> again; 2026 term active.
    statuses = dict(Contract.objects.values_list("external_id", "status"))
    assert statuses == {
        "OLD": "renewed",
        "OLD-R": "renewed",
        "OLD-R2": "renewed",
        "OLD-R3": "active",
    }


def test_running_twice_changes_nothing_the_second_time():
    ContractFactory(start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31), auto_renew=True)
    ContractFactory(start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))
    roll_contracts(as_of=AS_OF)
    before = sorted(Contract.objects.values_list("external_id", "status", "start_date", "end_date"))

    second = roll_contracts(as_of=AS_OF)

    assert (second.expired, second.renewed) == (0, 0)
    assert (
        sorted(Contract.objects.values_list("external_id", "status", "start_date", "end_date"))
        == before
    )


def test_churned_customer_contract_expires_even_with_auto_renew():
    customer = CustomerFactory(
        status=Customer.Status.CHURNED, churned_on=dt.date(2025, 12, 1), churn_reason="price"
    )
    contract = ContractFactory(customer=customer, end_date=dt.date(2025, 12, 31), auto_renew=True)
    roll_contracts(as_of=AS_OF)
    contract.refresh_from_db()
    assert contract.status == "expired"
    assert not Contract.objects.filter(renewal_of=contract).exists()


# --- calendar terms (the handed cases in ../shared/cases/nightly/renewal_leap_year*) -----


def chain(external_id: str) -> list[tuple[str, dt.date, dt.date, str]]:
    root = Contract.objects.get(external_id=external_id)
    rows = [root]
    while (following := Contract.objects.filter(renewal_of=rows[-1]).first()) is not None:
        rows.append(following)
    return [(c.external_id, c.start_date, c.end_date, c.status) for c in rows]


def test_renewals_keep_the_calendar_of_the_term_across_leap_years_and_month_ends():
    customer = CustomerFactory(external_id="QA-RENEW-1")
    for external_id, start, end in [
        ("QA-RENEW-ANNUAL-2024", "2024-01-01", "2024-12-31"),
        ("QA-RENEW-MONTHLY-JAN", "2025-01-01", "2025-01-31"),
        ("QA-RENEW-LEAPDAY", "2023-03-01", "2024-02-29"),
    ]:
        ContractFactory(
            customer=customer,
            external_id=external_id,
            start_date=dt.date.fromisoformat(start),
            end_date=dt.date.fromisoformat(end),
            auto_renew=True,
        )

    roll_contracts(as_of=dt.date(2025, 1, 5))
    roll_contracts(as_of=dt.date(2025, 6, 1))

    d = dt.date
    assert chain("QA-RENEW-ANNUAL-2024") == [
        ("QA-RENEW-ANNUAL-2024", d(2024, 1, 1), d(2024, 12, 31), "renewed"),
        ("QA-RENEW-ANNUAL-2024-R", d(2025, 1, 1), d(2025, 12, 31), "active"),
    ]
    assert chain("QA-RENEW-LEAPDAY") == [
        ("QA-RENEW-LEAPDAY", d(2023, 3, 1), d(2024, 2, 29), "renewed"),
        ("QA-RENEW-LEAPDAY-R", d(2024, 3, 1), d(2025, 2, 28), "renewed"),
        ("QA-RENEW-LEAPDAY-R2", d(2025, 3, 1), d(2026, 2, 28), "active"),
    ]
    # Monthly: every follow-on ends on its month's last day (Feb 28, Mar 31, Apr 30 ...).
    assert [(c[1], c[2]) for c in chain("QA-RENEW-MONTHLY-JAN")] == [
        (d(2025, 1, 1), d(2025, 1, 31)),
        (d(2025, 2, 1), d(2025, 2, 28)),
        (d(2025, 3, 1), d(2025, 3, 31)),
        (d(2025, 4, 1), d(2025, 4, 30)),
        (d(2025, 5, 1), d(2025, 5, 31)),
        (d(2025, 6, 1), d(2025, 6, 30)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "next_start", "next_end"),
    [
        ("2024-02-29", "2025-02-28", "2025-03-01", "2026-02-28"),  # starts on a leap day
        ("2027-03-01", "2028-02-29", "2028-03-01", "2029-02-28"),  # ends on one
        ("2026-03-01", "2027-02-28", "2027-03-01", "2028-02-29"),  # renews into one
        ("2025-01-15", "2025-04-14", "2025-04-15", "2025-07-14"),  # a quarter mid-month
        ("2025-01-01", "2025-01-30", "2025-01-31", "2025-03-01"),  # 30 days stays 30 days
    ],
)
def test_follow_on_term(start, end, next_start, next_end):
    iso = dt.date.fromisoformat
    assert follow_on_term(iso(start), iso(end)) == (iso(next_start), iso(next_end))


def test_renewal_ids_never_grow_past_the_column_and_the_roll_goes_on():
    # ../shared/cases/nightly/renewal_id_overflow.py: 29 characters, monthly, 34 months.
    base = "SF-0065g00000XyZabAAB-MONTHLY"
    ContractFactory(
        external_id=base,
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 1, 31),
        auto_renew=True,
    )
    # contract_64char_external_id.json: a 64-character id ending yesterday.
    long_id = "HS-DEAL-" + "9" * 56
    ContractFactory(
        external_id=long_id,
        start_date=dt.date(2025, 11, 1),
        end_date=dt.date(2026, 11, 29),
        auto_renew=True,
    )

    roll_contracts(as_of=dt.date(2026, 11, 30))

    keys = [c[0] for c in chain(base)]
    assert len(keys) == 35  # January 2024 .. November 2026
    assert keys[1:4] == [f"{base}-R", f"{base}-R2", f"{base}-R3"]
    assert keys[-1] == f"{base}-R34" and chain(base)[-1][1:] == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        "active",
    )
    [(_, _, _, status), (follow_on, start, end, _)] = chain(long_id)
    assert status == "renewed" and len(follow_on) == 64
    assert follow_on.startswith("HS-DEAL-999") and follow_on.endswith("-R")
    # 2025-11-01..2026-11-29 is not whole months: the follow-on runs as many days (394).
    assert (start, end) == (dt.date(2026, 11, 30), dt.date(2027, 12, 28))
    assert (
        renewal_external_id(long_id, 2) != follow_on and len(renewal_external_id(long_id, 2)) == 64
    )
