"""Bulk upserts keyed by external_id: idempotent, all or nothing, every bad row named."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Contact, Contract, Customer, Interaction, OwnershipPeriod
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/{}/bulk/"


@pytest.fixture
def api():
    return integration_client()[0]


@pytest.fixture
def ann():
    return EmployeeFactory(name="Ann", email="ann@example.com")


def customers_rows(owner_email="ann@example.com"):
    return [
        {
            "external_id": "CUST-1",
            "name": "Acme",
            "segment": "core",
            "customer_since": "2024-03-01",
            "primary_owner": owner_email,
        },
        {"external_id": "CUST-2", "name": "Bolt", "customer_since": "2025-01-15"},
        {
            "external_id": "CUST-3",
            "name": "Cobalt",
            "customer_since": "2023-06-01",
            "status": "churned",
            "churned_on": "2026-02-01",
            "churn_reason": "price",
        },
    ]


def test_customers_are_created_then_the_same_request_changes_nothing(api, ann):
    first = api.post(URL.format("customers"), {"rows": customers_rows()}, format="json")
    assert first.status_code == 200, first.json()
    assert first.json() == {
        "received": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
    }
    acme = Customer.objects.get(external_id="CUST-1")
    assert (acme.name, acme.segment, acme.primary_owner, acme.customer_since) == (
        "Acme",
        "core",
        ann,
        dt.date(2024, 3, 1),
    )
    assert Customer.objects.get(external_id="CUST-2").segment == "general"  # the default
    stamps = dict(Customer.objects.values_list("external_id", "updated_at"))
    again = api.post(URL.format("customers"), {"rows": customers_rows()}, format="json")
    assert again.json()["unchanged"] == 3 and again.json()["created"] == 0
    assert dict(Customer.objects.values_list("external_id", "updated_at")) == stamps
    assert OwnershipPeriod.objects.filter(customer=acme).count() == 1


def test_a_changed_row_is_updated_and_an_owner_change_is_written_to_history(api, ann):
    api.post(URL.format("customers"), {"rows": customers_rows()}, format="json")
    EmployeeFactory(name="Bea", email="bea@example.com")
    response = api.post(
        URL.format("customers"), {"rows": customers_rows("bea@example.com")}, format="json"
    )
    assert response.json()["updated"] == 1 and response.json()["unchanged"] == 2
    periods = OwnershipPeriod.objects.filter(customer__external_id="CUST-1", role="primary")
    assert [(p.employee.name, p.ended_on) for p in periods.order_by("id")] == [
        ("Ann", timezone.localdate()),
        ("Bea", None),
    ]


def test_a_bad_row_in_the_middle_of_10000_writes_nothing_and_is_named(api):
    customer = CustomerFactory(external_id="C-1")
    rows = [
        {
            "external_id": f"I-{i}",
            "customer": "C-1",
            "kind": "call",
            "happened_at": "2026-05-01T10:00:00Z",
            "satisfaction": 8,
        }
        for i in range(10_000)
    ]
    rows[5_000]["satisfaction"] = 11
    rows[7_321]["customer"] = "NOPE"
    response = api.post(URL.format("interactions"), {"rows": rows}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rows" and error["status"] == 400
    assert error["rows"] == [
        {"index": 5000, "field": "satisfaction", "message": "11 is outside 1 to 10."},
        {"index": 7321, "field": "customer", "message": "No customer with external id 'NOPE'."},
    ]
    assert not Interaction.objects.filter(customer=customer).exists()
    rows[5_000]["satisfaction"] = 7
    rows[7_321]["customer"] = "C-1"
    response = api.post(URL.format("interactions"), {"rows": rows}, format="json")
    assert response.json()["created"] == 10_000
    assert Interaction.objects.filter(customer=customer).count() == 10_000


def test_more_than_10000_rows_are_refused(api):
    rows = [{"external_id": f"X{i}"} for i in range(10_001)]
    response = api.post(URL.format("interactions"), {"rows": rows}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["rows"][0]["message"] == (
        "10,001 rows; send at most 10,000 per request."
    )


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"name": "No id", "customer_since": "2024-01-01"}, "external_id", "Required."),
        (
            {"external_id": "A", "name": "A", "customer_since": "01/02/2024"},
            "customer_since",
            "'01/02/2024' is not a date: the API takes dates as YYYY-MM-DD (ISO 8601) only.",
        ),
        (
            {"external_id": "A", "name": "A", "customer_since": "2024-13-01"},
            "customer_since",
            "'2024-13-01' is not a real date.",
        ),
        (
            {"external_id": "A", "name": "A", "customer_since": 20240101},
            "customer_since",
            "20240101 is not a date: the API takes dates as YYYY-MM-DD (ISO 8601) only.",
        ),
        (
            {"external_id": "A", "name": "A", "customer_since": "2024-01-01", "segment": "vip"},
            "segment",
            "'vip' is not one of core, important, general.",
        ),
        (
            {"external_id": "A", "name": "A", "customer_since": "2024-01-01", "status": "churned"},
            "churned_on",
            "A churned customer needs the date it churned.",
        ),
        (
            {"external_id": "A", "name": "A", "customer_since": "2024-01-01", "colour": "red"},
            "colour",
            "Unknown field; see the schema.",
        ),
        (
            {
                "external_id": "A",
                "name": "A",
                "customer_since": "2024-01-01",
                "primary_owner": "nobody@example.com",
            },
            "primary_owner",
            "No employee with email or external id 'nobody@example.com'.",
        ),
    ],
)
def test_each_bad_value_is_reported_with_its_field(api, row, field, message):
    response = api.post(URL.format("customers"), {"rows": [row]}, format="json")
    assert response.status_code == 400
    assert {"index": 0, "field": field, "message": message} in response.json()["error"]["rows"]
    assert not Customer.objects.exists()


def test_a_departed_owner_and_a_repeated_id_are_refused(api):
    EmployeeFactory(
        name="Gone Person",
        email="gone@example.com",
        status="departed",
        departure_date=dt.date(2026, 1, 1),
    )
    rows = [
        {"external_id": "A", "name": "A", "customer_since": "2024-01-01"},
        {
            "external_id": "A",
            "name": "A again",
            "customer_since": "2024-01-01",
            "primary_owner": "gone@example.com",
        },
    ]
    errors = api.post(URL.format("customers"), {"rows": rows}, format="json").json()["error"]
    assert errors["rows"] == [
        {"index": 1, "field": "external_id", "message": "'A' is also in row 0 of this request."},
        {
            "index": 1,
            "field": "primary_owner",
            "message": "Gone Person has left the company and cannot own customers.",
        },
    ]


def test_contacts_and_contracts_refer_to_customers_by_external_id(api):
    customer = CustomerFactory(external_id="C-9", customer_since=dt.date(2022, 5, 1))
    contacts = [
        {"external_id": "P-1", "customer": "C-9", "name": "Pat", "is_decision_maker": "yes"},
        {
            "external_id": "P-2",
            "customer": "C-9",
            "name": "Lou",
            "status": "left",
            "left_on": "2026-01-31",
        },
    ]
    assert api.post(URL.format("contacts"), {"rows": contacts}, format="json").status_code == 200
    pat = Contact.objects.get(external_id="P-1")
    # No known_since: known since the customer started.
    assert (pat.customer, pat.is_decision_maker, pat.known_since) == (
        customer,
        True,
        dt.date(2022, 5, 1),
    )
    contracts = [
        {
            "external_id": "K-1",
            "customer": "C-9",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "annual_value": "12000.50",
        }
    ]
    assert api.post(URL.format("contracts"), {"rows": contracts}, format="json").status_code == 200
    assert Contract.objects.get(external_id="K-1").annual_value == Decimal("12000.50")
    contracts[0]["end_date"] = "2025-12-31"
    errors = api.post(URL.format("contracts"), {"rows": contracts}, format="json").json()
    assert errors["error"]["rows"] == [
        {
            "index": 0,
            "field": "end_date",
            "message": "The end date 2025-12-31 is before the start date 2026-01-01.",
        }
    ]


def test_a_dry_run_checks_everything_and_writes_nothing(api, ann):
    response = api.post(
        URL.format("customers"), {"rows": customers_rows(), "dry_run": True}, format="json"
    )
    assert response.json()["dry_run"] is True and response.json()["received"] == 3
    assert not Customer.objects.exists()


def test_only_integrations_and_admins_may_import(ann):
    from tests.api.helpers import integration_client

    manager_api, _ = integration_client(role="manager")
    response = manager_api.post(URL.format("customers"), {"rows": []}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_awkward_text_arrives_exactly_as_sent(api):
    CustomerFactory(external_id="C-1")
    notes = ['He said "no", then left;\nnew line', "\\N", "", "tab\there, ünïcode ✓"]
    rows = [
        {
            "external_id": f"T-{i}",
            "customer": "C-1",
            "kind": "note",
            "happened_at": "2026-05-01T10:00:00+02:00",
            "notes": text,
        }
        for i, text in enumerate(notes)
    ]
    assert api.post(URL.format("interactions"), {"rows": rows}, format="json").status_code == 200
    stored = dict(Interaction.objects.values_list("external_id", "notes"))
    assert [stored[f"T-{i}"] for i in range(len(notes))] == notes
    moment = Interaction.objects.get(external_id="T-0").happened_at
    assert moment == dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("happened_at", "1926-09-08T13:13:21-17:25", None),  # taken, stored in UTC
        (
            "happened_at",
            "1826-09-08T13:13:21-17:25",
            "9 Sep 1826 is before 1 Jan 1900; check the year.",
        ),
        (
            "happened_at",
            "0001-01-01T00:00:00+01:00",
            "'0001-01-01T00:00:00+01:00' is out of range.",
        ),
        ("notes", "nul\x00byte", "contains a NUL character."),
        ("notes", "lone \ud800 surrogate", "contains characters that are not valid Unicode."),
        ("customer", "C-\ud800", "contains characters that are not valid Unicode."),
    ],
)
def test_values_the_database_cannot_hold_are_refused_not_a_server_error(api, field, value, message):
    CustomerFactory(external_id="C-1")
    row = {
        "external_id": "X-1",
        "customer": "C-1",
        "kind": "note",
        "happened_at": "2026-01-01T00:00:00Z",
    }
    row[field] = value
    body = json.dumps({"rows": [row]}, ensure_ascii=True)
    response = api.post(URL.format("interactions"), body, content_type="application/json")
    if message is None:
        assert response.status_code == 200
        stored = Interaction.objects.get(external_id="X-1").happened_at
        assert stored == dt.datetime(1926, 9, 9, 6, 38, 21, tzinfo=dt.UTC)  # 13:13 + 17:25
    else:
        assert response.status_code == 400
        assert response.json()["error"]["rows"] == [
            {"index": 0, "field": field, "message": message}
        ]
