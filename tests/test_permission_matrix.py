"""The permission matrix: every role against every URL of the app and the API, on an
object of the caller's own team and on another team's, with the exact outcome expected.

A URL pattern added without a row here fails `test_every_url_has_a_row`, so no page or
endpoint ships without its access decided. Roles: anonymous, account manager (Ann, in
North), manager (Mia, manages North and its sub-team), HR, admin; and, for the API, an
integration key. "Own" objects belong to North, "other" ones to South."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Webhook
from customers.models import CsvImport, ExchangeRate, RiskModel, ScoringRun
from handover.models import HandoverPlan, HandoverStep, HandoverTask
from retention.jobs.models import JobStep
from staff.models import ApiToken
from tests.factories import (
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)
from tests.support.records import customer_with_records

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "account_manager", "manager", "hr", "admin", "integration"]
PAGE_ROLES = ROLES[:-1]  # integrations have no pages
DAY = dt.date(2026, 6, 1)

# --- the world -----------------------------------------------------------------------------


def _side(owner, model, name):
    return customer_with_records(owner, model, name, DAY)


def _plan(leaver, customer, successor):
    plan = HandoverPlan.objects.create(
        employee=leaver,
        last_day=timezone.localdate() + dt.timedelta(days=20),
        reason="New job",
        voluntary=True,
    )
    task = HandoverTask.objects.create(
        plan=plan, customer=customer, priority=1, risk=0.3, dependence=1, successor=successor
    )
    step = HandoverStep.objects.create(
        task=task, kind="knowledge_transfer", due_on=plan.last_day, assignee=successor
    )
    return plan, task, step


@pytest.fixture
def world():
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    sam = EmployeeFactory(name="Sam", role="manager")
    north = TeamFactory(name="North", manager=mia)
    south = TeamFactory(name="South", manager=sam)
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    sue = EmployeeFactory(name="Sue", team=south)
    nat = EmployeeFactory(
        name="Nat",
        team=north,
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=20),
    )
    sol = EmployeeFactory(
        name="Sol",
        team=south,
        status="departing",
        departure_date=timezone.localdate() + dt.timedelta(days=20),
    )
    hr = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=DAY, horizon_days=90, window_start=DAY, window_end=DAY
    )
    ScoringRun.objects.create(day=DAY, model=model, status="complete")
    own, other = _side(ann, model, "Own"), _side(sue, model, "Other")
    # Own plan: Nat (North) leaves, Ann takes over one of Nat's customers; other: Sol.
    own["plan"], own["task"], own["step"] = _plan(nat, CustomerFactory(primary_owner=nat), ann)
    other["plan"], other["task"], other["step"] = _plan(
        sol, CustomerFactory(primary_owner=sol), sue
    )
    own["team"], other["team"] = north, south
    own["employee"], other["employee"] = nat, sol
    shared = {
        "model": model,
        "rate": ExchangeRate.objects.create(currency="JPY", day=DAY, rate="0.0061"),
        "webhook": Webhook.objects.create(name="CRM hook", url="http://127.0.0.1:9/hook"),
        "jobstep": JobStep.objects.create(
            day=DAY, name="roll_contracts", target="customers.tasks.roll_contracts", status="failed"
        ),
        "import": CsvImport.objects.create(
            kind="customers", original_name="x.csv", file="imports/x.csv", header=["a"]
        ),
    }
    users = {"account_manager": ann.user, "manager": mia.user, "hr": hr.user, "admin": root}
    return {"own": own, "other": other, "shared": shared, "users": users}


# --- the matrix ----------------------------------------------------------------------------
# A row: url name -> (method, object key or None, expected outcomes). Outcomes are per
# role, either one status for both sides, or (own, other). Objects are looked up on each
# side by key ("customer", "plan", ...), or in `shared` when the row has no sides.

OK, FOUND, DENIED, MISSING, LOGIN, UNAUTH = 200, 302, 403, 404, 302, 401
SEEN_OWN = (OK, MISSING)  # own team's object: yes; another team's: not found


def api_rows():
    """API rows: anonymous 401 everywhere; detail rows by who sees which customer."""
    records = {
        "account_manager": SEEN_OWN,
        "manager": SEEN_OWN,
        "hr": MISSING,
        "admin": OK,
        "integration": OK,
    }
    everyone = {"account_manager": OK, "manager": OK, "hr": OK, "admin": OK, "integration": OK}
    importers = {
        "account_manager": DENIED,
        "manager": DENIED,
        "hr": DENIED,
        "admin": OK,
        "integration": OK,
    }
    routed = {
        "account_manager": SEEN_OWN,
        "manager": (DENIED, MISSING),
        "hr": MISSING,
        "admin": DENIED,
        "integration": DENIED,
    }
    rows = {}
    for base, key in [
        ("customer", "customer"),
        ("contact", "contact"),
        ("contract", "contract"),
        ("interaction", "interaction"),
    ]:
        rows[f"api:{base}-list"] = ("GET", None, everyone)
        rows[f"api:{base}-detail"] = ("GET", key, records)
        rows[f"api:{base}-bulk"] = ("POST", None, importers)
    rows["api:exchange-rate-list"] = ("GET", None, everyone)
    rows["api:exchange-rate-detail"] = ("GET", "rate", everyone)
    rows["api:exchange-rate-bulk"] = ("POST", None, importers)
    rows["api:usage-list"] = ("GET", None, everyone)
    rows["api:usage-bulk"] = ("POST", None, importers)
    rows["api:team-bulk"] = ("POST", None, importers)
    rows["api:employee-bulk"] = ("POST", None, importers)
    # HR sees the customers in handover plans: the other side's is not one (Sue's, not Sol's).
    rows["api:customer-detail"] = ("GET", "customer", {**records, "hr": MISSING})
    rows |= {
        "api:risk-score-list": ("GET", None, everyone),
        "api:risk-score-detail": ("GET", "score", records),
        "api:risk-score-change": ("GET", "score", records),
        "api:alert-list": ("GET", None, everyone),
        "api:alert-detail": ("GET", "alert", records),
        # Acting on an alert is for the people it is routed to (Ann's own), as on the page.
        "api:alert-acknowledge": ("POST", "alert", routed),
        "api:alert-snooze": ("POST", "alert", routed),
        "api:alert-resolve": ("POST", "alert", routed),
        "api:retention-action-list": ("GET", None, everyone),
        "api:retention-action-detail": ("GET", "action", records),
        "api:team-list": ("GET", None, everyone),
        "api:team-detail": ("GET", "team", everyone),
        "api:employee-list": ("GET", None, everyone),
        "api:employee-detail": ("GET", "employee", everyone),
        "api:departure-list": (
            "POST",
            None,
            {
                "account_manager": DENIED,
                "manager": DENIED,
                "hr": 201,
                "admin": 201,
                "integration": 201,
            },
        ),
        "api:handover-plan-list": ("GET", None, everyone),
        # A plan is a departure (last day, reason): an account manager, even the
        # successor, sees their handover tasks, not the plan, as on the plan page.
        "api:handover-plan-detail": (
            "GET",
            "plan",
            {
                "account_manager": MISSING,
                "manager": SEEN_OWN,
                "hr": OK,
                "admin": OK,
                "integration": OK,
            },
        ),
        "api:handover-task-list": ("GET", None, everyone),
        "api:handover-task-detail": (
            "GET",
            "task",
            {
                "account_manager": SEEN_OWN,
                "manager": SEEN_OWN,
                "hr": OK,
                "admin": OK,
                "integration": OK,
            },
        ),
        "api:risk-model-list": ("GET", None, everyone),
        "api:risk-model-current": ("GET", None, everyone),
        "api:risk-model-detail": ("GET", "model", everyone),
        "api:webhook-list": ("GET", None, {**importers, "integration": DENIED}),
        "api:webhook-detail": ("GET", "webhook", {**importers, "integration": DENIED}),
        # The schema and its docs are public: integrators read them before they have a key.
        "api:schema": ("GET", None, {**everyone, "anonymous": OK}),
        "api:docs": ("GET", None, {**everyone, "anonymous": OK}),
        "api:api-root": ("GET", None, everyone),
    }
    return {
        name: (method, key, {"anonymous": UNAUTH, **outcomes})
        for name, (method, key, outcomes) in rows.items()
    }


PEOPLE = {"account_manager": DENIED, "manager": OK, "hr": OK, "admin": OK}
SIGNED_IN = {"account_manager": OK, "manager": OK, "hr": OK, "admin": OK}
PAGE_ROWS = {
    # HR own no customers: their start is the HR page.
    "home": ("GET", None, {**SIGNED_IN, "hr": FOUND}),
    "login": ("GET", None, {**SIGNED_IN, "anonymous": OK}),
    "logout": ("POST", None, {**dict.fromkeys(SIGNED_IN, FOUND), "anonymous": FOUND}),
    "healthz": ("GET", None, {**SIGNED_IN, "anonymous": OK}),
    "renewals": ("GET", None, SIGNED_IN),
    # Managers and account managers see another team's customer by name and owner only
    # (200, tested in tests/customers/test_customer_page.py); HR only customers in a plan.
    "customer": (
        "GET",
        "customer",
        {"account_manager": OK, "manager": OK, "hr": MISSING, "admin": OK},
    ),
    "log_interaction": (
        "POST",
        "customer",
        {
            "account_manager": (FOUND, MISSING),
            "manager": (FOUND, MISSING),
            "hr": MISSING,
            "admin": FOUND,
        },
    ),
    "score_change": (
        "GET",
        "customer",
        {"account_manager": (OK, MISSING), "manager": (OK, MISSING), "hr": MISSING, "admin": OK},
    ),
    # The form is empty here (400: the gate let the caller through to the validation).
    "grant_access": (
        "POST",
        "customer",
        {"account_manager": DENIED, "manager": (400, MISSING), "hr": DENIED, "admin": 400},
    ),
    "dashboard": ("GET", None, {**PEOPLE, "hr": DENIED}),
    "model_run": ("POST", None, {**dict.fromkeys(SIGNED_IN, DENIED), "admin": FOUND}),
    "model_job_progress": ("GET", "job", {**dict.fromkeys(SIGNED_IN, DENIED), "admin": OK}),
    "model": ("GET", None, {**PEOPLE, "hr": DENIED}),
    "hr": ("GET", None, {**PEOPLE, "manager": DENIED}),
    "imports": ("GET", None, {**dict.fromkeys(SIGNED_IN, DENIED), "admin": OK}),
    "jobs": ("GET", None, {**dict.fromkeys(SIGNED_IN, DENIED), "admin": OK}),
    "job_rerun": ("POST", "jobstep", {**dict.fromkeys(SIGNED_IN, DENIED), "admin": FOUND}),
    "import_detail": ("GET", "import", {**dict.fromkeys(SIGNED_IN, DENIED), "admin": OK}),
    "import_progress": ("GET", "import", {**dict.fromkeys(SIGNED_IN, DENIED), "admin": OK}),
    # Its owner or an admin (owners are tested in tests/customers/test_import_cancel.py).
    "import_cancel": ("POST", "import", {**dict.fromkeys(SIGNED_IN, DENIED), "admin": FOUND}),
    "export": (
        "GET",
        "kind",
        {"account_manager": DENIED, "manager": OK, "hr": DENIED, "admin": OK},
    ),
    "export_requests": (
        "GET",
        None,
        {"account_manager": DENIED, "manager": OK, "hr": DENIED, "admin": OK},
    ),
    "handover:plans": ("GET", None, PEOPLE),
    "handover:start": (
        "GET",
        None,
        {"account_manager": DENIED, "manager": DENIED, "hr": OK, "admin": OK},
    ),
    "handover:plan": ("GET", "plan", {**PEOPLE, "manager": SEEN_OWN}),
    "handover:exposure": ("GET", None, PEOPLE),
    "handover:what_if": ("GET", "employee", {**PEOPLE, "manager": SEEN_OWN}),
    "handover:my_steps": ("GET", None, SIGNED_IN),
    # Completing a step redirects to my steps (done, or the form's message); someone
    # else's step is not found (as another person's alert or customer).
    "handover:complete_step": (
        "POST",
        "step",
        {
            "account_manager": (FOUND, MISSING),
            "manager": (FOUND, MISSING),
            "hr": MISSING,
            "admin": FOUND,
        },
    ),
    "handover:outcomes": ("GET", None, PEOPLE),
    # Bulk "mark done" acts on the caller's own steps only: always back to my steps.
    "handover:complete_steps": ("POST", None, dict.fromkeys(SIGNED_IN, FOUND)),
    # Every role lists the customers it sees (staff/access.py narrows the rows).
    "customers": ("GET", None, SIGNED_IN),
    # The owner box's suggestions: every role may ask; the names are those of the teams
    # it sees (tests/customers/test_customer_list.py).
    "customer_owners": ("GET", None, SIGNED_IN),
    # Choosing one's language: stored, then back to the page (or home).
    "language": ("POST", None, dict.fromkeys(SIGNED_IN, FOUND)),
    # HR reads no alerts: the inbox is refused, as the menu does not offer it.
    "alerts:inbox": ("GET", None, {**SIGNED_IN, "hr": DENIED}),
    # Acting on an alert is for the people it is routed to (Ann's own alerts); one on a
    # customer the reader does not see is not found (a 403 would say it exists).
    "alerts:act": (
        "POST",
        "alert",
        {
            "account_manager": (FOUND, MISSING),
            "manager": (DENIED, MISSING),
            "hr": MISSING,
            "admin": DENIED,
        },
    ),
    "alerts:log_action": (
        "POST",
        "alert",
        {
            "account_manager": (FOUND, MISSING),
            "manager": (DENIED, MISSING),
            "hr": MISSING,
            "admin": DENIED,
        },
    ),
    "alerts:save_rates": ("GET", None, PEOPLE),
    "alerts:monthly": ("GET", None, PEOPLE),
}
PAGE_ROWS = {
    name: (method, key, {"anonymous": LOGIN, **outcomes})
    for name, (method, key, outcomes) in PAGE_ROWS.items()
}
API_ROWS = api_rows()
MATRIX = PAGE_ROWS | API_ROWS


def _url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                space = pattern.namespace or namespace
                if space != "admin":  # the admin has its own permission system
                    yield from walk(pattern.url_patterns, space)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_a_row():
    assert _url_names() - set(MATRIX) == set(), "add a row to the permission matrix"
    assert set(MATRIX) - _url_names() == set(), "a row for a URL that no longer exists"


# --- running a row -------------------------------------------------------------------------

BODIES = {
    "api:alert-snooze": {"until": (timezone.localdate() + dt.timedelta(days=3)).isoformat()},
    "api:alert-resolve": {"note": "Called them"},
    "api:customer-bulk": {"rows": []},
    "api:contact-bulk": {"rows": []},
    "api:contract-bulk": {"rows": []},
    "api:interaction-bulk": {"rows": []},
    "api:exchange-rate-bulk": {"rows": []},
    "api:usage-bulk": {"rows": []},
    "api:team-bulk": {"rows": []},
    "api:employee-bulk": {"rows": []},
    "alerts:act": {"action": "acknowledge"},
    "model_run": {"job": "train"},
    "log_interaction": {"kind": "note", "happened_at": "2026-06-01T10:00", "direction": "internal"},
    "alerts:log_action": {"kind": "call", "notes": "x"},
}


def _url(name, key, objects):
    if key is None:
        return reverse(name)
    if key == "kind":
        return reverse(name, args=["customers"])
    if key == "job":  # a Celery task id, and which job it is
        return reverse(name, args=["00000000-0000-0000-0000-000000000000"]) + "?job=train&after=0"
    obj = objects[key]
    if name.startswith("api:"):
        return reverse(name, kwargs={"pk": obj.pk})
    return reverse(name, args=[obj.pk])


def _client(world, role, api: bool):
    client = APIClient()
    if role == "anonymous":
        return client
    if role == "integration":
        _, key = ApiToken.issue(name="matrix", role="integration")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client
    if api:
        _, key = ApiToken.issue(name=f"matrix {role}", user=world["users"][role])
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    else:
        client.force_login(world["users"][role])
    return client


def _body(name, world):
    if name == "api:departure-list":
        leaver = EmployeeFactory(team=world["own"]["team"])
        return {
            "employee": leaver.pk,
            "last_day": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
            "reason": "x",
            "voluntary": True,
        }
    return BODIES.get(name, {})


CASES = [
    (name, role)
    for name in sorted(MATRIX)
    for role in (ROLES if name.startswith("api:") else PAGE_ROLES)
]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_the_outcome_is_exactly_the_one_in_the_matrix(world, name, role, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "x.csv").write_text("a\n1\n")
    method, key, outcomes = MATRIX[name]
    expected = outcomes[role]
    api = name.startswith("api:")
    sides = (
        ("own", "other")
        if key not in (None, "kind", "import", "model", "webhook", "job", "jobstep", "rate")
        else (None,)
    )
    for index, side in enumerate(sides):
        objects = world[side] if side else {**world["shared"]}
        want = expected[index] if isinstance(expected, tuple) else expected
        client = _client(world, role, api)
        url = _url(name, key, objects)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, _body(name, world), format="json" if api else None)
        assert response.status_code == want, f"{role} {method} {url} ({side or 'shared'})"
