"""Who sees which customer's records through the API (staff/access.py): account managers
their own, managers their teams and sub-teams, HR the customers in handover plans (no
contacts or interactions), admins and integrations all. Another team's record is a 404
on every detail endpoint (no IDOR)."""

import datetime as dt

import pytest

from customers.models import RiskModel, ScoringRun
from handover.models import HandoverPlan, HandoverTask
from tests.api.helpers import integration_client, user_client
from tests.factories import (
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)
from tests.support.records import customer_with_records

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 1)


def person(name, team, role="account_manager"):
    return EmployeeFactory(name=name, team=team, role=role, user=UserFactory(username=name.lower()))


@pytest.fixture
def org():
    mia, sam = (
        EmployeeFactory(name="Mia", role="manager"),
        EmployeeFactory(name="Sam", role="manager"),
    )
    mia.user = UserFactory(username="mia")
    mia.save()
    north = TeamFactory(name="North", manager=mia)
    north_east = TeamFactory(name="North-East", parent=north)
    south = TeamFactory(name="South", manager=sam)
    ann, ned, sue = person("Ann", north), person("Ned", north_east), person("Sue", south)
    hr = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=DAY, horizon_days=90, window_start=DAY, window_end=DAY
    )
    ScoringRun.objects.create(day=DAY, model=model, status="complete")
    records = {}
    for owner in (ann, ned, sue):
        side = customer_with_records(owner, model, f"{owner.name}'s", DAY)
        records[owner.name] = {
            "customers": side["customer"],
            "contacts": side["contact"],
            "contracts": side["contract"],
            "interactions": side["interaction"],
            "risk-scores": side["score"],
            "alerts": side["alert"],
            "retention-actions": side["action"],
        }
    plan = HandoverPlan.objects.create(employee=sue, last_day=DAY, reason="x", voluntary=True)
    HandoverTask.objects.create(
        plan=plan, customer=records["Sue"]["customers"], priority=1, risk=0.3, dependence=1
    )
    return {"ann": ann, "mia": mia, "hr": hr, "records": records}


def names(api, resource="customers"):
    return {c["name"] for c in api.get(f"/api/v1/{resource}/").json()["results"]}


def test_an_account_manager_sees_their_own(org):
    api, _ = user_client(org["ann"].user)
    assert names(api) == {"Ann's"}


def test_a_manager_sees_their_teams_and_sub_teams(org):
    api, _ = user_client(org["mia"].user)
    assert names(api) == {"Ann's", "Ned's"}


def test_hr_sees_customers_in_handover_plans_but_not_their_interactions(org):
    api, _ = user_client(org["hr"].user)
    assert names(api) == {"Sue's"}
    assert api.get("/api/v1/interactions/").json()["results"] == []
    assert api.get("/api/v1/contacts/").json()["results"] == []
    assert len(api.get("/api/v1/handover-plans/").json()["results"]) == 1


def test_hr_cannot_sort_its_customers_into_risk_tiers(org):
    tier = org["records"]["Sue"]["risk-scores"].tier
    for api in (user_client(org["hr"].user)[0], integration_client("hr")[0]):
        response = api.get(f"/api/v1/customers/?tier={tier}")
        assert response.status_code == 400, response.json()
        assert "tier" in str(response.json())
    # An integration reads the scores, so it filters by them.
    api, _ = integration_client()
    assert {c["name"] for c in api.get(f"/api/v1/customers/?tier={tier}").json()["results"]} == {
        "Sue's"
    } | {
        name for name in ("Ann's", "Ned's") if org["records"][name[:3]]["risk-scores"].tier == tier
    }


def test_integrations_and_admins_see_everyone(org):
    api, _ = integration_client()
    assert names(api) == {"Ann's", "Ned's", "Sue's"}
    admin_api, _ = user_client(UserFactory(username="root", is_superuser=True))
    assert names(admin_api) == {"Ann's", "Ned's", "Sue's"}


RESOURCES = [
    "customers",
    "contacts",
    "contracts",
    "interactions",
    "risk-scores",
    "alerts",
    "retention-actions",
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_team_s_record_is_not_found_on_every_detail_endpoint(org, resource):
    own = org["records"]["Ann"][resource]
    other = org["records"]["Sue"][resource]
    for who in ("ann", "mia"):
        api, _ = user_client(org[who].user)
        assert api.get(f"/api/v1/{resource}/{own.pk}/").status_code == 200, who
        response = api.get(f"/api/v1/{resource}/{other.pk}/")
        assert response.status_code == 404, who
        assert response.json()["error"]["code"] == "not_found"
