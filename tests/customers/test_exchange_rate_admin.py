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


def test_a_rate_s_currency_is_not_changed_in_the_admin(admin_client):
    dkk = rate("DKK", dt.date(2024, 1, 1), "0.134")
    ContractFactory(currency="DKK", annual_value=Decimal("50000"))
    url = reverse("admin:customers_exchangerate_change", args=[dkk.pk])
    form = {"currency": "ISK", "day": "2024-01-01", "rate": "0.134"}
    assert admin_client.post(url, form).status_code == 302
    assert ExchangeRate.objects.get(pk=dkk.pk).currency == "DKK"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_deleting_a_currency_s_last_two_rates_at_once_leave_one():
    """Each deletes one of the two DKK rates while the other's deletion is still open:
    the second waits for the first and then finds it would delete the last rate."""
    import threading

    from django.contrib.admin.sites import site
    from django.core.exceptions import PermissionDenied
    from django.db import connection, transaction
    from django.test import RequestFactory

    first, second = (
        rate("DKK", dt.date(2024, 1, 1), "0.13"),
        rate("DKK", dt.date(2025, 1, 1), "0.134"),
    )
    ContractFactory(currency="DKK", annual_value=Decimal("50000"))
    admin = site._registry[ExchangeRate]
    request = RequestFactory().post("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    first_deleted, outcome = threading.Event(), {}

    def delete_first():
        try:
            with transaction.atomic():
                admin.delete_model(request, ExchangeRate.objects.get(pk=first.pk))
                first_deleted.set()
                threading.Event().wait(1.0)  # still open while the other admin deletes
        finally:
            connection.close()

    def delete_second():
        first_deleted.wait(10)
        try:
            with transaction.atomic():
                admin.delete_model(request, ExchangeRate.objects.get(pk=second.pk))
            outcome["second"] = "deleted"
        except PermissionDenied as refusal:
            outcome["second"] = str(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=delete_first), threading.Thread(target=delete_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert "the last rate of a currency" in outcome["second"]
    assert list(ExchangeRate.objects.values_list("pk", flat=True)) == [second.pk]


def test_a_deletion_whose_older_rate_makes_a_value_too_large_is_refused(admin_client):
    """NOK at 1000 in 2000 (a slip) and 0.085 in 2026; a contract of 900,000,000,000 NOK
    from 2026-04-01 is worth 76,500,000,000.00 at 0.085 and 900,000,000,000,000 at the old
    rate, beyond the 999,999,999,999.99 a value can hold: the deletion is refused, in
    words, and nothing is deleted."""
    old = rate("NOK", dt.date(2000, 1, 1), "1000")
    new = rate("NOK", dt.date(2026, 1, 1), "0.085")
    contract = ContractFactory(
        currency="NOK",
        annual_value=Decimal("900000000000"),
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2027, 3, 31),
    )
    assert contract.annual_value_reporting == Decimal("76500000000.00")
    response = admin_client.post(
        reverse("admin:customers_exchangerate_delete", args=[new.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert "a value too large to store" in response.content.decode()
    changelist = reverse("admin:customers_exchangerate_changelist")
    selected = {"action": "delete_selected", "_selected_action": [new.pk], "post": "yes"}
    assert admin_client.post(changelist, selected).status_code == 403
    assert set(ExchangeRate.objects.filter(currency="NOK")) == {old, new}
    contract.refresh_from_db()
    assert contract.annual_value_reporting == Decimal("76500000000.00")
