"""An approved export of someone leaving is used once, even by two requests at the same
moment (two tabs, a double click): one gets the file, the other the page that asks for a
new approval, and the audit trail has one export."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from staff.models import AuditEvent, ExportRequest
from tests.api.helpers import race
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_requests_at_once_export_once_on_one_approval():
    boss = EmployeeFactory(name="Boss", role="admin", team=None)
    leaving = EmployeeFactory(
        name="Hugo",
        role="manager",
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=10),
        user=UserFactory(username="hugo"),
    )
    CustomerFactory(name="Acme", primary_owner=leaving)
    ExportRequest.objects.create(
        employee=leaving, kind="customers", reason="x", approved_at=timezone.now(), approved_by=boss
    )

    tabs = [Client(), Client()]
    for tab in tabs:  # signed in before: a sign-in writes the user's row
        tab.force_login(leaving.user)

    def export(tab):
        response = tab.post("/exports/customers.csv", {"reason": "Board pack"})
        return response.get("Content-Type", "").split(";")[0]

    outcomes = race(lambda: export(tabs[0]), lambda: export(tabs[1]))
    assert sorted(outcomes.values()) == ["text/csv", "text/html"]
    assert AuditEvent.objects.filter(action="export", employee=leaving).count() == 1
    assert ExportRequest.objects.filter(employee=leaving, used_at__isnull=False).count() == 1


def test_two_requests_at_once_without_an_approval_ask_once():
    EmployeeFactory(name="Boss", role="admin", team=None, email="boss@example.com")
    leaving = EmployeeFactory(
        name="Hugo",
        role="manager",
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=10),
        user=UserFactory(username="hugo"),
    )
    tabs = [Client(), Client()]
    for tab in tabs:
        tab.force_login(leaving.user)

    def export(tab):
        return tab.post("/exports/customers.csv", {"reason": "Board pack"}).status_code

    outcomes = race(lambda: export(tabs[0]), lambda: export(tabs[1]))
    assert sorted(outcomes.values()) == [200, 200]  # both told to wait for the approval
    assert ExportRequest.objects.filter(employee=leaving, approved_at=None).count() == 1
