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
    # Home: My book, or the HR page for HR.
    page.wait_for_url(lambda url: url in (f"{base}/", f"{base}/hr/"))


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
    page.get_by_text("1 successor accepted.").wait_for()
    # Only the customer whose successor was chosen changed.
    successors = dict(plan.tasks.values_list("customer__name", "successor__name"))
    assert successors == {"C1": None, "C2": "Ben", "C3": None}

    page.get_by_role("button", name="Accept every remaining recommendation").click()
    page.get_by_text("2 successors accepted.").wait_for()
    successors = dict(plan.tasks.values_list("customer__name", "successor__name"))
    assert successors == {"C1": "Ada", "C2": "Ben", "C3": "Ben"}
    log = page.locator("ul.small li").all_inner_texts()
    assert not any("0 successor" in line for line in log)

    # The manager changes C1's owner now, from her steps: the step does what it names.
    page.get_by_role("link", name="Handover steps").click()
    row = page.locator("tr", has_text="Ownership change").filter(has_text="C1")
    assert "Marking it done makes Ada the owner now." in row.inner_text()
    row.get_by_role("button", name="Mark done").click()
    page.get_by_text("Ownership change for C1 done.").wait_for()
    team.c1.refresh_from_db()
    assert team.c1.primary_owner == team.ada


def test_a_last_day_years_ahead_is_refused_and_someone_leaving_is_no_longer_recommended(
    browser_page, live_server
):
    team = build_team()
    EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana"))
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    page, base = browser_page, live_server.url

    sign_in(page, base, "hana")

    def record(name: str, last_day: str) -> None:
        page.goto(f"{base}/handover/start/")
        page.get_by_role("combobox", name="Employee").select_option(label=name)
        page.get_by_label("Last working day").fill(last_day)
        page.get_by_label("Reason").fill("Moving abroad")
        page.get_by_label("The employee resigned (voluntary)").check()
        page.get_by_role("button", name="Start the handover").click()

    record("Leo", "9999-12-31")
    page.get_by_text("is more than 730 days ahead").wait_for()
    assert not HandoverPlan.objects.exists()
    record("Leo", LAST_DAY.isoformat())
    page.get_by_role("heading", name="Handover of Leo").wait_for()
    record("Ada", LAST_DAY.isoformat())  # Ada was recommended for C1 and C2
    page.get_by_role("heading", name="Handover of Ada").wait_for()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "mona")
    plan = HandoverPlan.objects.get(employee=team.leo)
    page.goto(f"{base}/handover/plans/{plan.pk}/")
    page.get_by_role("button", name="Accept every remaining recommendation").click()
    page.get_by_text("3 successors accepted.").wait_for()
    successors = dict(plan.tasks.values_list("customer__name", "successor__name"))
    assert successors == {"C1": "Ben", "C2": "Ben", "C3": "Ben"}


def test_a_double_click_records_one_departure_and_cancelling_asks_first(browser_page, live_server):
    team = build_team()
    EmployeeFactory(name="Hana", role="hr", user=UserFactory(username="hana"))
    page, base = browser_page, live_server.url
    server_errors: list[int] = []
    page.on("response", lambda r: r.status >= 500 and server_errors.append(r.status))

    sign_in(page, base, "hana")
    page.goto(f"{base}/handover/start/")
    page.get_by_role("combobox", name="Employee").select_option(label="Leo")
    page.get_by_label("Last working day").fill(LAST_DAY.isoformat())
    page.get_by_label("Reason").fill("Moving abroad")
    page.get_by_label("The employee resigned (voluntary)").check()
    page.get_by_role("button", name="Start the handover").dblclick()
    page.get_by_role("heading", name="Handover of Leo").wait_for()
    assert server_errors == []
    assert HandoverPlan.objects.filter(employee=team.leo).count() == 1

    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Cancel the departure").click()
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith("Cancel Leo's departure?")
    assert HandoverPlan.objects.get(employee=team.leo).status == "open"
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Cancel the departure").click()
    page.wait_for_load_state()
    page.get_by_role("heading", name="Handover of Leo").wait_for()
    assert HandoverPlan.objects.get(employee=team.leo).status == "cancelled"
