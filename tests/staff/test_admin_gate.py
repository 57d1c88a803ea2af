"""The admin is gated by the same rules as the app: a staff account that is not an admin,
even with every model permission, cannot raise anyone's rights there; it reaches only
customer records, and only those staff/access.py lets it see. Grants are made only on the
customer page (audited, capped); revoking one in the admin is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from alerts.models import SignalRule, TierPlay, Webhook
from customers.models import Contact
from handover.models import HandoverPlan
from staff.models import AccessGrant, ApiToken, AuditEvent
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia(client):
    """A staff manager given every model permission there is."""
    user = UserFactory(username="mia", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    mia = EmployeeFactory(name="Mia", role="manager", user=user)
    TeamFactory(name="North", manager=mia)
    client.force_login(user)
    return mia


@pytest.fixture
def other_side():
    sam = EmployeeFactory(name="Sam", role="manager")
    south = TeamFactory(name="South", manager=sam)
    sue = EmployeeFactory(name="Sue", team=south)
    return {"customer": CustomerFactory(name="Theirs Ltd", primary_owner=sue), "sue": sue}


ADMIN_ONLY = [
    ("admin:staff_employee_changelist", None),
    ("admin:staff_team_changelist", None),
    ("admin:staff_accessgrant_changelist", None),
    ("admin:staff_apitoken_changelist", None),
    ("admin:staff_apitoken_add", None),
    ("admin:staff_auditevent_changelist", None),
    ("admin:alerts_webhook_changelist", None),
    ("admin:alerts_webhook_add", None),
    ("admin:alerts_signalrule_changelist", None),
    ("admin:alerts_tierplay_changelist", None),
    ("admin:auth_user_changelist", None),
    ("admin:auth_group_changelist", None),
    ("admin:django_celery_beat_periodictask_changelist", None),
]


@pytest.mark.parametrize(("name", "arg"), ADMIN_ONLY)
def test_admin_only_models_are_refused_to_a_staff_manager_with_every_permission(
    mia, client, name, arg
):
    assert client.get(reverse(name)).status_code == 403


def test_a_staff_manager_cannot_make_themselves_an_admin(mia, client):
    url = reverse("admin:staff_employee_change", args=[mia.pk])
    assert client.get(url).status_code == 403
    client.post(
        url, {"name": mia.name, "email": mia.email, "role": "admin", "hired_on": "2020-01-01"}
    )
    mia.refresh_from_db()
    assert mia.role == "manager"
    user_url = reverse("admin:auth_user_change", args=[mia.user_id])
    client.post(user_url, {"username": "mia", "is_superuser": "on", "is_staff": "on"})
    mia.user.refresh_from_db()
    assert not mia.user.is_superuser


def test_nobody_adds_a_grant_in_the_admin_not_even_an_admin(mia, client, other_side):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get(reverse("admin:staff_accessgrant_add")).status_code == 403
    client.post(
        reverse("admin:staff_accessgrant_add"),
        {
            "customer": other_side["customer"].pk,
            "grantee": mia.pk,
            "reason": "x",
            "until": "2099-01-01",
        },
    )
    assert not AccessGrant.objects.exists()


def test_revoking_grants_in_the_admin_is_audited(client, other_side):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    ann = EmployeeFactory(name="Ann")
    grant = AccessGrant.objects.create(
        customer=other_side["customer"],
        grantee=ann,
        reason="Standing in",
        until=timezone.localdate() + dt.timedelta(days=5),
    )
    client.force_login(root)
    client.post(
        reverse("admin:staff_accessgrant_changelist"),
        {"action": "revoke", "_selected_action": [grant.pk]},
    )
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    event = AuditEvent.objects.get(action="access_revoke")
    assert (event.customer_id, event.detail, event.actor) == (
        other_side["customer"].pk,
        {"grant": grant.pk, "grantee": ann.pk},
        "root",
    )


def test_webhooks_and_tokens_and_rules_are_not_shown_to_a_staff_manager(mia, client):
    Webhook.objects.create(name="All alerts", url="https://93.184.215.14/hook", secret="s3cret")
    ApiToken.issue(name="Billing")
    index = client.get(reverse("admin:index")).content.decode()
    for model in ("Webhooks", "Api tokens", "Signal rules", "Tier plays", "Employees", "Users"):
        assert model not in index
    assert "Customers" in index
    assert (
        client.get(
            reverse("admin:alerts_webhook_change", args=[Webhook.objects.get().pk])
        ).status_code
        == 403
    )
    assert SignalRule.objects.count() == 0 and TierPlay.objects.count() == 0  # nothing added


def test_another_team_s_handover_plan_is_not_found_for_a_staff_manager(mia, client, other_side):
    plan = HandoverPlan.objects.create(
        employee=other_side["sue"],
        last_day=timezone.localdate() + dt.timedelta(days=9),
        reason="x",
        voluntary=True,
    )
    mine = HandoverPlan.objects.create(
        employee=EmployeeFactory(team=mia.managed_teams.get()),
        last_day=timezone.localdate() + dt.timedelta(days=9),
        reason="y",
        voluntary=True,
    )
    response = client.get(reverse("admin:handover_handoverplan_change", args=[plan.pk]))
    assert response.status_code == 302  # "doesn't exist", back to the admin index
    listed = client.get(reverse("admin:handover_handoverplan_changelist")).context["cl"]
    assert list(listed.result_list) == [mine]


def test_a_contact_cannot_be_added_to_a_customer_the_staff_manager_does_not_see(
    mia, client, other_side
):
    response = client.post(
        reverse("admin:customers_contact_add"),
        {"customer": other_side["customer"].pk, "name": "Spy", "status": "active"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Contact.objects.filter(name="Spy").exists()


def test_a_departed_admin_is_refused_by_the_admin(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    EmployeeFactory(
        user=root,
        role="admin",
        status="departing",
        departure_date=timezone.localdate() - dt.timedelta(days=1),
    )
    client.force_login(root)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_sign_in_refuses_a_leaver_with_the_reason_and_a_locked_address(client, settings):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    EmployeeFactory(
        user=root,
        role="admin",
        status="departing",
        departure_date=timezone.localdate() - dt.timedelta(days=1),
    )
    url = reverse("admin:login")
    refused = client.post(url, {"username": "root", "password": "correct horse battery staple"})
    assert "Your access ended after your last day" in refused.content.decode()
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    for name in ("x1", "x2"):
        client.post(url, {"username": name, "password": "guess"})
    UserFactory(username="ok", is_staff=True)
    locked = client.post(url, {"username": "ok", "password": "correct horse battery staple"})
    assert "Too many failed sign-ins from your address" in locked.content.decode()


def test_admin_reads_of_customer_records_are_audited_and_within_a_leaver_s_allowance(
    client, settings
):
    settings.BULK_READ_DAILY_ALLOWANCE = 4
    boss = EmployeeFactory(name="Boss", role="manager")
    user = UserFactory(username="lea", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    lea = EmployeeFactory(
        name="Lea",
        role="manager",
        user=user,
        team=TeamFactory(manager=boss),
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=10),
    )
    mine = [CustomerFactory(primary_owner=lea) for _ in range(3)]
    client.force_login(user)
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:customers_customer_change", args=[mine[0].pk])).status_code == 200
    )
    reads = AuditEvent.objects.filter(action="view", employee=lea).order_by("id")
    assert [(e.object_type, e.rows, e.customer_id) for e in reads] == [
        ("customer", 3, None),
        ("customer", 1, mine[0].pk),
    ]
    # 4 read today: the next list (3 more) waits for Boss.
    refused = client.get(reverse("admin:customers_customer_changelist"))
    assert refused.status_code == 403 and "approval" in refused.content.decode()
    assert reads.count() == 2
