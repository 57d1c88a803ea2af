"""An amount is never shown larger than it is: a stated amount (a contract's value, a
sum of values) is shown exactly, with its cents when it has any; an estimate (revenue at
risk, a handover priority) is rounded half up to whole units. A JPY 9,999,999,999.99 contract reads "JPY 9,999,999,999.99" on the
renewals page, not "JPY 10,000,000,000"."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from customers.models import Contract
from customers.templatetags.risk import money, money_estimate
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory, UserFactory


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("9999999999.99"), "JPY", "JPY 9,999,999,999.99"),
        (Decimal("12300.00"), "EUR", "EUR 12,300"),
        (Decimal("12300.50"), "EUR", "EUR 12,300.50"),
        (Decimal("0.99"), "EUR", "EUR 0.99"),
        ("1234.5", "EUR", "EUR 1,234.50"),
        (120000, "EUR", "EUR 120,000"),
        (104028.4, "EUR", "EUR 104,028.40"),
        (0.1 + 0.2, "EUR", "EUR 0.30"),
    ],
)
def test_a_stated_amount_is_shown_exactly(language, amount, currency, shown):
    with translation.override(language):
        assert money(amount, currency) == shown


@pytest.mark.parametrize(
    ("estimate", "shown"),
    [
        (Decimal("9800.08"), "EUR 9,800"),
        (Decimal("9800.50"), "EUR 9,801"),
        (104028.4, "EUR 104,028"),
    ],
)
def test_an_estimate_is_shown_in_whole_units(estimate, shown, settings):
    settings.REPORTING_CURRENCY = "EUR"
    assert money_estimate(estimate) == shown


@pytest.mark.django_db
def test_the_renewals_page_shows_a_contract_s_value_to_the_cent(client):
    owner = EmployeeFactory(name="Ann", user=UserFactory(username="ann"))
    customer = CustomerFactory(primary_owner=owner)
    today = timezone.localdate()
    ContractFactory(
        customer=customer,
        currency="JPY",
        annual_value=Decimal("9999999999.99"),
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=30),
        status=Contract.Status.ACTIVE,
    )
    client.force_login(owner.user)
    page = client.get("/renewals/").content.decode()
    assert "JPY 9,999,999,999.99" in page
    assert "10,000,000,000" not in page
