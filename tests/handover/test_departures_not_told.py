"""A departure is known to HR, admins, the leaver's managers and the leaver (staff/access.py
departures_seen_by). The lists that offer people to choose (a leaver's successors, an
account manager to grant access to) must not tell anyone else who is leaving by leaving
them out, and refusing one must not say why."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from staff.models import AccessGrant, Employee
from tests.factories import EmployeeFactory, TeamFactory, UserFactory
from tests.handover.world import TODAY, leos_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    team, plan = leos_plan(django_capture_on_commit_callbacks)
    # Zed is leaving Team South, which Mona does not manage: she may not know it.
    south = TeamFactory(name="South")
    zed = EmployeeFactory(
        name="Zed",
        team=south,
        status=Employee.Status.DEPARTING,
        departure_date=TODAY + dt.timedelta(days=12),
        departure_announced_on=TODAY,
    )
    root = EmployeeFactory(
        name="Root",
        role=Employee.Role.ADMIN,
        user=UserFactory(username="root", is_superuser=True, is_staff=True),
    )
    return team, plan, zed, root


def offered(page: str, people) -> set[str]:
    return {p.name for p in people if f'<option value="{p.pk}">{p.name}</option>' in page}


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def test_the_successors_offered_do_not_tell_who_is_leaving(client, world):
    team, plan, zed, root = world
    people = [team.ada, team.ben, team.dan, zed]
    client.force_login(team.mona.user)
    page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
    # Dan's departure is Mona's to know (her team): left out. Zed's is not: offered.
    assert offered(page, people) == {"Ada", "Ben", "Zed"}
    client.force_login(root.user)
    page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
    assert offered(page, people) == {"Ada", "Ben"}


def test_choosing_someone_leaving_is_refused_without_naming_the_departure(client, world):
    team, plan, zed, root = world
    c2 = plan.tasks.get(customer=team.c2)
    url = reverse("handover:plan", args=[plan.pk])
    client.force_login(team.mona.user)
    response = client.post(url, {"save_successors": "1", f"successor-{c2.pk}": zed.pk}, follow=True)
    page = text_of(response)
    assert "C2: Zed cannot take customers over at the moment." in page
    assert "leaving" not in page.split("C2: Zed")[1][:80]
    assert "departing" not in page.split("C2: Zed")[1][:80]
    # Dan's departure Mona may know: said as it is.
    response = client.post(
        url, {"save_successors": "1", f"successor-{c2.pk}": team.dan.pk}, follow=True
    )
    assert "C2: Dan is departing and cannot take customers over." in text_of(response)
    # An admin reads every departure.
    client.force_login(root.user)
    response = client.post(url, {"save_successors": "1", f"successor-{c2.pk}": zed.pk}, follow=True)
    assert "C2: Zed is departing and cannot take customers over." in text_of(response)
    assert plan.tasks.filter(successor__isnull=False).count() == 0


def test_the_account_managers_to_grant_access_do_not_tell_who_is_leaving(client, world):
    team, plan, zed, root = world
    customer = team.c1  # Leo's, in Mona's team
    client.force_login(team.mona.user)
    page = client.get(reverse("customer", args=[customer.pk])).content.decode()
    assert offered(page, [team.ada, team.ben, team.dan, zed]) == {"Ada", "Ben", "Zed"}
    response = client.post(
        reverse("grant_access", args=[customer.pk]),
        {"grantee": zed.pk, "until": (TODAY + dt.timedelta(days=5)).isoformat(), "reason": "x"},
    )
    page = text_of(response)
    assert "Zed cannot be given access to customers at the moment." in page
    assert not AccessGrant.objects.exists()
    # Dan is not offered to Mona, and sent anyway he is refused by the form.
    response = client.post(
        reverse("grant_access", args=[customer.pk]),
        {
            "grantee": team.dan.pk,
            "until": (TODAY + dt.timedelta(days=5)).isoformat(),
            "reason": "x",
        },
    )
    assert "Select a valid choice" in text_of(response)
    assert not AccessGrant.objects.exists()


def test_an_ownership_change_to_a_successor_now_leaving_does_not_name_the_departure(world):
    from django.core.exceptions import ValidationError

    from handover import services

    team, plan, zed, root = world
    task = plan.tasks.get(customer=team.c2)
    task.successor = team.ben  # accepted while Ben (North-2, not Mona's) could
    task.save()
    Employee.objects.filter(pk=team.ben.pk).update(
        status=Employee.Status.DEPARTING,
        departure_date=TODAY + dt.timedelta(days=9),
        departure_announced_on=TODAY,
    )
    with pytest.raises(ValidationError) as refused:
        services.change_ownership(task=task, by=team.mona)
    assert refused.value.message_dict["successor"] == [
        "Ben cannot take customers over at the moment."
    ]
    with pytest.raises(ValidationError) as refused:
        services.change_ownership(task=task, by=root)
    assert refused.value.message_dict["successor"] == [
        "Ben is leaving and cannot take customers over."
    ]


def test_people_past_their_last_day_are_not_offered_and_plans_do_not_show_the_day(client, world):
    team, plan, zed, root = world
    Employee.objects.filter(pk=zed.pk).update(
        departure_date=TODAY - dt.timedelta(days=1),
        departure_announced_on=TODAY - dt.timedelta(days=20),
    )
    client.force_login(team.mona.user)
    page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
    assert offered(page, [team.ada, team.ben, zed]) == {"Ada", "Ben"}
    # The admin lists a plan's tasks to staff by the plan's name: no last day in it.
    assert str(plan) == "Handover of Leo"
