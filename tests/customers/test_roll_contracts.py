"""The nightly contract roll: expire what ended, renew what renews itself, idempotently."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import Contract, Customer
from customers.services import roll_contracts
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
        "OLD-R-R": "renewed",
        "OLD-R-R-R": "active",
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
