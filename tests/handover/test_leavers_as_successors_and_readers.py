"""People who are leaving: no longer recommended as successors, what HR sees of someone
who is not leaving, and the e-mails about leavers (take-over, export approval)."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from handover import services
from handover.models import HandoverStep
from staff.models import Employee
from staff.reads import approval_needed, approver_for
from tests.factories import EmployeeFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def team():
    return build_team()


def depart(team, capture, employee, last_day=LAST_DAY):
    with capture(execute=True):
        return services.start_departure(
            employee=employee, last_day=last_day, reason="x", voluntary=True, by=team.mona
        )


def recommended(plan) -> dict[str, str]:
    return {
        t.customer.name: t.recommended_successor.name
        for t in plan.tasks.select_related("customer", "recommended_successor")
    }


def test_when_a_recommended_successor_starts_leaving_the_open_plans_recommend_again(
    team, django_capture_on_commit_callbacks
):
    plan = depart(team, django_capture_on_commit_callbacks, team.leo)
    assert recommended(plan) == {"C1": "Ada", "C2": "Ada", "C3": "Ben"}

    depart(team, django_capture_on_commit_callbacks, team.ada)

    # Ada is leaving: of the account managers only Ben is left to take C1 and C2 over.
    assert recommended(plan) == {"C1": "Ben", "C2": "Ben", "C3": "Ben"}
    introductions = HandoverStep.objects.filter(task__plan=plan, kind="joint_introduction")
    assert set(introductions.values_list("assignee__name", flat=True)) == {None}  # not accepted
    assert services.accept_successors(plan=plan, by=team.mona) == 3
    assert set(introductions.values_list("assignee__name", flat=True)) == {"Ben"}


def test_accept_all_accepts_the_valid_recommendations_and_names_those_it_skipped(
    team, client, django_capture_on_commit_callbacks
):
    plan = depart(team, django_capture_on_commit_callbacks, team.leo)
    # Ada's login is disabled after the recommendation was made.
    team.ada.user = UserFactory(username="ada", is_active=False)
    team.ada.save()
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(team.mona.user)

    response = client.post(reverse("handover:plan", args=[plan.pk]), {"accept_all": "1"})

    page = client.get(response.url).content.decode()
    assert "1 successor accepted." in page
    assert "2 recommendations were not accepted" in page
    assert "C1: Ada&#x27;s login is disabled" in page and "C2: Ada&#x27;s login" in page
    accepted = plan.tasks.filter(accepted_at__isnull=False)
    assert list(accepted.values_list("customer__name", "successor__name")) == [("C3", "Ben")]


def test_hr_sees_the_figures_but_not_the_customers_of_someone_not_leaving(
    team, client, django_capture_on_commit_callbacks
):
    hr = EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana"))
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(hr.user)
    response = client.get(reverse("handover:what_if", args=[team.leo.pk]))
    page = response.content.decode()
    # As words: the page's random CSRF token may hold "C3" inside it.
    assert re.findall(r"\bC[123]\b", page) == []
    tiers = {t["label"]: (t["count"], round(t["value"])) for t in response.context["by_tier"]}
    assert tiers == {"Core": (1, 100_000), "Important": (1, 50_000), "General": (1, 10_000)}
    # With one customer a tier, its priority would be that customer's: not shown to HR.
    assert ">Priority<" not in page and ">Value at risk today<" not in page

    client.force_login(team.mona.user)  # the team's manager sees the names
    assert "C1" in client.get(reverse("handover:what_if", args=[team.leo.pk])).content.decode()

    depart(team, django_capture_on_commit_callbacks, team.leo)  # leaving: in a plan now
    client.force_login(hr.user)
    assert "C1" in client.get(reverse("handover:what_if", args=[team.leo.pk])).content.decode()


def test_the_take_over_email_after_the_last_day_speaks_of_it_as_past(
    team, django_capture_on_commit_callbacks, mailoutbox
):
    yesterday = TODAY - dt.timedelta(days=1)
    plan = depart(team, django_capture_on_commit_callbacks, team.leo, last_day=yesterday)
    mailoutbox.clear()
    services.accept_successors(plan=plan, by=team.mona)
    bodies = {m.to[0]: m.body for m in mailoutbox}
    assert bodies[team.ada.email].startswith("Leo left on ")
    assert "before then" not in bodies[team.ada.email]


def test_an_admin_who_is_leaving_is_approved_by_another_admin_in_one_email(client, mailoutbox):
    leaving = EmployeeFactory(
        name="Ada",
        role="admin",
        team=None,
        status="departing",
        departure_date=TODAY + dt.timedelta(days=10),
        user=UserFactory(username="ada"),
    )
    other = EmployeeFactory(name="Abe", role="admin", team=None, user=UserFactory(username="abe"))
    assert approver_for(leaving) == other

    rows = settings.BULK_READ_DAILY_ALLOWANCE + 1
    for kind in ("riskscore", "handovertask", "retentionaction"):
        assert approval_needed(leaving, kind, rows, "https://crm.example/exports/requests/")

    (mail,) = mailoutbox
    assert mail.to == [other.email]
    # The first request's e-mail; the two a moment later wait on the page it links to.
    assert "risk scores" in mail.body and "riskscore" not in mail.body
    assert "https://crm.example/exports/requests/" in mail.body
    client.force_login(other.user)
    page = client.get(reverse("export_requests")).content.decode()
    assert "Risk scores" in page and "Handover tasks" in page
    assert "riskscore" not in page and "handovertask" not in page
    assert Employee.objects.get(pk=leaving.pk).manager is None


def test_an_admin_leaving_is_told_another_admin_approves_the_export(client, mailoutbox):
    leaving = EmployeeFactory(
        name="Ada",
        role="admin",
        team=None,
        status="departing",
        departure_date=TODAY + dt.timedelta(days=10),
        user=UserFactory(username="ada"),
    )
    other = EmployeeFactory(name="Abe", role="admin", team=None)
    client.force_login(leaving.user)
    page = client.post("/exports/customers.csv", {"reason": "Board pack"}).content.decode()
    assert "An admin needs to approve this export" in page
    assert "Your manager" not in page
    (mail,) = mailoutbox
    assert mail.to == [other.email]
    assert "asks to export or read in bulk: customers." in mail.body
    assert "http://testserver/exports/requests/" in mail.body


def test_accept_all_keeps_the_successor_picked_in_a_row_s_list(
    team, client, django_capture_on_commit_callbacks
):
    """A manager picks Ben for C1 in its list (Ada is recommended), then presses "Accept
    every remaining recommendation": C1 goes to Ben as picked, the rest as recommended.
    The pick was dropped."""
    plan = depart(team, django_capture_on_commit_callbacks, team.leo)
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(team.mona.user)
    c1 = plan.tasks.get(customer__name="C1", role="primary")
    assert c1.recommended_successor != team.ben
    shown = {
        f"successor-{task.pk}": task.recommended_successor_id
        for task in plan.tasks.exclude(pk=c1.pk)
    }

    client.post(
        reverse("handover:plan", args=[plan.pk]),
        {"accept_all": "1", f"successor-{c1.pk}": team.ben.pk, **shown},
    )

    c1.refresh_from_db()
    assert c1.successor == team.ben
    others = plan.tasks.exclude(pk=c1.pk)
    assert all(task.successor_id == task.recommended_successor_id for task in others)
