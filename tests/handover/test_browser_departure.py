"""In a real browser: HR records a departure, then the manager accepts the successors."""

import pytest

from handover.models import HandoverPlan
from tests.factories import EmployeeFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_hr_starts_a_departure_and_the_manager_accepts_the_successors(browser_page, live_server):
    team = build_team()
    EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana"))
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    page, base = browser_page, live_server.url

    sign_in(page, base, "hana")
    page.get_by_role("link", name="Departures", exact=True).click()
    page.get_by_role("link", name="Record a departure").click()
    page.get_by_role("combobox", name="Employee").select_option(label="Leo")
    page.get_by_label("Last working day").fill(LAST_DAY.isoformat())
    page.get_by_label("Reason").fill("Moving abroad")
    page.get_by_label("The employee resigned (voluntary)").check()
    page.get_by_role("button", name="Start the handover").click()

    page.get_by_role("heading", name="Handover of Leo").wait_for()
    assert "Departure of Leo recorded" in page.content()
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").first.inner_text() == "C1"  # highest priority first
    plan = HandoverPlan.objects.get()
    assert (plan.employee, plan.reason, plan.voluntary) == (team.leo, "Moving abroad", True)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "mona")
    page.goto(f"{base}/handover/plans/{plan.pk}/")
    page.get_by_label("Successor for C2").select_option(label="Ben")
    page.get_by_role("button", name="Save the successors chosen above").click()
    page.get_by_text("3 successor(s) accepted.").wait_for()

    successors = dict(plan.tasks.values_list("customer__name", "successor__name"))
    assert successors == {"C1": "Ada", "C2": "Ben", "C3": "Ben"}
