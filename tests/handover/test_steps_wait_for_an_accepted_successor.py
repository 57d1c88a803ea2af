"""A recommended successor is a proposal, not a decision: until a manager accepts them,
the introduction and follow-ups are nobody's, so the colleague is not told of a
departure that is only being planned (SECURITY.md) and cannot act on it."""

import pytest
from django.urls import reverse

from handover import services
from handover.models import HandoverStep
from tests.factories import UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    team = build_team()
    team.ada.user = UserFactory(username="ada")
    team.ada.save()
    return team


def test_a_recommended_colleague_gets_the_steps_only_once_a_manager_accepts_them(
    team, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="x", voluntary=True, by=team.mona
        )
    # Ada is recommended for C1 and C2 (tests/handover/world.py), not accepted yet.
    assert {t.customer.name for t in plan.tasks.filter(recommended_successor=team.ada)} == {
        "C1",
        "C2",
    }
    ada_steps = HandoverStep.objects.filter(assignee=team.ada)
    assert not ada_steps.exists()
    client.force_login(team.ada.user)
    page = client.get(reverse("handover:my_steps")).content.decode()
    assert "Leo" not in page  # neither the leaver nor the last day
    intro = HandoverStep.objects.get(
        task__plan=plan, task__customer=team.c1, kind="joint_introduction"
    )
    response = client.post(
        reverse("handover:complete_step", args=[intro.pk]), {f"step-{intro.pk}-note": "met"}
    )
    assert response.status_code == 404
    client.post(reverse("handover:complete_steps"), {"step": [intro.pk]})
    intro.refresh_from_db()
    assert intro.done_at is None

    services.accept_successors(plan=plan, by=team.mona, choices={}, only_chosen=False)

    # Accepted: the introduction and the three follow-ups of C1 and C2 are Ada's.
    assert ada_steps.filter(kind="joint_introduction").count() == 2
    assert ada_steps.filter(kind="follow_up").count() == 2 * 3
    page = client.get(reverse("handover:my_steps")).content.decode()
    assert "Leo" in page
