"""Deleting exchange rates in the admin: a currency's last rate cannot go while
contracts are in it (they would have no value in the reporting currency, which every
other door refuses), and "Delete selected" reconverts the contracts like deleting one
rate does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Contract, ExchangeRate
from tests.factories import ContractFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def rate(currency: str, day: dt.date, value: str) -> ExchangeRate:
    return ExchangeRate.objects.create(currency=currency, day=day, rate=Decimal(value))


def test_the_last_rate_of_a_currency_with_contracts_is_not_deleted(admin_client):
    nok = rate("NOK", dt.date(2024, 1, 1), "0.087")
    contract = ContractFactory(currency="NOK", annual_value=Decimal("100000"))
    url = reverse("admin:customers_exchangerate_delete", args=[nok.pk])
    page = admin_client.post(url, {"post": "yes"}).content.decode()
    assert "1 contract in NOK (" in page and contract.external_id in page
    assert ExchangeRate.objects.filter(pk=nok.pk).exists()
    contract.refresh_from_db()
    assert contract.annual_value_reporting == Decimal("8700.00")  # 100,000 x 0.087


def test_delete_selected_reconverts_and_keeps_the_last_rate(admin_client):
    early = rate("DKK", dt.date(2024, 1, 1), "0.13")
    late = rate("DKK", dt.date(2025, 1, 1), "0.134")
    contract = ContractFactory(currency="DKK", annual_value=Decimal("50000"))  # from 2025-01-01
    assert contract.annual_value_reporting == Decimal("6700.00")  # 50,000 x 0.134
    changelist = reverse("admin:customers_exchangerate_changelist")
    both = {"action": "delete_selected", "_selected_action": [early.pk, late.pk], "post": "yes"}
    page = admin_client.post(changelist, both).content.decode()
    assert "1 contract in DKK (" in page
    assert ExchangeRate.objects.filter(currency="DKK").count() == 2
    one = {"action": "delete_selected", "_selected_action": [late.pk], "post": "yes"}
    assert admin_client.post(changelist, one).status_code == 302
    assert list(ExchangeRate.objects.filter(currency="DKK")) == [early]
    # The contract now converts at the rate left: 50,000 x 0.13.
    assert Contract.objects.get(pk=contract.pk).annual_value_reporting == Decimal("6500.00")
