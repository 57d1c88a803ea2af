"""The nightly roll stays bounded for contracts already stored (before today's rules, or
by SQL): one whose dates break the contract rules, or whose catch-up would take more
than CONTRACT_ROLL_MAX_GENERATIONS follow-ons in one night, is set aside with the reason
on the jobs page and stays active; the rest roll."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Contract
from retention.jobs.models import JobStep
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db
d = dt.date


def night(day: dt.date) -> JobStep:
    call_command("run_nightly", as_of=day, stdout=StringIO())
    return JobStep.objects.get(day=day, name="roll_contracts")


def chain(external_id: str) -> list[tuple[dt.date, dt.date, str]]:
    rows = [Contract.objects.get(external_id=external_id)]
    while (following := Contract.objects.filter(renewal_of=rows[-1]).first()) is not None:
        rows.append(following)
    return [(c.start_date, c.end_date, c.status) for c in rows]


def test_a_stored_one_day_auto_renewing_contract_from_2000_is_set_aside_not_renewed():
    one_day = ContractFactory(
        external_id="DAY", start_date=d(2000, 1, 1), end_date=d(2000, 1, 1), auto_renew=True
    )
    ContractFactory(
        external_id="YEAR", start_date=d(2025, 1, 1), end_date=d(2025, 12, 31), auto_renew=True
    )
    ContractFactory(external_id="JOB", start_date=d(2025, 12, 5), end_date=d(2025, 12, 5))

    roll = night(d(2026, 1, 2))

    # One follow-on (YEAR's), not one per day since 2000.
    assert Contract.objects.count() == 4
    assert chain("DAY") == [(d(2000, 1, 1), d(2000, 1, 1), "active")]
    assert chain("YEAR")[1:] == [(d(2026, 1, 1), d(2026, 12, 31), "active")]
    assert Contract.objects.get(external_id="JOB").status == "expired"
    assert roll.result == {"expired": 1, "renewed": 1}
    [aside] = roll.set_aside.all()
    assert (aside.model, aside.object_id, aside.key) == ("contract", one_day.pk, "DAY")
    assert aside.reason == (
        "Follow-on not created: end_date: An auto-renewing contract must run at least 28 "
        "days (a month); 2000-01-01 to 2000-01-01 is only 1 day(s). Give a later end date "
        "or turn off auto-renew."
    )

    # The next night sets it aside again until someone corrects it.
    again = night(d(2026, 1, 3))
    assert Contract.objects.count() == 4
    assert list(again.set_aside.values_list("key", flat=True)) == ["DAY"]


def test_a_monthly_contract_a_year_behind_catches_up_fully_on_the_calendar():
    # The README's monthly plan from the 31st: 28 Feb..30 Mar, 31 Mar..29 Apr, ...
    ContractFactory(
        external_id="M-31", start_date=d(2025, 1, 31), end_date=d(2025, 2, 27), auto_renew=True
    )

    roll = night(d(2026, 2, 1))

    assert chain("M-31")[1:] == [
        (d(2025, 2, 28), d(2025, 3, 30), "renewed"),
        (d(2025, 3, 31), d(2025, 4, 29), "renewed"),
        (d(2025, 4, 30), d(2025, 5, 30), "renewed"),
        (d(2025, 5, 31), d(2025, 6, 29), "renewed"),
        (d(2025, 6, 30), d(2025, 7, 30), "renewed"),
        (d(2025, 7, 31), d(2025, 8, 30), "renewed"),
        (d(2025, 8, 31), d(2025, 9, 29), "renewed"),
        (d(2025, 9, 30), d(2025, 10, 30), "renewed"),
        (d(2025, 10, 31), d(2025, 11, 29), "renewed"),
        (d(2025, 11, 30), d(2025, 12, 30), "renewed"),
        (d(2025, 12, 31), d(2026, 1, 30), "renewed"),
        (d(2026, 1, 31), d(2026, 2, 27), "active"),
    ]
    assert roll.result == {"expired": 0, "renewed": 12}
    assert not roll.set_aside.exists()


def test_a_monthly_contract_decades_behind_is_set_aside_with_the_bound():
    # February 1960 .. January 2026 is 66 years of monthly terms: 792 follow-ons.
    old = ContractFactory(
        external_id="M-1960", start_date=d(1960, 1, 1), end_date=d(1960, 1, 31), auto_renew=True
    )

    roll = night(d(2026, 1, 2))

    assert chain("M-1960") == [(d(1960, 1, 1), d(1960, 1, 31), "active")]
    [aside] = roll.set_aside.all()
    assert (aside.object_id, aside.key) == (old.pk, "M-1960")
    assert aside.reason == (
        "Follow-on not created: its term of 31 days ended on 1960-01-31, so reaching "
        "2026-01-02 would take more than 400 follow-ons in one night; check its dates, then "
        "enter its current term or end it."
    )
    assert roll.result == {"expired": 0, "renewed": 0}


def test_a_catch_up_of_exactly_the_bound_rolls_and_one_more_is_set_aside(settings):
    settings.CONTRACT_ROLL_MAX_GENERATIONS = 12
    # Follow-ons February 2025 .. January 2026 (ends 2026-01-31, after the night): 12.
    ContractFactory(
        external_id="TWELVE", start_date=d(2025, 1, 1), end_date=d(2025, 1, 31), auto_renew=True
    )
    # January 2025 .. January 2026: 13.
    ContractFactory(
        external_id="THIRTEEN",
        start_date=d(2024, 12, 1),
        end_date=d(2024, 12, 31),
        auto_renew=True,
    )

    roll = night(d(2026, 1, 15))

    assert len(chain("TWELVE")) == 13 and chain("TWELVE")[-1] == (
        d(2026, 1, 1),
        d(2026, 1, 31),
        "active",
    )
    assert chain("THIRTEEN") == [(d(2024, 12, 1), d(2024, 12, 31), "active")]
    assert list(roll.set_aside.values_list("key", flat=True)) == ["THIRTEEN"]
    assert "more than 12 follow-ons in one night" in roll.set_aside.get().reason


def test_a_stored_contract_starting_in_1800_is_set_aside_naming_the_field():
    ContractFactory(
        external_id="OLD", start_date=d(1800, 1, 1), end_date=d(2025, 12, 31), auto_renew=True
    )

    roll = night(d(2026, 1, 2))

    assert chain("OLD") == [(d(1800, 1, 1), d(2025, 12, 31), "active")]
    assert roll.set_aside.get().reason == (
        "Follow-on not created: start_date: 1 Jan 1800 is before 1 Jan 1900; check the year."
    )


def test_two_contracts_renewing_one_contract_are_not_both_marked_renewed():
    """A-R and UPSELL both name A as the contract they renew (renewal_of edited so): both
    would renew into A-R2, the chain's next key. A-R renews; UPSELL stays active, set
    aside naming A-R, not marked renewed with its follow-on dropped."""
    first = ContractFactory(
        external_id="A", start_date=d(2025, 1, 1), end_date=d(2025, 12, 31), status="renewed"
    )
    renewal = ContractFactory(
        external_id="A-R",
        customer=first.customer,
        renewal_of=first,
        start_date=d(2026, 1, 1),
        end_date=d(2026, 12, 31),
        auto_renew=True,
    )
    upsell = ContractFactory(
        external_id="UPSELL",
        customer=first.customer,
        renewal_of=first,
        start_date=d(2026, 1, 1),
        end_date=d(2026, 12, 31),
        auto_renew=True,
    )

    roll = night(d(2027, 1, 2))

    assert roll.result == {"expired": 0, "renewed": 1}
    (follow_on,) = Contract.objects.filter(external_id="A-R2")
    assert follow_on.renewal_of_id == renewal.pk
    assert Contract.objects.get(pk=upsell.pk).status == "active"
    [aside] = roll.set_aside.all()
    assert (aside.object_id, aside.key) == (upsell.pk, "UPSELL")
    assert aside.reason == (
        "Follow-on not created: A-R renews into the same follow-on A-R2 (both name the same "
        "contract as renewed); correct their renewal_of."
    )
    # The next night A-R2 is stored: UPSELL is told the same, not to rename A-R2.
    again = night(d(2027, 1, 3))
    assert [(a.key, a.reason) for a in again.set_aside.all()] == [("UPSELL", aside.reason)]
    assert Contract.objects.filter(external_id__startswith="A-R").count() == 2


def test_a_follow_on_too_large_in_the_reporting_currency_is_set_aside_not_written():
    """A BHD contract worth 900,000,000,000 at 1.0 renews on a day whose rate (100, an
    inverted rate) makes its follow-on 90,000,000,000,000 EUR, more than any door takes."""
    from decimal import Decimal

    from customers.models import ExchangeRate

    ExchangeRate.objects.create(currency="BHD", day=d(2025, 11, 1), rate=Decimal("1"))
    ExchangeRate.objects.create(currency="BHD", day=d(2026, 12, 1), rate=Decimal("100"))
    big = ContractFactory(
        external_id="BIG",
        currency="BHD",
        annual_value=Decimal("900000000000"),
        start_date=d(2025, 12, 1),
        end_date=d(2026, 11, 30),
        auto_renew=True,
    )

    roll = night(d(2026, 12, 2))

    assert not Contract.objects.filter(renewal_of=big).exists()
    assert Contract.objects.get(pk=big.pk).status == "active"
    [aside] = roll.set_aside.all()
    assert aside.key == "BIG"
    assert "900,000,000,000.00 BHD is 90,000,000,000,000.00 EUR" in aside.reason
