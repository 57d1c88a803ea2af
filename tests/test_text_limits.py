"""Every free-text field people or systems write has a limit, on its model field, and
every door refuses longer text clearly: the API, the pages, the services, full_clean()."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from alerts.services import act_on_alert
from handover import services
from handover.models import HandoverStep
from tests.api.helpers import user_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert():
    ann = EmployeeFactory(name="Ann", user=UserFactory(username="ann"))
    return Alert.objects.create(
        customer=CustomerFactory(primary_owner=ann),
        signal="complaint",
        text="x",
        owner=ann,
        opened_on=timezone.localdate(),
        figures_on=timezone.localdate(),
    )


def test_an_alert_resolve_note_longer_than_5000_characters_is_refused_by_the_api(alert):
    api, _ = user_client(alert.owner.user)
    url = f"/api/v1/alerts/{alert.pk}/resolve/"
    response = api.post(url, {"note": "x" * 200_000}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["note"] == [
        "Ensure this field has no more than 5000 characters."
    ]
    alert.refresh_from_db()
    assert (alert.status, alert.note) == ("open", "")
    assert api.post(url, {"note": "y" * 5000}, format="json").status_code == 200


def test_the_alert_service_and_full_clean_hold_the_same_limit(alert):
    with pytest.raises(ValidationError) as raised:
        act_on_alert(alert=alert, action="resolve", note="x" * 5001)
    assert raised.value.message_dict == {
        "note": ["Ensure this value has at most 5000 characters (it has 5001)."]
    }
    alert.refresh_from_db()
    assert alert.status == "open"
    alert.note = "x" * 5001
    with pytest.raises(ValidationError, match="at most 5000 characters"):
        alert.full_clean()


@pytest.fixture
def knowledge_step(django_capture_on_commit_callbacks):
    team = build_team()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
        )
    team.leo.user = UserFactory(username="leo")
    team.leo.save()
    step = HandoverStep.objects.filter(kind="knowledge_transfer", assignee=team.leo).first()
    return team, step


def test_a_knowledge_transfer_note_longer_than_50000_characters_is_refused_on_the_page(
    client, knowledge_step
):
    team, step = knowledge_step
    client.force_login(team.leo.user)
    response = client.post(
        reverse("handover:complete_step", args=[step.pk]),
        {f"step-{step.pk}-note": "x" * 300_000},
        follow=True,
    )
    assert "Ensure this value has at most 50000 characters (it has 300000)." in (
        response.content.decode()
    )
    step.refresh_from_db()
    assert (step.done_at, step.note) == (None, "")


def test_the_step_service_holds_the_same_limit(knowledge_step):
    team, step = knowledge_step
    with pytest.raises(ValidationError) as raised:
        services.complete_step(step=step, by=team.leo, note="x" * 50_001)
    assert list(raised.value.message_dict) == ["note"]
    step.refresh_from_db()
    assert step.done_at is None


def test_a_cancel_note_longer_than_the_log_takes_is_refused(knowledge_step):
    team, step = knowledge_step
    plan = step.task.plan
    with pytest.raises(ValidationError) as raised:
        services.cancel_departure(plan=plan, by=None, note="x" * 2001)
    assert raised.value.message_dict == {
        "note": ["Ensure this value has at most 2000 characters (it has 2001)."]
    }
    plan.refresh_from_db()
    assert plan.status == "open"
