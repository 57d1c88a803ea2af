"""Who may take a leaver's customers over (Employee.cannot_own_customers): active account
managers and managers, never HR or admins, nor someone leaving, at every handover door:
the successors offered, a successor saved or accepted on the plan page, the ownership
change step, the last-day job. A successor that is not an employee's id is named by its
customer, never a server error."""

import datetime as dt
import html

import pytest
from django.core import mail
from django.urls import reverse

from handover import nightly, services
from handover.models import HandoverStep
from staff.models import Employee
from tests.factories import EmployeeFactory
from tests.handover.world import LAST_DAY, leos_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_world(django_capture_on_commit_callbacks):
    team, plan = leos_plan(django_capture_on_commit_callbacks)
    hal = EmployeeFactory(name="Hal", role=Employee.Role.HR, team=team.mona.team)
    root = EmployeeFactory(name="Root", role=Employee.Role.ADMIN, team=team.mona.team)
    return team, plan, hal, root


def successors(plan):
    return dict(plan.tasks.values_list("customer__name", "successor__name"))


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def test_the_plan_page_offers_only_people_who_may_own_customers(client, plan_world):
    team, plan, hal, root = plan_world
    client.force_login(team.mona.user)
    page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
    offered = {
        person.name
        for person in Employee.objects.all()
        if f'<option value="{person.pk}">{person.name}</option>' in page
    }
    # Ada and Ben (account managers), Mona (manager); not Hal (HR), Root (admin), Dan
    # (leaving) or Leo (the leaver).
    assert offered == {"Ada", "Ben", "Mona"}


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("hal", "Hal's role is HR: only account managers and managers own or take over customers."),
        (
            "root",
            "Root's role is Admin: only account managers and managers own or take over customers.",
        ),
    ],
)
def test_a_manager_cannot_save_hr_or_an_admin_as_a_successor(client, plan_world, who, reason):
    team, plan, hal, root = plan_world
    person = {"hal": hal, "root": root}[who]
    c2 = plan.tasks.get(customer=team.c2)
    client.force_login(team.mona.user)
    response = client.post(
        reverse("handover:plan", args=[plan.pk]),
        {"save_successors": "1", f"successor-{c2.pk}": person.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert f"C2: {reason}" in page_of(response)
    assert "successor accepted" not in page_of(response)
    assert successors(plan) == {"C1": None, "C2": None, "C3": None}
    assert mail.outbox == []


def test_a_successor_that_is_not_a_number_is_named_by_its_customer(client, plan_world):
    team, plan, *_ = plan_world
    c2 = plan.tasks.get(customer=team.c2)
    client.force_login(team.mona.user)
    url = reverse("handover:plan", args=[plan.pk])
    response = client.post(url, {"save_successors": "1", f"successor-{c2.pk}": "abc"}, follow=True)
    assert response.status_code == 200
    assert "C2: 'abc' is not an employee; choose one from the list." in page_of(response)
    # As an unknown id is: by the customer's name, nothing saved.
    response = client.post(url, {"save_successors": "1", f"successor-{c2.pk}": "999"}, follow=True)
    assert "C2: unknown employee #999." in page_of(response)
    response = client.post(url, {"save_successors": "1", "successor-x": str(team.ada.pk)})
    assert "'x' is not a customer of this handover." in page_of(response)
    assert successors(plan) == {"C1": None, "C2": None, "C3": None}


def test_accept_all_skips_a_recommendation_of_someone_in_hr_and_names_it(client, plan_world):
    team, plan, hal, _ = plan_world
    # A recommendation made while Hal was an account manager (Hal moved to HR since).
    plan.tasks.filter(customer=team.c2).update(recommended_successor=hal)
    client.force_login(team.mona.user)
    response = client.post(
        reverse("handover:plan", args=[plan.pk]), {"accept_all": "1"}, follow=True
    )
    page = page_of(response)
    assert "1 recommendation was not accepted: C2: Hal's role is HR" in page
    assert "2 successors accepted." in page
    assert successors(plan) == {"C1": "Ada", "C2": None, "C3": "Ben"}


def test_the_ownership_step_refuses_a_successor_who_has_moved_to_hr(client, plan_world):
    team, plan, *_ = plan_world
    services.accept_successors(plan=plan, by=team.mona)  # C1 -> Ada
    Employee.objects.filter(pk=team.ada.pk).update(role=Employee.Role.HR)  # as by SQL
    step = HandoverStep.objects.get(task__customer=team.c1, kind="ownership_change")
    client.force_login(team.mona.user)
    response = client.post(reverse("handover:complete_step", args=[step.pk]), follow=True)
    assert (
        "C1: Ada's role is HR: only account managers and managers own or take over customers."
        in page_of(response)
    )
    team.c1.refresh_from_db()
    step.refresh_from_db()
    assert team.c1.primary_owner == team.leo and step.done_at is None


def test_on_the_last_day_a_successor_now_in_hr_gives_way_to_the_manager(plan_world):
    team, plan, *_ = plan_world
    services.accept_successors(plan=plan, by=team.mona)  # C1 -> Ada, C2 -> ?, C3 -> Ben
    Employee.objects.filter(pk=team.ada.pk).update(role=Employee.Role.HR)
    nightly.process_handovers(as_of=LAST_DAY + dt.timedelta(days=1))
    team.c1.refresh_from_db()
    assert team.c1.primary_owner == team.mona
