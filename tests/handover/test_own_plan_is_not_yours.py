"""Nobody opens or works their own handover but its knowledge transfer: a leaving manager
cannot do her own plan's introduction or ownership change (page and service), and the
API shows a leaver neither their plan nor its tasks (who takes their customers over);
HR reads a task's customer, value and successor, not its risk."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from handover import services
from handover.models import HandoverStep
from staff.models import Employee
from tests.api.helpers import user_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def mona_leaving(django_capture_on_commit_callbacks):
    """Mona, a manager, leaves; Ada (her report) is accepted as successor of her customer."""
    team = build_team()
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    vera = EmployeeFactory(name="Vera", role="manager")
    Employee.objects.filter(pk=team.mona.pk).update(manager=vera)
    team.mona.refresh_from_db()
    acme = CustomerFactory(name="Acme", primary_owner=team.mona)
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.mona, last_day=LAST_DAY, reason="x", voluntary=True, by=vera
        )
    task = plan.tasks.get(customer=acme)
    task.successor = team.ada
    task.save()
    return team, plan, task


def test_a_leaving_manager_cannot_do_her_own_plans_steps_but_her_knowledge_transfer(
    client, mona_leaving
):
    team, plan, task = mona_leaving
    steps = {s.kind: s for s in HandoverStep.objects.filter(task=task, days_after_last_day=0)}
    client.force_login(team.mona.user)
    for kind in ("joint_introduction", "ownership_change"):
        response = client.post(reverse("handover:complete_step", args=[steps[kind].pk]))
        assert response.status_code == 404, kind
        with pytest.raises(ValidationError):
            services.complete_step(step=steps[kind], by=team.mona)
    assert not HandoverStep.objects.filter(task=task, done_at__isnull=False).exists()
    done = services.complete_step(
        step=steps["knowledge_transfer"], by=team.mona, note="Acme: renewal talks in March."
    )
    assert done.done_at is not None


def test_the_api_shows_a_leaver_neither_their_plan_nor_its_tasks(mona_leaving):
    team, plan, task = mona_leaving
    api, _ = user_client(team.mona.user)
    assert api.get("/api/v1/handover-plans/").json()["results"] == []
    assert api.get(f"/api/v1/handover-tasks/?plan={plan.pk}").json()["results"] == []
    team.ada.user = UserFactory(username="ada")
    team.ada.save()
    ada_api, _ = user_client(team.ada.user)  # the successor reads the task she takes
    assert [r["id"] for r in ada_api.get("/api/v1/handover-tasks/").json()["results"]] == [task.pk]


def test_hr_reads_a_tasks_customer_and_value_not_its_risk(mona_leaving):
    _team, plan, task = mona_leaving
    hana = EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana"))
    api, _ = user_client(hana.user)
    (row,) = [r for r in api.get("/api/v1/handover-tasks/").json()["results"] if r["id"] == task.pk]
    assert row["customer"] == task.customer_id and "annual_value" in row
    assert not {"risk", "dependence", "priority", "recommendation_reasons"} & set(row)
    assert (
        dt.date.fromisoformat(api.get(f"/api/v1/handover-plans/{plan.pk}/").json()["last_day"])
        == LAST_DAY
    )


def test_a_leavers_customer_page_does_not_name_the_successor(client, mona_leaving):
    team, plan, task = mona_leaving
    client.force_login(team.mona.user)
    page = client.get(f"/customers/{task.customer_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Mona leaves" in text and "successor Ada" not in text
    ada = EmployeeFactory(name="Adam", role="admin", user=UserFactory(username="adam"))
    client.force_login(ada.user)  # an admin reads it
    page = client.get(f"/customers/{task.customer_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "successor Ada" in page.content.decode()


def test_hrs_plan_page_shows_no_dependence_and_sorts_by_value(client, mona_leaving):
    _team, plan, _task = mona_leaving
    hana = EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana"))
    client.force_login(hana.user)
    page = client.get(f"/handover/plans/{plan.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Dependence" not in text and "Priority" not in text
    assert page.context["sort"] == "value"
    forced = client.get(f"/handover/plans/{plan.pk}/?sort=priority", HTTP_ACCEPT_LANGUAGE="en")
    assert forced.context["sort"] == "value"


def test_a_leaving_managers_dashboard_does_not_list_her_own_plan(client, mona_leaving):
    team, plan, _task = mona_leaving
    client.force_login(team.mona.user)
    page = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert f"/handover/plans/{plan.pk}/" not in page.content.decode()
