"""Saving chosen successors changes only what was chosen; the ownership-change step
performs the change it names."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import OwnershipPeriod
from handover import nightly, services
from handover.models import HandoverStep
from staff.models import AuditEvent
from tests.factories import UserFactory
from tests.handover.world import LAST_DAY, leos_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_world(django_capture_on_commit_callbacks):
    return leos_plan(django_capture_on_commit_callbacks)


def successors(plan):
    return dict(plan.tasks.values_list("customer__name", "successor__name"))


def test_saving_one_chosen_successor_changes_only_that_customer(client, plan_world):
    team, plan = plan_world
    client.force_login(team.mona.user)
    c2 = plan.tasks.get(customer=team.c2)
    response = client.post(
        reverse("handover:plan", args=[plan.pk]),
        # The other selects are left on their first option ("keep"): posted empty.
        {"save_successors": "1", f"successor-{c2.pk}": team.ben.pk, "successor-0": ""},
        follow=True,
    )
    assert "1 successor accepted." in response.content.decode()
    assert successors(plan) == {"C1": None, "C2": "Ben", "C3": None}
    assert [m.to for m in mail.outbox] == [[team.ben.email]]  # only Ben is told
    plan.refresh_from_db()
    assert plan.log[-1]["message"] == "1 successor accepted by Mona."


def test_accept_all_after_a_save_accepts_the_rest_and_keeps_the_choice(client, plan_world):
    team, plan = plan_world
    client.force_login(team.mona.user)
    c2 = plan.tasks.get(customer=team.c2)
    url = reverse("handover:plan", args=[plan.pk])
    client.post(url, {"save_successors": "1", f"successor-{c2.pk}": team.ben.pk})
    response = client.post(url, {"accept_all": "1"}, follow=True)
    assert "2 successors accepted." in response.content.decode()
    assert successors(plan) == {"C1": "Ada", "C2": "Ben", "C3": "Ben"}
    # Nothing left to accept: a third press changes nothing and logs nothing.
    plan.refresh_from_db()
    log_length = len(plan.log)
    response = client.post(url, {"accept_all": "1"}, follow=True)
    assert "Every customer already has an accepted successor." in response.content.decode()
    plan.refresh_from_db()
    assert len(plan.log) == log_length
    assert not any("0 successor" in entry["message"] for entry in plan.log)


def test_saving_with_nothing_chosen_changes_nothing(client, plan_world):
    team, plan = plan_world
    client.force_login(team.mona.user)
    response = client.post(
        reverse("handover:plan", args=[plan.pk]), {"save_successors": "1"}, follow=True
    )
    assert "No successor was changed" in response.content.decode()
    assert successors(plan) == {"C1": None, "C2": None, "C3": None}
    assert mail.outbox == []


def test_marking_the_ownership_change_done_makes_the_successor_the_owner(client, plan_world):
    team, plan = plan_world
    services.accept_successors(plan=plan, by=team.mona)  # C1 -> Ada
    step = HandoverStep.objects.get(task__customer=team.c1, kind="ownership_change")
    client.force_login(team.mona.user)
    response = client.post(reverse("handover:complete_step", args=[step.pk]))
    assert response.status_code == 302
    team.c1.refresh_from_db()
    assert team.c1.primary_owner == team.ada
    step.refresh_from_db()
    assert step.done_at is not None and step.done_by == team.mona
    periods = OwnershipPeriod.objects.filter(customer=team.c1, role="primary")
    assert periods.get(ended_on__isnull=True).employee == team.ada
    assert periods.get(employee=team.leo).ended_on is not None
    change = AuditEvent.objects.get(
        action="owner_change", customer_id=team.c1.pk, detail__from=team.leo.pk
    )
    assert change.detail["to"] == team.ada.pk and change.detail["role"] == "primary"
    # The last-day job later finds the owner already changed and writes nothing twice.
    nightly.process_handovers(as_of=LAST_DAY + dt.timedelta(days=1))
    assert periods.count() == 2


def test_the_ownership_step_cannot_be_done_without_a_successor(client, plan_world):
    team, plan = plan_world
    step = HandoverStep.objects.get(task__customer=team.c1, kind="ownership_change")
    client.force_login(team.mona.user)
    response = client.post(reverse("handover:complete_step", args=[step.pk]), follow=True)
    assert "Accept a successor for C1 before changing the owner." in response.content.decode()
    step.refresh_from_db()
    team.c1.refresh_from_db()
    assert step.done_at is None and team.c1.primary_owner == team.leo


def test_bulk_mark_done_does_introductions_and_refuses_notes_by_name(client, plan_world):
    team, plan = plan_world
    services.accept_successors(plan=plan, by=team.mona)
    ada_user = UserFactory(username="ada")
    team.ada.user = ada_user
    team.ada.save()
    intro = HandoverStep.objects.get(task__customer=team.c1, kind="joint_introduction")
    follow_up = HandoverStep.objects.filter(task__customer=team.c1, kind="follow_up").first()
    assert intro.assignee == team.ada and follow_up.assignee == team.ada
    client.force_login(ada_user)
    response = client.post(
        reverse("handover:complete_steps"), {"step": [intro.pk, follow_up.pk]}, follow=True
    )
    page = response.content.decode()
    assert "1 step done." in page
    assert "Follow-up contact for C1" in page  # refused by name: it needs a satisfaction
    intro.refresh_from_db()
    follow_up.refresh_from_db()
    assert intro.done_at is not None and follow_up.done_at is None
