"""A customer whose monthly contract the roll renewed for ten years (120 contracts) is
saved in the admin: its page posts about 11 fields per contract, over Django's default
limit of 1,000 fields (DATA_UPLOAD_MAX_NUMBER_FIELDS)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from customers.models import Contract
from tests.factories import ContractFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The fields of a page's form as a browser would send them unchanged."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append((self._select, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def test_a_customer_with_120_contracts_is_saved_in_the_admin(client):
    customer = CustomerFactory(name="Long chain")
    start = dt.date(2016, 1, 1)
    for month in range(120):
        first = dt.date(start.year + month // 12, month % 12 + 1, 1)
        last = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        ContractFactory(
            customer=customer,
            start_date=first,
            end_date=last - dt.timedelta(days=1),
            status="renewed" if month < 119 else "active",
        )
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = FormFields()
    page.feed(client.get(url).content.decode())
    data: dict[str, list[str]] = {}
    for name, value in page.fields:
        data.setdefault(name, []).append(value)
    data["name"] = ["Long chain, renamed"]
    assert sum(len(values) for values in data.values()) > 1000
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.name == "Long chain, renamed"
    assert Contract.objects.filter(customer=customer).count() == 120
