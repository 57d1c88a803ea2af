"""A departure reason with a direction control left open ("Moved abroad \\u202eRTL 😀")
is refused naming the field at the page and the API; one stored before the rule is shown
isolated, so the plan page's own words after it stay in order."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from handover import services
from handover.models import HandoverPlan
from staff.models import Employee
from tests.api.helpers import user_client
from tests.factories import EmployeeFactory, UserFactory
from tests.handover.world import build_team

pytestmark = pytest.mark.django_db
REASON = "Moved abroad \u202eRTL 😀"
REFUSAL = (
    "Contains the invisible text-direction control U+202E, which would reorder the text "
    "shown after it; remove it."
)
LAST_DAY = timezone.localdate() + dt.timedelta(days=30)


@pytest.fixture
def team():
    return build_team()


@pytest.fixture
def hana():
    return EmployeeFactory(name="Hana", role=Employee.Role.HR, user=UserFactory(username="hana"))


def test_the_page_refuses_the_reason_next_to_the_field(client, team, hana):
    client.force_login(hana.user)
    response = client.post(
        reverse("handover:start"),
        {
            "employee": team.leo.pk,
            "last_day": LAST_DAY.isoformat(),
            "reason": REASON,
            "voluntary": "true",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [REFUSAL]
    assert not HandoverPlan.objects.exists()


def test_the_api_refuses_the_reason_naming_the_field(team, hana):
    api, _ = user_client(hana.user)
    response = api.post(
        "/api/v1/departures/",
        {
            "employee": team.leo.pk,
            "last_day": LAST_DAY.isoformat(),
            "reason": REASON,
            "voluntary": True,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reason"] == [REFUSAL]
    assert not HandoverPlan.objects.exists()


def test_a_reason_made_only_of_invisible_characters_is_refused_as_spaces_are(team, hana):
    api, _ = user_client(hana.user)
    said = []
    for reason in ("   ", "\u200b\ufeff"):
        response = api.post(
            "/api/v1/departures/",
            {
                "employee": team.leo.pk,
                "last_day": LAST_DAY.isoformat(),
                "reason": reason,
                "voluntary": True,
            },
            format="json",
        )
        assert response.status_code == 400
        said.append(response.json()["error"]["fields"]["reason"])
    assert said[0] == said[1] == ["This field may not be blank."]
    assert not HandoverPlan.objects.exists()


def test_a_stored_reason_is_isolated_and_the_app_s_words_after_it_stay_in_order(client, team, hana):
    plan = services.start_departure(
        employee=team.leo, last_day=LAST_DAY, reason="x", voluntary=True, by=team.mona
    )
    HandoverPlan.objects.filter(pk=plan.pk).update(reason=REASON)  # stored before the rule
    client.force_login(hana.user)
    page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
    line = re.search(r"<p>Last day .*?</p>", page, re.S).group(0)
    # The reason, direction control and all, is alone inside <bdi>; "(voluntary)" and the
    # status come after the isolate has closed, so they read left to right as written.
    assert f"<bdi>{REASON}</bdi> (voluntary) · " in line
    assert line.count("\u202e") == 1 and line.index("\u202e") < line.index("</bdi>")
