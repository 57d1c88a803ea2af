"""Managers' reports show their own teams: the save-rate page counts only their teams'
retention actions and lost customers, and the after-departure outcomes only their leavers."""

import datetime as dt

import pytest
from django.urls import reverse

from alerts.models import RetentionAction
from staff.access import report_team_ids
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date.today() - dt.timedelta(days=10)


@pytest.fixture
def teams():
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    north = TeamFactory(name="North", manager=mia)
    sub = TeamFactory(name="North-East", parent=north)
    south = TeamFactory(name="South")
    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    return {"mia": mia, "north": north, "sub": sub, "south": south, "hal": hal}


def test_report_teams_by_role(teams):
    assert report_team_ids(teams["mia"].user) == {teams["north"].pk, teams["sub"].pk}
    assert report_team_ids(teams["hal"].user) is None
    assert report_team_ids(EmployeeFactory(user=UserFactory()).user) == set()


def test_the_save_rate_page_counts_only_the_managers_teams(client, teams):
    for team, outcome, reason in (
        (teams["north"], "saved", ""),
        (teams["sub"], "lost", "price"),
        (teams["south"], "lost", "service"),
        (teams["south"], "lost", "service"),
    ):
        owner = EmployeeFactory(team=team)
        customer = CustomerFactory(
            primary_owner=owner,
            status="churned" if reason else "active",
            churned_on=DAY if reason else None,
            churn_reason=reason,
        )
        RetentionAction.objects.create(
            customer=customer,
            kind="call",
            signal="complaint",
            team=team,
            owner=owner,
            taken_on=DAY,
            outcome=outcome,
        )
    client.force_login(teams["mia"].user)
    mine = client.get(reverse("alerts:save_rates"), {"by": "team"}).context

    assert {row["group"]: (row["saved"], row["lost"]) for row in mine["rows"]} == {
        "North": (1, 0),
        "North-East": (0, 1),
    }
    assert [(row["reason"], row["customers"]) for row in mine["reasons"]] == [("Price", 1)]
    client.force_login(teams["hal"].user)
    everyone = client.get(reverse("alerts:save_rates"), {"by": "team"}).context
    assert sum(row["lost"] for row in everyone["rows"]) == 3
