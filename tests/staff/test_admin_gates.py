"""The admin is gated by the same rules as the app. A staff account that is not an admin,
even with every model permission, cannot raise anyone's rights there; it reaches only
customer records, and only those staff/access.py lets it see. It does not start departures,
pick owners or act on alerts there: those go through the app's services and their rules.
Grants are made only on the customer page (audited, capped); revoking one in the admin is
audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, SignalRule, TierPlay, Webhook
from customers.models import Contact, Interaction
from handover.models import HandoverPlan
from staff.models import AccessGrant, ApiToken, AuditEvent, Employee, ExportRequest
from tests.api.helpers import user_client
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia(client):
    """A staff manager (not an admin) with every model permission, managing North."""
    user = UserFactory(username="mia", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    mia = EmployeeFactory(name="Mia", role="manager", user=user)
    TeamFactory(name="North", manager=mia)
    client.force_login(user)
    return mia


@pytest.fixture
def sue():
    """An account manager in South, a team Mia does not manage."""
    return EmployeeFactory(name="Sue", team=TeamFactory(name="South"))


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


def sign_in_ada_the_admin(client) -> None:
    admin_user = UserFactory(username="ada", is_staff=True, is_superuser=True)
    EmployeeFactory(name="Ada", role="admin", user=admin_user)
    client.force_login(admin_user)


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
    lea = leaving_staff_manager(Permission.objects.filter(codename="view_customer"))
    user = lea.user
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


def form_data(response) -> dict:
    """What the admin's change page would post back unchanged: the form's editable
    fields and every inline's management form and rows."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif isinstance(value, list | tuple):
                data[form.add_prefix(name)] = list(value)
            else:
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# --- 1. handover plans --------------------------------------------------------------------


def test_a_staff_manager_cannot_add_a_handover_plan_for_another_team_s_employee(mia, client, sue):
    last_day = timezone.localdate() + dt.timedelta(days=3)
    add = reverse("admin:handover_handoverplan_add")
    assert client.get(add).status_code == 403
    response = client.post(
        add,
        {
            "employee": sue.pk,
            "last_day": last_day.isoformat(),
            "reason": "leaving",
            "voluntary": "on",
            "status": "open",
            "log": "[]",
            "tasks-TOTAL_FORMS": "0",
            "tasks-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    assert not HandoverPlan.objects.exists()
    sue.refresh_from_db()
    assert (sue.status, sue.departure_date) == (Employee.Status.ACTIVE, None)


def test_not_even_an_admin_adds_a_plan_in_the_admin_they_start_a_departure(client, sue):
    sign_in_ada_the_admin(client)
    assert client.get(reverse("admin:handover_handoverplan_add")).status_code == 403
    changelist = client.get(reverse("admin:handover_handoverplan_changelist")).content.decode()
    assert reverse("admin:handover_handoverplan_add") not in changelist


def test_a_staff_manager_cannot_change_who_leaves_or_when_on_a_plan_they_see(mia, client, sue):
    ned = EmployeeFactory(name="Ned", team=mia.managed_teams.get())
    last_day = timezone.localdate() + dt.timedelta(days=20)
    plan = HandoverPlan.objects.create(employee=ned, last_day=last_day, reason="x", voluntary=True)
    url = reverse("admin:handover_handoverplan_change", args=[plan.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert {"employee", "last_day", "status", "created_by"}.isdisjoint(form.fields)
    data = form_data(page)
    data.update(
        employee=sue.pk,
        last_day=(timezone.localdate() + dt.timedelta(days=1)).isoformat(),
        status="cancelled",
        created_by=mia.pk,
        exit_interview_notes="Talked on Monday.",
    )
    assert client.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert (plan.employee, plan.last_day, plan.status, plan.created_by) == (
        ned,
        last_day,
        "open",
        None,
    )
    assert plan.exit_interview_notes == "Talked on Monday."


# --- 2. approving a leaver's export or bulk read ------------------------------------------


@pytest.fixture
def leaving_manager():
    """Lea manages North and is in it herself, leaving in 10 days; Boss manages the parent
    team Head, and Dan (also leaving) manages North's sub-team East; Ann is in North."""
    boss = EmployeeFactory(name="Boss", role="manager", user=UserFactory(username="boss"))
    head = TeamFactory(name="Head", manager=boss)
    lea = EmployeeFactory(
        name="Lea",
        role="manager",
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=10),
        user=UserFactory(username="lea"),
    )
    north = TeamFactory(name="North", manager=lea, parent=head)
    lea.team = north
    lea.save()
    dan = EmployeeFactory(
        name="Dan",
        role="manager",
        team=north,
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=30),
        user=UserFactory(username="dan"),
    )
    TeamFactory(name="East", manager=dan, parent=north)
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    return {"lea": lea, "boss": boss, "dan": dan, "ann": ann}


def test_nobody_approves_their_own_export_request(client, leaving_manager):
    lea = leaving_manager["lea"]
    own = ExportRequest.objects.create(employee=lea, kind="customers", reason="Handover notes")
    client.force_login(lea.user)
    page = client.get(reverse("export_requests"))
    assert list(page.context["requests"]) == []
    assert client.post(reverse("export_requests"), {"request": own.pk}).status_code == 404
    own.refresh_from_db()
    assert (own.approved_by, own.approved_at) == (None, None)


def test_someone_leaving_approves_nobody_s_request(client, leaving_manager):
    lea, dan, ann = leaving_manager["lea"], leaving_manager["dan"], leaving_manager["ann"]
    ann.status, ann.departure_date = "departing", timezone.localdate() + dt.timedelta(days=5)
    ann.save()
    anns = ExportRequest.objects.create(employee=ann, kind="contacts", reason="Notes")
    for leaver in (lea, dan):  # Lea manages Ann's team; Dan is leaving in 30 days
        client.force_login(leaver.user)
        assert list(client.get(reverse("export_requests")).context["requests"]) == []
        assert client.post(reverse("export_requests"), {"request": anns.pk}).status_code == 404
    anns.refresh_from_db()
    assert anns.approved_at is None


def test_a_manager_of_the_leaver_s_team_who_stays_approves(client, leaving_manager):
    lea, boss = leaving_manager["lea"], leaving_manager["boss"]
    own = ExportRequest.objects.create(employee=lea, kind="customers", reason="Handover notes")
    client.force_login(boss.user)
    assert list(client.get(reverse("export_requests")).context["requests"]) == [own]
    assert client.post(reverse("export_requests"), {"request": own.pk}).status_code == 302
    own.refresh_from_db()
    assert own.approved_by == boss and own.approved_at is not None


def test_a_self_approved_bulk_read_does_not_pass_the_api_allowance(
    client, leaving_manager, settings, mailoutbox
):
    settings.BULK_READ_DAILY_ALLOWANCE = 4
    lea, boss = leaving_manager["lea"], leaving_manager["boss"]
    ContactFactory.create_batch(3, customer=CustomerFactory(primary_owner=lea))
    api, _ = user_client(lea.user)
    assert api.get("/api/v1/contacts/", {"page_size": 3}).status_code == 200  # 3 of 4
    refused = api.get("/api/v1/contacts/", {"page_size": 3})  # 6 > 4
    assert refused.json()["error"]["code"] == "approval_required"
    waiting = ExportRequest.objects.get()
    assert mailoutbox[0].to == [boss.email]  # Lea manages her own team: the team above
    client.force_login(lea.user)
    client.post(reverse("export_requests"), {"request": waiting.pk})
    assert api.get("/api/v1/contacts/", {"page_size": 3}).status_code == 403
    client.force_login(boss.user)
    client.post(reverse("export_requests"), {"request": waiting.pk})
    assert api.get("/api/v1/contacts/", {"page_size": 3}).status_code == 200
    waiting.refresh_from_db()
    assert waiting.approved_by == boss


# --- 3. owners and alerts -----------------------------------------------------------------


@pytest.fixture
def neds_customer(mia):
    """Ned, in Mia's team North, owns Acme; an alert on Acme is routed to Ned, not Mia."""
    ned = EmployeeFactory(name="Ned", team=mia.managed_teams.get())
    customer = CustomerFactory(name="Acme", primary_owner=ned)
    alert = Alert.objects.create(
        customer=customer,
        signal="complaint",
        text="Complaint 3 days ago",
        owner=ned,
        opened_on=timezone.localdate(),
        figures_on=timezone.localdate(),
        revenue_at_risk=1000,
    )
    return {"ned": ned, "customer": customer, "alert": alert}


def test_a_staff_manager_cannot_pick_a_customer_s_owner_in_the_admin(
    mia, client, sue, neds_customer
):
    customer = neds_customer["customer"]
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = client.get(url)
    assert {"primary_owner", "secondary_owner"}.isdisjoint(page.context["adminform"].form.fields)
    data = form_data(page)
    data.update(primary_owner=sue.pk, secondary_owner=mia.pk, name="Acme Group")
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.primary_owner, customer.secondary_owner) == (
        "Acme Group",
        neds_customer["ned"],
        None,
    )


def test_an_interaction_a_staff_manager_adds_in_the_admin_is_theirs(
    mia, client, sue, neds_customer
):
    response = client.post(
        reverse("admin:customers_interaction_add"),
        {
            "customer": neds_customer["customer"].pk,
            "employee": sue.pk,
            "kind": "call",
            "direction": "outbound",
            "happened_at_0": timezone.localdate().isoformat(),
            "happened_at_1": "09:00:00",
            "notes": "Called about the renewal.",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Interaction.objects.get().employee == mia


def test_alerts_are_read_only_in_the_admin_for_a_staff_manager(mia, client, neds_customer):
    alert = neds_customer["alert"]
    url = reverse("admin:alerts_alert_change", args=[alert.pk])
    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert 'name="_save"' not in page.content.decode()
    for change in (
        {"status": "snoozed", "snoozed_until": "2099-12-31"},
        {"status": "resolved", "closed_on": timezone.localdate().isoformat()},
        {"owner": mia.pk, "text": "Nothing to see", "revenue_at_risk": "0"},
    ):
        data = {
            "customer": alert.customer_id,
            "signal": alert.signal,
            "status": "open",
            "text": alert.text,
            "annual_value": "0",
            "probability": "0",
            "revenue_at_risk": "1000",
            "owner": alert.owner_id,
            "opened_on": alert.opened_on.isoformat(),
            "figures_on": alert.figures_on.isoformat(),
            **change,
        }
        assert client.post(url, data).status_code == 403
    assert client.get(reverse("admin:alerts_alert_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:alerts_alert_delete", args=[alert.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until, alert.owner, alert.text, alert.revenue_at_risk) == (
        "open",
        None,
        neds_customer["ned"],
        "Complaint 3 days ago",
        1000,
    )


def test_an_admin_s_snooze_in_the_admin_keeps_the_snooze_maximum(client, settings, neds_customer):
    settings.ALERT_SNOOZE_MAX_DAYS = 90
    sign_in_ada_the_admin(client)
    alert = neds_customer["alert"]
    url = reverse("admin:alerts_alert_change", args=[alert.pk])
    data = form_data(client.get(url))
    data.update(status="snoozed", snoozed_until="2099-12-31")
    refused = client.post(url, data)
    assert refused.status_code == 200
    latest = timezone.localdate() + dt.timedelta(days=90)
    assert refused.context["adminform"].form.errors["snoozed_until"] == [
        f"Snooze for at most 90 days (until {latest:%-d %b %Y})."
    ]
    data.update(snoozed_until=latest.isoformat())
    assert client.post(url, data).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == ("snoozed", latest)


def test_an_admin_s_change_of_status_keeps_the_rules_of_acting_on_an_alert(client, neds_customer):
    """As the page and the API: a snooze runs to a later day, a resolution says what was
    done, and a resolved alert is closed on a day (today if none is given)."""
    sign_in_ada_the_admin(client)
    alert = neds_customer["alert"]
    url = reverse("admin:alerts_alert_change", args=[alert.pk])
    data = form_data(client.get(url))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    refused = client.post(url, {**data, "status": "snoozed", "snoozed_until": yesterday})
    assert refused.context["adminform"].form.errors["snoozed_until"] == [
        "Snooze until a day after today."
    ]
    refused = client.post(url, {**data, "status": "resolved", "note": " ", "closed_on": ""})
    assert refused.context["adminform"].form.errors["note"] == [
        "Say what was done when resolving an alert."
    ]
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until, alert.closed_on) == ("open", None, None)
    done = client.post(
        url, {**data, "status": "resolved", "note": "Called, fixed.", "closed_on": ""}
    )
    assert done.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.note, alert.closed_on) == (
        "resolved",
        "Called, fixed.",
        timezone.localdate(),
    )


# --- 4. admin reads by someone leaving ----------------------------------------------------


def leaving_staff_manager(permissions=None) -> Employee:
    """Lea: a staff manager with `permissions` (default: every model permission), leaving
    in 10 days; Boss manages her team."""
    boss = EmployeeFactory(name="Boss", role="manager")
    user = UserFactory(username="lea", is_staff=True)
    user.user_permissions.set(Permission.objects.all() if permissions is None else permissions)
    return EmployeeFactory(
        name="Lea",
        role="manager",
        user=user,
        team=TeamFactory(manager=boss),
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=10),
    )


def test_admin_reads_of_every_kind_of_record_are_audited_and_counted_for_a_leaver(client, settings):
    """Lea, a staff manager with every permission, leaves in 10 days; her one customer has
    3 contacts, 2 contracts and 4 interactions. Her allowance is 17 records a day."""
    settings.BULK_READ_DAILY_ALLOWANCE = 17
    lea = leaving_staff_manager()
    user = lea.user
    customer = CustomerFactory(primary_owner=lea)
    contacts = ContactFactory.create_batch(3, customer=customer)
    ContractFactory.create_batch(2, customer=customer)
    interactions = InteractionFactory.create_batch(4, customer=customer, employee=lea)
    customer.ownership_periods.all().delete()  # the inline then shows contacts and contracts
    client.force_login(user)
    for name, args in (
        ("admin:customers_contact_changelist", []),  # 3
        ("admin:customers_contract_changelist", []),  # 2 -> 5
        ("admin:customers_interaction_changelist", []),  # 4 -> 9
        ("admin:customers_interaction_change", [interactions[0].pk]),  # 1 -> 10
        ("admin:customers_customer_change", [customer.pk]),  # 1 + 3 + 2 -> 16
        ("admin:customers_customer_delete", [customer.pk]),  # 1 -> 17
    ):
        assert client.get(reverse(name, args=args)).status_code == 200, name
    reads = AuditEvent.objects.filter(action="view", employee=lea).order_by("id")
    assert [(e.object_type, e.rows, e.customer_id) for e in reads] == [
        ("contact", 3, None),
        ("contract", 2, None),
        ("interaction", 4, None),
        ("interaction", 1, customer.pk),
        ("customer", 1, customer.pk),
        ("contact", 3, customer.pk),
        ("contract", 2, customer.pk),
        ("customer", 1, customer.pk),
    ]
    # 17 read today: one more contact waits for Boss's approval.
    refused = client.get(reverse("admin:customers_contact_change", args=[contacts[0].pk]))
    assert refused.status_code == 403 and "approval" in refused.content.decode()
    assert reads.count() == 8
    assert ExportRequest.objects.get().kind == "contact"


def test_the_admin_autocomplete_offers_only_visible_customers_as_an_audited_read(client, settings):
    """Lea (staff manager, leaving in 10 days) picks a contract's customer in the admin:
    the autocomplete offers her 2 customers named "Acme ..." of the 3 in the company (the
    third is South's), records one read of 2 customers, and counts them towards her
    allowance of 3: the next search, offering 2 more, waits for approval."""
    settings.BULK_READ_DAILY_ALLOWANCE = 3
    lea = leaving_staff_manager()
    user = lea.user
    CustomerFactory(name="Acme North", primary_owner=lea)
    CustomerFactory(name="Acme East", primary_owner=lea)
    south = TeamFactory(name="South", manager=EmployeeFactory(role="manager"))
    CustomerFactory(name="Acme South", primary_owner=EmployeeFactory(team=south))
    client.force_login(user)
    query = {
        "app_label": "customers",
        "model_name": "contract",
        "field_name": "customer",
        "term": "Acme",
    }
    answer = client.get(reverse("admin:autocomplete"), query)
    assert answer.status_code == 200
    assert sorted(r["text"] for r in answer.json()["results"]) == ["Acme East", "Acme North"]
    reads = AuditEvent.objects.filter(action="view", employee=lea)
    assert [(e.object_type, e.rows) for e in reads] == [("customer", 2)]
    refused = client.get(reverse("admin:autocomplete"), query)
    assert refused.status_code == 403 and "approval" in refused.content.decode()
    assert reads.count() == 1


def test_delete_selected_s_confirmation_is_a_read_audited_and_counted_for_a_leaver(
    client, settings
):
    """The confirmation page of "Delete selected" lists every selected record: Lea
    (leaving, allowance 5) selects all 4 interactions of her customer (a read of 4);
    selecting them again (8 > 5) waits for Boss's approval, and nothing is deleted."""
    settings.BULK_READ_DAILY_ALLOWANCE = 5
    lea = leaving_staff_manager()
    customer = CustomerFactory(primary_owner=lea)
    interactions = InteractionFactory.create_batch(4, customer=customer, employee=lea)
    client.force_login(lea.user)
    changelist = reverse("admin:customers_interaction_changelist")
    selected = {
        "action": "delete_selected",
        "select_across": "1",
        "index": "0",
        "_selected_action": [i.pk for i in interactions],
    }
    page = client.post(changelist, selected)
    assert page.status_code == 200 and "Are you sure" in page.content.decode()
    reads = AuditEvent.objects.filter(action="view", employee=lea, object_type="interaction")
    assert [e.rows for e in reads] == [4]
    refused = client.post(changelist, selected)
    assert refused.status_code == 403 and "approval" in refused.content.decode()
    assert [e.rows for e in reads] == [4]
    assert Interaction.objects.count() == 4
