"""Priority ordering, successor recommendations with reasons, capacity, and accepting."""

import pytest
from django.core.exceptions import ValidationError

from handover import services
from handover.models import HandoverStep
from handover.selectors import handover_proposals
from tests.handover.world import LAST_DAY, TODAY, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return build_team()


def test_customers_are_ordered_by_value_times_risk_times_dependence(team):
    proposals = handover_proposals(team.leo, as_of=TODAY)
    assert [(p.customer_name, p.priority) for p in proposals] == [
        ("C1", 32_000.0),
        ("C3", 5_000.0),
        ("C2", 500.0),
    ]
    c3 = proposals[1]
    assert (c3.role, c3.interaction_share, c3.exclusive_contacts, c3.dependence) == (
        "secondary",
        0.25,
        1,
        0.5,
    )
    assert proposals[2].risk == 0.05  # C2 has no score: the base rate stands in


def test_recommendations_prefer_people_who_know_the_customer_and_never_the_departing(team):
    proposals = {p.customer_name: p for p in handover_proposals(team.leo, as_of=TODAY)}
    assert proposals["C1"].successor_name == "Ada"
    assert proposals["C1"].reasons == [
        "has dealt with them (2 interactions in 180 days)",
        "same team",
        "looks after 1 core customers",
        "book 1 of 150 customers, 1,000 a year",  # Ada's X1
    ]
    assert proposals["C3"].successor_name == "Ben"
    assert proposals["C3"].reasons[0] == "already their other owner"
    assert proposals["C2"].successor_name == "Ada"  # same team beats same region
    assert all(p.successor_name != "Dan" for p in proposals.values())


def test_capacity_spreads_the_book_and_flags_when_everyone_is_full(team, settings):
    settings.SUCCESSOR_CAPACITY = 2
    proposals = {p.customer_name: p for p in handover_proposals(team.leo, as_of=TODAY)}
    # Ada has X1 and takes C1 (2 of 2); C2 would put her over, so Ben (1 of 2) gets it.
    assert proposals["C1"].successor_name == "Ada"
    assert proposals["C2"].successor_name == "Ben"
    assert not proposals["C2"].over_capacity

    settings.SUCCESSOR_CAPACITY = 1
    proposals = {p.customer_name: p for p in handover_proposals(team.leo, as_of=TODAY)}
    assert proposals["C1"].over_capacity and "over capacity" in proposals["C1"].reasons


def raised_plan(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=team.mona
        )
    return plan


def test_accept_all_takes_every_recommendation_and_points_the_steps(
    team, django_capture_on_commit_callbacks
):
    plan = raised_plan(team, django_capture_on_commit_callbacks)
    assert services.accept_successors(plan=plan, by=team.mona) == 3
    tasks = {t.customer.name: t for t in plan.tasks.select_related("customer", "successor")}
    assert {name: t.successor.name for name, t in tasks.items()} == {
        "C1": "Ada",
        "C2": "Ada",
        "C3": "Ben",
    }
    follow_ups = HandoverStep.objects.filter(task=tasks["C1"], kind="follow_up")
    assert set(follow_ups.values_list("assignee__name", flat=True)) == {"Ada"}


def test_a_manager_can_change_one_successor_and_keep_the_rest(
    team, django_capture_on_commit_callbacks
):
    plan = raised_plan(team, django_capture_on_commit_callbacks)
    c2_task = plan.tasks.get(customer=team.c2)
    services.accept_successors(plan=plan, by=team.mona, choices={c2_task.pk: team.ben.pk})
    c2_task.refresh_from_db()
    assert c2_task.successor == team.ben and c2_task.accepted_by == team.mona
    assert plan.tasks.get(customer=team.c1).successor == team.ada


def test_a_departing_successor_is_refused_naming_the_customer(
    team, django_capture_on_commit_callbacks
):
    plan = raised_plan(team, django_capture_on_commit_callbacks)
    c1_task = plan.tasks.get(customer=team.c1)
    with pytest.raises(ValidationError) as error:
        services.accept_successors(plan=plan, by=team.mona, choices={c1_task.pk: team.dan.pk})
    assert "C1: Dan is departing and cannot take customers over." in str(error.value)
    assert not plan.tasks.filter(successor__isnull=False).exists()  # nothing half-written


def test_a_successor_whose_login_is_disabled_is_refused_and_not_recommended(
    team, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    from staff.models import Employee

    user = get_user_model().objects.create_user(username="ada-login", is_active=False)
    Employee.objects.filter(pk=team.ada.pk).update(user=user)
    plan = raised_plan(team, django_capture_on_commit_callbacks)
    assert not plan.tasks.filter(recommended_successor=team.ada).exists()
    c1_task = plan.tasks.get(customer=team.c1)
    with pytest.raises(ValidationError) as error:
        services.accept_successors(plan=plan, by=team.mona, choices={c1_task.pk: team.ada.pk})
    assert f"C1: {team.ada.name}'s login is disabled; they cannot own customers." in str(
        error.value
    )
