"""One routing rule for acting on an alert, at every door: acknowledging, snoozing,
resolving, and recording a retention action that answers it (which acknowledges it).
HR reads the save rate but records no retention actions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from alerts.actions import record_action
from alerts.models import Alert, RetentionAction
from handover.models import HandoverPlan, HandoverTask
from tests.api.helpers import user_client
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def alert():
    """Ann's alert (not escalated: no manager on it), on a customer her manager Mia sees."""
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    ann = EmployeeFactory(
        name="Ann", team=TeamFactory(manager=mia), user=UserFactory(username="ann")
    )
    return Alert.objects.create(
        customer=CustomerFactory(primary_owner=ann),
        signal="complaint",
        text="x",
        owner=ann,
        opened_on=TODAY(),
        figures_on=TODAY(),
    )


def _post_action(api, alert):
    return api.post(
        "/api/v1/retention-actions/",
        {"customer": alert.customer_id, "alert": alert.pk, "kind": "call"},
        format="json",
    )


def test_the_api_records_an_action_against_an_alert_only_for_whom_it_is_routed(alert):
    mia_api, _ = user_client(alert.owner.team.manager.user)
    # Mia sees the customer (her team's), but the alert is not routed to her.
    assert mia_api.get(f"/api/v1/customers/{alert.customer_id}/").status_code == 200
    refused = _post_action(mia_api, alert)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "This alert is not routed to you."
    alert.refresh_from_db()
    assert alert.status == "open"
    assert not RetentionAction.objects.exists()
    # The same as acknowledging it directly.
    assert mia_api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403
    ann_api, _ = user_client(alert.owner.user)
    assert _post_action(ann_api, alert).status_code == 201
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert list(RetentionAction.objects.values_list("owner__name", flat=True)) == ["Ann"]


def test_hr_records_no_retention_action_even_on_a_customer_it_sees(alert):
    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    plan = HandoverPlan.objects.create(
        employee=alert.owner, last_day=TODAY(), reason="New job", voluntary=True
    )
    HandoverTask.objects.create(
        plan=plan, customer=alert.customer, priority=1, risk=0.5, dependence=1
    )
    api, _ = user_client(hal.user)
    # HR sees the customer in the handover...
    assert api.get(f"/api/v1/customers/{alert.customer_id}/").status_code == 200
    for body in (
        {"customer": alert.customer_id, "alert": alert.pk, "kind": "call"},
        {"customer": alert.customer_id, "kind": "call"},
    ):
        response = api.post("/api/v1/retention-actions/", body, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "HR does not record retention actions."
    alert.refresh_from_db()
    assert alert.status == "open"
    assert not RetentionAction.objects.exists()


def test_the_service_refuses_an_action_against_an_alert_not_routed_to_its_author(alert):
    mia = alert.owner.team.manager
    with pytest.raises(PermissionDenied):
        record_action(customer=alert.customer, kind="call", by=mia, alert=alert)
    with pytest.raises(PermissionDenied):
        record_action(customer=alert.customer, kind="call", by=None, alert=alert)
    alert.refresh_from_db()
    assert alert.status == "open"
    # Once escalated to Mia, she may.
    alert.manager = mia
    alert.save()
    record_action(customer=alert.customer, kind="call", by=mia, alert=alert)
    alert.refresh_from_db()
    assert alert.status == "acknowledged"


def test_the_page_refuses_to_log_an_action_on_an_alert_not_routed_to_you(alert, client):
    client.force_login(alert.owner.team.manager.user)
    response = client.post(reverse("alerts:log_action", args=[alert.pk]), {"kind": "call"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    assert not RetentionAction.objects.exists()
