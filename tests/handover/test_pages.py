"""The handover pages: who may open them and what they show."""

import pytest
from django.urls import reverse
from django.utils import timezone

from handover import services
from handover.models import HandoverPlan
from staff.models import Employee
from tests.factories import EmployeeFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return build_team()


def login(client, role: str, name: str):
    employee = EmployeeFactory(name=name, role=role, user=UserFactory(username=name.lower()))
    client.force_login(employee.user)
    return employee


@pytest.mark.parametrize(
    "name", ["handover:plans", "handover:exposure", "handover:outcomes", "handover:start"]
)
def test_account_managers_cannot_open_people_pages(client, team, name):
    login(client, Employee.Role.ACCOUNT_MANAGER, "Amy")
    assert client.get(reverse(name)).status_code == 403


def test_hr_records_a_departure_in_the_browser_form(
    client, team, django_capture_on_commit_callbacks
):
    login(client, Employee.Role.HR, "Hana")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("handover:start"),
            {
                "employee": team.leo.pk,
                "last_day": LAST_DAY.isoformat(),
                "reason": "Relocation",
                "voluntary": "true",
            },
        )
    plan = HandoverPlan.objects.get()
    assert response.status_code == 302 and response.url == reverse("handover:plan", args=[plan.pk])
    assert (plan.employee, plan.voluntary, plan.tasks.count()) == (team.leo, True, 3)
    page = client.get(response.url).content.decode()
    assert "Handover of Leo" in page and "C1" in page
    # HR sees names, values and the handover's state: no risk, no priority drawn from
    # it, no reasons drawn from interactions (README, roles). The manager does.
    risk, priority = (f'<th scope="col" class="text-end">{h}</th>' for h in ("Risk", "Priority"))
    for hidden in (risk, priority, "same team", "interactions in"):
        assert hidden not in page, hidden
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(team.mona.user)
    page = client.get(response.url).content.decode()
    assert risk in page and priority in page and "same team" in page


def test_a_bad_departure_shows_the_message_next_to_the_field_and_keeps_the_input(client, team):
    login(client, Employee.Role.HR, "Hana")
    response = client.post(
        reverse("handover:start"),
        {
            "employee": team.leo.pk,
            "last_day": "2020-01-01",
            "reason": "Relocation",
            "voluntary": "false",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "more than 7 days in the past" in page
    assert 'value="Relocation"' in page
    assert not HandoverPlan.objects.exists()


def test_a_manager_accepts_all_recommendations(client, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
        )
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(team.mona.user)
    response = client.post(reverse("handover:plan", args=[plan.pk]), {"accept_all": "1"})
    assert response.status_code == 302
    assert set(plan.tasks.values_list("successor__name", flat=True)) == {"Ada", "Ben"}


def test_exposure_and_what_if_pages_show_the_figures(client, team):
    max_ = login(client, Employee.Role.MANAGER, "Max")
    # Leo is not in a team Max manages: neither his exposure nor the preview is Max's.
    assert "Leo" not in client.get(reverse("handover:exposure")).content.decode()
    assert client.get(reverse("handover:what_if", args=[team.leo.pk])).status_code == 404
    leo_team = team.leo.team
    leo_team.manager = max_
    leo_team.save()
    page = client.get(reverse("handover:exposure")).content.decode()
    assert "Leo" in page and "160,000" in page and "50,000" in page
    page = client.get(reverse("handover:what_if", args=[team.leo.pk])).content.decode()
    assert "What if Leo leaves?" in page and "32,000" in page and "Ada" in page
    assert not HandoverPlan.objects.exists()  # a preview changes nothing


def test_hr_reads_key_person_exposure_without_the_value_at_risk(client, team):
    from handover.selectors import exposure_report

    leo = next(
        row
        for row in exposure_report(as_of=timezone.localdate(), employee_ids=None)
        if row.name == "Leo"
    )
    assert leo.value_at_risk > 0  # the fixture's scores put some of Leo's value at risk
    login(client, Employee.Role.HR, "Hana")
    page = client.get(reverse("handover:exposure")).content.decode()
    assert "Leo" in page and "160,000" in page  # names and the value owned
    assert ">Value at risk<" not in page and "value at risk" not in page
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert ">Value at risk<" in client.get(reverse("handover:exposure")).content.decode()


def test_hr_previews_a_leaver_by_name_and_value_without_risk(
    client, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
        )
    login(client, Employee.Role.HR, "Hana")
    page = client.get(reverse("handover:what_if", args=[team.leo.pk])).content.decode()
    # Named (Leo is leaving), by annual value: C1 100,000, C3 50,000, C2 10,000; no
    # risk, dependence or priority, nor the successor reasons counted from interactions.
    assert page.index(">C1<") < page.index(">C3<") < page.index(">C2<")
    hidden = (">Risk<", ">Dependence<", ">Priority<", "interactions in", "same team")
    for shown_not in (*hidden, "Value at risk today", "most at risk"):
        assert shown_not not in page, shown_not
    assert "Their customers, by annual value (3)" in page
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(team.mona.user)
    page = client.get(reverse("handover:what_if", args=[team.leo.pk])).content.decode()
    assert ">Risk<" in page and ">Priority<" in page and "interactions in" in page


def test_the_plan_page_has_no_form_inside_another_and_hr_saves_the_exit_notes(
    client, team, django_capture_on_commit_callbacks
):
    """Browsers drop a form nested in another (HTML forbids it): the exit-interview notes
    had a form of their own inside the page's."""
    from html.parser import HTMLParser

    class Forms(HTMLParser):
        depth = deepest = 0

        def handle_starttag(self, tag, attrs):
            if tag == "form":
                self.depth += 1
                self.deepest = max(self.deepest, self.depth)

        def handle_endtag(self, tag):
            if tag == "form":
                self.depth -= 1

    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
        )
    login(client, Employee.Role.HR, "Hana")
    url = reverse("handover:plan", args=[plan.pk])
    page = client.get(url).content.decode()
    forms = Forms()
    forms.feed(page)
    assert 'name="exit_interview_notes"' in page
    assert (forms.deepest, forms.depth) == (1, 0)
    response = client.post(url, {"save_notes": "1", "exit_interview_notes": "Wants a reference."})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.exit_interview_notes == "Wants a reference."
