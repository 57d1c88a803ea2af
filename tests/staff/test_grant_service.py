"""Grants go through one service: capped at 90 days, only to active account managers who
do not own the customer, recorded in the audit trail; nothing half-written."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from staff.models import AccessGrant, AuditEvent
from staff.services import grant_access
from tests.factories import CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def test_a_grant_beyond_90_days_or_to_an_owner_is_refused_and_nothing_is_written():
    mia = EmployeeFactory(name="Mia", role="manager")
    ann = EmployeeFactory(name="Ann")
    customer = CustomerFactory(name="Acme", primary_owner=ann)
    bob = EmployeeFactory(name="Bob")
    with pytest.raises(ValidationError) as refused:
        grant_access(customer=customer, grantee=bob, until=dt.date(2099, 1, 1), reason="x", by=mia)
    assert refused.value.message_dict == {"until": ["Access is granted for at most 90 days."]}
    with pytest.raises(ValidationError) as owner:
        grant_access(customer=customer, grantee=ann, until=timezone.localdate(), reason="x", by=mia)
    assert owner.value.message_dict == {"grantee": ["Ann already owns Acme."]}
    assert not AccessGrant.objects.exists()
    assert not AuditEvent.objects.filter(action="access_grant").exists()


def test_a_grant_within_the_cap_is_audited():
    mia = EmployeeFactory(name="Mia", role="manager")
    customer = CustomerFactory(name="Acme")
    bob = EmployeeFactory(name="Bob")
    until = timezone.localdate() + dt.timedelta(days=90)
    grant = grant_access(
        customer=customer, grantee=bob, until=until, reason=" Standing in ", by=mia
    )
    event = AuditEvent.objects.get(action="access_grant")
    assert (grant.reason, grant.granted_by) == ("Standing in", mia)
    assert (event.action, event.customer_id, event.detail) == (
        "access_grant",
        customer.pk,
        {"grantee": bob.pk, "until": until.isoformat()},
    )
