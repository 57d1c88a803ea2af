"""The audit trail: reads of single records, exports (with their reason), owner and
contract changes; who, when, from where; and nobody can change or delete a record."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Contract
from staff.models import AuditEvent
from tests.api.helpers import integration_client, user_client
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_reading_a_customer_through_the_api_is_recorded_with_key_and_address():
    customer = CustomerFactory()
    api, token = integration_client()
    api.get(f"/api/v1/customers/{customer.pk}/", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="view")
    assert (event.action, event.object_type, event.object_id, event.customer_id) == (
        "view",
        "customer",
        str(customer.pk),
        customer.pk,
    )
    assert (event.token, event.ip, event.actor) == (
        token,
        "10.1.2.3",
        f"API key integration system ({token.prefix}…)",
    )


def test_a_person_s_key_is_recorded_as_that_person():
    user = UserFactory(username="ann")
    ann = EmployeeFactory(name="Ann", user=user)
    contract = ContractFactory(customer=CustomerFactory(primary_owner=ann))
    api, _ = user_client(user)
    api.get(f"/api/v1/contracts/{contract.pk}/")
    event = AuditEvent.objects.get(action="view")
    assert (event.employee, event.user, event.actor, event.customer_id) == (
        ann,
        user,
        "Ann",
        contract.customer_id,
    )


def test_an_export_needs_a_reason_and_is_recorded_with_it(client):
    manager = EmployeeFactory(name="Max", role="manager", user=UserFactory(username="max"))
    team = TeamFactory(manager=manager)
    member = EmployeeFactory(team=team)
    CustomerFactory(primary_owner=member)
    CustomerFactory(primary_owner=member)
    CustomerFactory()  # another team's: not in Max's export
    client.force_login(manager.user)
    assert client.post(reverse("export", args=["customers"]), {"reason": "  "}).status_code == 200
    assert not AuditEvent.objects.filter(action="export").exists()  # asked again
    response = client.post(
        reverse("export", args=["customers"]), {"reason": "Board pack"}, REMOTE_ADDR="10.9.9.9"
    )
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action="export")
    assert (event.action, event.object_type, event.rows, event.reason, event.actor, event.ip) == (
        "export",
        "customers",
        2,
        "Board pack",
        "Max",
        "10.9.9.9",
    )


def test_owner_and_contract_changes_through_the_api_are_recorded_once():
    ann = EmployeeFactory(email="ann@example.com")
    bea = EmployeeFactory(email="bea@example.com")
    api, token = integration_client()
    row = {
        "external_id": "C-1",
        "name": "Acme",
        "customer_since": "2024-01-01",
        "primary_owner": "ann@example.com",
    }
    api.post("/api/v1/customers/bulk/", {"rows": [row]}, format="json")
    row["primary_owner"] = "bea@example.com"
    api.post("/api/v1/customers/bulk/", {"rows": [row]}, format="json")
    api.post("/api/v1/customers/bulk/", {"rows": [row]}, format="json")  # nothing changes
    changes = AuditEvent.objects.filter(action="owner_change").order_by("id")
    assert [(e.detail["from"], e.detail["to"], e.token) for e in changes] == [
        (None, ann.pk, token),
        (ann.pk, bea.pk, token),
    ]
    contract = {
        "external_id": "K-1",
        "customer": "C-1",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "annual_value": "100",
    }
    for _ in range(2):
        api.post("/api/v1/contracts/bulk/", {"rows": [contract]}, format="json")
    assert AuditEvent.objects.filter(action="contract_change", object_id="K-1").count() == 1


def test_a_contract_saved_one_at_a_time_is_recorded():
    contract = ContractFactory(annual_value=Decimal("100"))
    contract.annual_value = Decimal("250")
    contract.end_date = contract.end_date + dt.timedelta(days=365)
    contract.save()
    events = AuditEvent.objects.filter(action="contract_change", object_id=contract.external_id)
    assert [e.detail["created"] for e in events.order_by("id")] == [True, False]
    assert (
        events.order_by("id").last().detail["annual_value"] == "250.00"
        or events.order_by("id").last().detail["annual_value"] == "250"
    )
    assert Contract.objects.get(pk=contract.pk).annual_value == Decimal("250")


def test_the_trail_cannot_be_changed_or_deleted():
    event = AuditEvent.objects.create(actor="x", action="view", object_type="customer")
    event.reason = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(reason="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_admins_see_the_trail_but_cannot_edit_it(admin_client):
    event = AuditEvent.objects.create(actor="x", action="view", object_type="customer")
    assert admin_client.get(reverse("admin:staff_auditevent_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:staff_auditevent_change", args=[event.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (
        admin_client.get(reverse("admin:staff_auditevent_delete", args=[event.pk])).status_code
        == 403
    )


def test_an_owner_change_in_a_request_is_recorded_with_the_signed_in_person(rf):
    from django.http import HttpResponse

    from staff.audit import AuditMiddleware

    user = UserFactory(username="root")
    ann, bea = EmployeeFactory(name="Ann"), EmployeeFactory(name="Bea")
    customer = CustomerFactory(primary_owner=ann)

    def hand_over(request):
        customer.primary_owner = bea
        customer.save()
        return HttpResponse()

    request = rf.post("/anything/", REMOTE_ADDR="10.0.0.7")
    request.user = user
    AuditMiddleware(hand_over)(request)
    event = AuditEvent.objects.filter(action="owner_change").latest("id")
    assert (event.actor, event.user, event.ip, event.detail["from"], event.detail["to"]) == (
        "root",
        user,
        "10.0.0.7",
        ann.pk,
        bea.pk,
    )
    customer.primary_owner = ann  # outside a request: the system
    customer.save()
    assert AuditEvent.objects.filter(action="owner_change").latest("id").actor == "system"
