"""One rule for whose departure shows (staff/access.py departure_scope): HR, admins,
integrations and the leaver's managers see a handover plan (last day, reason, voluntary
or not) on its page and in the API alike; an account manager, even the successor, sees
their handover tasks, not the plan. And one rule for what HR sees of a customer in a
handover plan (staff/access.py sees_records): its name, contracts (values) and handover
status, on the customer page and in the API alike; not its scores (whose reasons tell of
the interactions), alerts, contacts or interactions."""

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import RiskModel, RiskScore, ScoringRun
from handover.models import HandoverPlan, HandoverTask
from tests.api.helpers import integration_client, user_client
from tests.factories import ContractFactory, EmployeeFactory, TeamFactory, UserFactory
from tests.support.records import customer_with_records

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def person(name, team, role="account_manager", **fields):
    return EmployeeFactory(
        name=name, team=team, role=role, user=UserFactory(username=name.lower()), **fields
    )


@pytest.fixture
def org():
    mia = person("Mia", None, "manager")
    sam = person("Sam", None, "manager")
    north = TeamFactory(name="North", manager=mia)
    south = TeamFactory(name="South", manager=sam)
    ann, leo, sue = person("Ann", north), person("Leo", north), person("Sue", south)
    hal = person("Hal", None, "hr")
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    ScoringRun.objects.create(day=TODAY, model=model, status="complete")
    leos = customer_with_records(leo, model, "Leo's", TODAY)
    RiskScore.objects.filter(pk=leos["score"].pk).update(
        reasons=[
            {
                "signal": "engagement_drop",
                "text": "Interactions down 68% vs the prior 3-month average",
            }
        ]
    )
    plan = HandoverPlan.objects.create(
        employee=leo,
        last_day=TODAY + dt.timedelta(days=20),
        reason="Better offer elsewhere",
        voluntary=True,
    )
    # Sue, of another team, takes Leo's customer over.
    task = HandoverTask.objects.create(
        plan=plan, customer=leos["customer"], priority=1, risk=0.3, dependence=1, successor=sue
    )
    return {
        "mia": mia,
        "sam": sam,
        "ann": ann,
        "sue": sue,
        "hal": hal,
        "plan": plan,
        "task": task,
        "leos": leos,
    }


def plans_seen(api, org):
    listed = api.get("/api/v1/handover-plans/").json()["results"]
    detail = api.get(f"/api/v1/handover-plans/{org['plan'].pk}/")
    return [p["id"] for p in listed], detail.status_code


@pytest.mark.parametrize("who", ["sue", "ann"])
def test_an_account_manager_sees_no_colleague_s_plan_on_the_page_or_in_the_api(client, org, who):
    api, _ = user_client(org[who].user)
    assert plans_seen(api, org) == ([], 404)
    client.force_login(org[who].user)
    assert client.get(reverse("handover:plan", args=[org["plan"].pk])).status_code == 403


def test_the_successor_sees_their_handover_task_without_the_plan_s_reason(org):
    api, _ = user_client(org["sue"].user)
    response = api.get("/api/v1/handover-tasks/")
    assert [t["id"] for t in response.json()["results"]] == [org["task"].pk]
    assert "Better offer" not in response.content.decode()
    assert "last_day" not in response.json()["results"][0]
    # And the employees API shows Leo as active to her, with no last day.
    leo = api.get(f"/api/v1/employees/{org['plan'].employee_id}/").json()
    assert (leo["status"], leo["departure_date"]) == ("active", None)


def test_the_leaver_s_manager_hr_admins_and_integrations_see_the_plan(client, org):
    admin = UserFactory(username="root", is_superuser=True)
    for user in (org["mia"].user, org["hal"].user, admin):
        api, _ = user_client(user)
        assert plans_seen(api, org) == ([org["plan"].pk], 200), user
        body = api.get(f"/api/v1/handover-plans/{org['plan'].pk}/").json()
        assert (body["reason"], body["voluntary"]) == ("Better offer elsewhere", True)
        client.force_login(user)
        assert client.get(reverse("handover:plan", args=[org["plan"].pk])).status_code == 200
    assert plans_seen(integration_client()[0], org) == ([org["plan"].pk], 200)


def test_another_team_s_manager_sees_the_plan_neither_on_the_page_nor_in_the_api(client, org):
    api, _ = user_client(org["sam"].user)
    assert plans_seen(api, org) == ([], 404)
    client.force_login(org["sam"].user)
    assert client.get(reverse("handover:plan", args=[org["plan"].pk])).status_code == 404


def test_hr_reads_in_the_api_what_the_customer_page_shows(client, org):
    leos = org["leos"]
    customer = leos["customer"].pk
    api, _ = user_client(org["hal"].user)

    def rows(resource):
        return api.get(f"/api/v1/{resource}/", {"customer": customer}).json()["results"]

    # Names, values and handover status...
    contracts = rows("contracts")
    assert [c["external_id"] for c in contracts] == [leos["contract"].external_id]
    assert [t["id"] for t in rows("handover-tasks")] == [org["task"].pk]
    detail = api.get(f"/api/v1/contracts/{leos['contract'].pk}/")
    assert detail.status_code == 200
    # ...and not the score (its reasons tell of the interactions), alerts, contacts,
    # interactions or actions.
    for resource in ("risk-scores", "alerts", "contacts", "interactions", "retention-actions"):
        assert rows(resource) == [], resource
    assert api.get(f"/api/v1/risk-scores/{leos['score'].pk}/").status_code == 404

    client.force_login(org["hal"].user)
    page = html.unescape(client.get(reverse("customer", args=[customer])).content.decode())
    assert leos["contract"].external_id in page  # the contracts the API lists
    for hidden in ("Interactions down 68%", "Churn probability", "Revenue at risk"):
        assert hidden not in page, hidden
    assert "Interactions, contacts, risk scores and alerts are not shown to HR." in page


def test_hr_s_renewal_calendar_shows_contracts_without_scores_talks_or_alerts(client, org):
    leos = org["leos"]
    ContractFactory(
        customer=leos["customer"],
        external_id="K-RENEW",
        start_date=TODAY - dt.timedelta(days=300),
        end_date=TODAY + dt.timedelta(days=60),
    )
    client.force_login(org["hal"].user)
    page = html.unescape(client.get(reverse("renewals")).content.decode())
    assert "K-RENEW" in page and "Leo's" in page
    for hidden in ("Revenue at risk", "Last renewal talk", "Renewal alert", "none logged"):
        assert hidden not in page, hidden
    client.force_login(org["mia"].user)  # Leo's manager sees them all
    page = html.unescape(client.get(reverse("renewals")).content.decode())
    assert "K-RENEW" in page and "Revenue at risk" in page and "Last renewal talk" in page


def test_hr_s_customers_list_shows_names_and_values_without_risk_or_reasons(client, org):
    client.force_login(org["hal"].user)
    response = client.get(reverse("customers"), {"tier": "1"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Leo's" in page and "1 customer" in page  # the tier asked for is no filter
    # Nor is there an order by risk: asked for, it is refused and lists nobody.
    refused = client.get(reverse("customers"), {"sort": "probability"}).content.decode()
    assert "Select a valid choice" in refused and "Leo&#x27;s" not in refused
    for hidden in ("Interactions down 68%", "Revenue at risk", "Churn probability", "Why"):
        assert hidden not in page, hidden
    client.force_login(org["mia"].user)  # Leo's manager: the risk and its reasons
    page = html.unescape(client.get(reverse("customers")).content.decode())
    assert "Leo's" in page and "Revenue at risk" in page


def test_hr_s_handover_tasks_keep_to_the_schema_s_required_fields(org):
    """The schema's HandoverTask requires only what every reader gets: HR's answers,
    without risk, dependence, priority and reasons, hold every required field."""
    api, _ = user_client(org["hal"].user)
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    component = schema["components"]["schemas"]["HandoverTask"]
    (task,) = api.get("/api/v1/handover-tasks/").json()["results"]
    assert set(component["required"]) <= set(task)
    assert {"risk", "dependence", "priority", "recommendation_reasons"} & set(task) == set()
    assert "Absent when the caller's role is HR." in component["properties"]["risk"]["description"]
