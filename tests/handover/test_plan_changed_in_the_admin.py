"""What an admin changes on a plan in the admin goes through the handover's own rules:
a moved last day moves the leaver's departure date (when the access ends) and the steps
not done yet, and is logged; the status is not a form field (a plan is cancelled on its
page, which closes its tasks and keeps the person)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from handover import services
from handover.last_day import change_last_day
from handover.models import HandoverPlan, HandoverStep
from staff.models import Employee
from tests.factories import EmployeeFactory, UserFactory
from tests.handover.world import build_team
from tests.staff.test_admin_gates import form_data

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
FIRST, MOVED = TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=20)


@pytest.fixture
def plan(django_capture_on_commit_callbacks):
    team = build_team()
    with django_capture_on_commit_callbacks(execute=True):
        return services.start_departure(
            employee=team.leo, last_day=FIRST, reason="x", voluntary=True, by=team.mona
        )


@pytest.fixture
def admin_client(client):
    ada = EmployeeFactory(
        name="Ada Admin",
        role="admin",
        user=UserFactory(username="ada", is_staff=True, is_superuser=True),
    )
    client.force_login(ada.user)
    return client


def test_a_last_day_moved_in_the_admin_moves_the_access_end_and_the_steps(plan, admin_client):
    url = reverse("admin:handover_handoverplan_change", args=[plan.pk])
    data = form_data(admin_client.get(url))
    data["last_day"] = MOVED.isoformat()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.last_day == MOVED
    assert Employee.objects.get(pk=plan.employee_id).departure_date == MOVED
    due = {
        (kind, days): on
        for kind, days, on in HandoverStep.objects.filter(task__plan=plan).values_list(
            "kind", "days_after_last_day", "due_on"
        )
    }
    lead = dt.timedelta(days=5)  # KNOWLEDGE_TRANSFER_LEAD_DAYS
    assert due[("knowledge_transfer", 0)] == MOVED - lead
    assert due[("joint_introduction", 0)] == MOVED
    assert due[("ownership_change", 0)] == MOVED
    assert due[("follow_up", 14)] == MOVED + dt.timedelta(days=14)
    assert plan.log[-1]["code"] == "last_day_changed"
    assert plan.log[-1]["params"]["before"] == FIRST.isoformat()


def test_a_last_day_beyond_the_bounds_is_refused_in_the_form(plan, admin_client, settings):
    url = reverse("admin:handover_handoverplan_change", args=[plan.pk])
    data = form_data(admin_client.get(url))
    far = TODAY + dt.timedelta(days=settings.DEPARTURE_MAX_DAYS_AHEAD + 1)
    data["last_day"] = far.isoformat()
    response = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "days ahead" in str(response.context["adminform"].form.errors["last_day"])
    assert Employee.objects.get(pk=plan.employee_id).departure_date == FIRST


def test_the_status_cannot_be_set_in_the_admin(plan, admin_client):
    url = reverse("admin:handover_handoverplan_change", args=[plan.pk])
    form = admin_client.get(url).context["adminform"].form
    assert "status" not in form.fields
    data = form_data(admin_client.get(url)) | {"status": "cancelled"}
    admin_client.post(url, data)
    assert HandoverPlan.objects.get(pk=plan.pk).status == "open"


def test_a_plan_cannot_be_deleted_in_the_admin(plan, admin_client):
    """A deleted plan would leave the person departing with nobody handing their
    customers over; a departure that is not happening is cancelled on its page."""
    url = reverse("admin:handover_handoverplan_delete", args=[plan.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert HandoverPlan.objects.filter(pk=plan.pk).exists()


def test_a_last_day_moved_before_the_announcement_moves_the_announcement(plan):
    Employee.objects.filter(pk=plan.employee_id).update(departure_announced_on=TODAY)
    yesterday = TODAY - dt.timedelta(days=1)
    change_last_day(plan=plan, last_day=yesterday, by=None)
    leaver = Employee.objects.get(pk=plan.employee_id)
    assert (leaver.departure_date, leaver.departure_announced_on) == (yesterday, yesterday)


def test_a_leaver_and_hr_see_in_the_admin_only_what_they_may(plan, client):
    from handover.models import HandoverTask

    leo = plan.employee
    leo.user.is_staff = True
    leo.user.save()
    from django.contrib.auth.models import Permission

    leo.user.user_permissions.set(Permission.objects.filter(content_type__app_label="handover"))
    client.force_login(leo.user)
    listed = client.get(reverse("admin:handover_handovertask_changelist"))
    assert listed.status_code == 200 and list(listed.context["cl"].result_list) == []
    hana = EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana", is_staff=True))
    hana.user.user_permissions.set(Permission.objects.filter(content_type__app_label="handover"))
    client.force_login(hana.user)
    task = HandoverTask.objects.filter(plan=plan).first()
    page = client.get(reverse("admin:handover_handovertask_change", args=[task.pk]))
    assert page.status_code == 200
    shown = page.context["adminform"].form.fields.keys() | set(
        page.context["adminform"].readonly_fields
    )
    assert not shown & {"risk", "dependence", "priority", "recommendation_reasons"}


def test_the_last_day_of_a_handled_plan_stays(plan):
    HandoverPlan.objects.filter(pk=plan.pk).update(last_day_processed_at=timezone.now())
    plan.refresh_from_db()
    with pytest.raises(ValidationError):
        change_last_day(plan=plan, last_day=MOVED, by=None)


def test_hr_cannot_filter_tasks_by_risk_in_the_admin_address(plan, client):
    from django.contrib.auth.models import Permission

    hana = EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana", is_staff=True))
    hana.user.user_permissions.set(Permission.objects.filter(content_type__app_label="handover"))
    client.force_login(hana.user)
    url = reverse("admin:handover_handovertask_changelist")
    assert client.get(url).status_code == 200
    for lookup in ("risk__gte=0.05", "priority__gte=100", "dependence__gte=0.5"):
        assert client.get(f"{url}?{lookup}").status_code == 400, lookup


def test_a_last_day_the_night_job_has_acted_on_stays(django_capture_on_commit_callbacks):
    """The leaver is departed though one customer nobody could take keeps the plan due:
    the last day is history, not moved (the customer is tried again each night)."""
    from handover import nightly
    from staff.models import Team

    team = build_team()
    Employee.objects.filter(pk=team.leo.pk).update(manager=None)
    Team.objects.filter(pk=team.leo.team_id).update(manager=None)
    team.leo.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo,
            last_day=TODAY - dt.timedelta(days=1),
            reason="x",
            voluntary=True,
            by=None,
        )
    nightly.process_handovers(as_of=TODAY)
    plan.refresh_from_db()
    assert plan.last_day_processed_at is None  # due again: nobody took the customers
    assert Employee.objects.get(pk=team.leo.pk).status == "departed"
    with pytest.raises(ValidationError):
        change_last_day(plan=plan, last_day=MOVED, by=None)


def test_an_earlier_last_day_never_makes_an_overdue_step_less_overdue(plan):
    kt = HandoverStep.objects.filter(task__plan=plan, kind="knowledge_transfer").first()
    overdue = TODAY - dt.timedelta(days=2)
    HandoverStep.objects.filter(pk=kt.pk).update(
        due_on=overdue, escalated_on=TODAY - dt.timedelta(days=1)
    )
    change_last_day(plan=plan, last_day=FIRST - dt.timedelta(days=1), by=None)
    kt.refresh_from_db()
    assert (kt.due_on, kt.escalated_on) == (overdue, TODAY - dt.timedelta(days=1))


def test_hr_s_task_lists_in_the_admin_are_by_value_not_priority(plan, client):
    """Tasks are ordered by priority (risk x dependence x value); for HR, which reads no
    risk, the task list and the plan's inline list go by value: C1 100,000, C3 50,000,
    C2 10,000 (build_team), though C2 is the most urgent."""
    from django.contrib.auth.models import Permission

    from handover.models import HandoverTask

    HandoverTask.objects.filter(plan=plan, customer__name="C2").update(priority=10**9)

    hana = EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana", is_staff=True))
    hana.user.user_permissions.set(Permission.objects.filter(content_type__app_label="handover"))
    client.force_login(hana.user)
    listed = client.get(reverse("admin:handover_handovertask_changelist"))
    assert [t.customer.name for t in listed.context["cl"].result_list] == ["C1", "C3", "C2"]
    page = client.get(reverse("admin:handover_handoverplan_change", args=[plan.pk]))
    (inline,) = page.context["inline_admin_formsets"]
    assert [f.instance.customer.name for f in inline.formset.forms] == ["C1", "C3", "C2"]


def test_a_last_day_moved_into_the_past_makes_the_transfer_and_introduction_not_to_do(
    plan, admin_client
):
    """Moved to yesterday in the admin: the leaver's access has ended, so the knowledge
    transfers and joint introductions are "not to do" (they were left due, and the first
    night escalated them); the ownership changes and follow-ups stay to do."""
    url = reverse("admin:handover_handoverplan_change", args=[plan.pk])
    data = form_data(admin_client.get(url))
    data["last_day"] = (TODAY - dt.timedelta(days=1)).isoformat()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    steps = HandoverStep.objects.filter(task__plan=plan)
    late = steps.filter(kind__in=["knowledge_transfer", "joint_introduction"])
    assert late.count() > 0 and not late.filter(cancelled=False).exists()
    assert set(late.values_list("note", flat=True)) == {
        "Not to do: the last day had passed when the departure was recorded."
    }
    assert not steps.filter(kind__in=["ownership_change", "follow_up"], cancelled=True).exists()
