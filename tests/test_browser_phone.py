"""At a phone's width (390 px), in a real browser: the main pages as each role never
scroll sideways (wide tables scroll inside their own container), the log-interaction
form fits the screen, and the successor choice shows whole names. Screenshots of each
page at that width, in English and in Chinese, go to SCREENSHOT_DIR (or
test-artifacts/screenshots; `make screenshots` refreshes docs/screenshots)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.selectors import MET_BY
from customers.models import RiskScore
from handover.models import HandoverPlan
from staff.models import Employee
from tests.factories import InteractionFactory
from tests.test_browser_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
TODAY = timezone.localdate()
WIDTH = 390
ROLES = ["am", "manager", "hr", "admin"]
LANGUAGES = [("en", ""), ("zh-hans", "-zh")]

# What sticks out past the right edge of the screen: elements whose box ends beyond it
# and that are not inside a container that scrolls on its own.
OVERFLOW = """(width) => {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.right <= width + 0.5 || box.width === 0) continue;
        let clipped = false;
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const style = getComputedStyle(p);
            if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) { clipped = true; break; }
        }
        if (!clipped) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
            + ' ' + Math.round(box.right));
    }
    return out.slice(0, 8);
}"""

# Options of a select whose text is wider than the box shows (the arrow takes ~2rem).
CUT_OPTIONS = """(select) => {
    const style = getComputedStyle(select);
    const canvas = document.createElement('canvas').getContext('2d');
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return [...select.options].map(o => o.text).filter(t => canvas.measureText(t).width > room);
}"""


def open_menu(page) -> None:
    """At a phone's width the navigation folds behind the menu button."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#main-nav.show").wait_for()


def choose_language(page, code: str) -> None:
    open_menu(page)
    with page.expect_navigation():
        page.locator("#language-choice").select_option(code)


def sign_out(page, base: str) -> None:
    open_menu(page)
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url(f"{base}/login/")


@pytest.fixture
def demo_company():
    call_command("seed_demo", customers=300, interactions=20_000, verbosity=0)
    call_command(
        "score_customers", history=14, every=7, as_of=TODAY - dt.timedelta(days=1), verbosity=0
    )
    call_command("run_nightly", verbosity=0)
    # A renewal talk logged after the night meets the riskiest customer's signs: its page
    # shows the long "Met since the last scoring: ..." badges, which must wrap. Its score
    # gets the reason of a contract ending soon if the demo did not give it one.
    riskiest = _riskiest_of_am()
    score = RiskScore.objects.current().get(customer_id=riskiest)
    if not any(reason.get("signal") in MET_BY for reason in score.reasons or []):
        ending = next(
            reason
            for reasons in RiskScore.objects.current().values_list("reasons", flat=True)
            for reason in reasons or []
            if reason.get("signal") in MET_BY
        )
        score.reasons = [ending, *(score.reasons or [])]
        score.save(update_fields=["reasons"])
    InteractionFactory(
        customer_id=riskiest,
        employee=Employee.objects.get(user__username="am"),
        kind="renewal_talk",
        happened_at=timezone.now(),
    )
    InteractionFactory(
        customer_id=riskiest,
        employee=Employee.objects.get(user__username="am"),
        kind="call",
        happened_at=timezone.now(),
    )


def _riskiest_of_am() -> int:
    """The account manager's riskiest customer with a sign a logged talk meets (a
    contract ending, no recent contact), else their riskiest."""
    scores = list(
        RiskScore.objects.current()
        .filter(customer__primary_owner__user__username="am")
        .order_by("-revenue_at_risk", "customer_id")
        .values_list("customer_id", "reasons")
    )
    for customer_id, reasons in scores:
        if any(reason.get("signal") in MET_BY for reason in reasons or []):
            return customer_id
    return scores[0][0]


def _pages():
    riskiest = _riskiest_of_am()
    plan = HandoverPlan.objects.filter(status="open").order_by("last_day").first()
    assert riskiest and plan, "the demo company has a scored customer and an open handover"
    return [
        ("/renewals/", "renewals"),
        (f"/handover/plans/{plan.pk}/", "handover-plan"),
        ("/dashboard/", "dashboard"),
        ("/customers/", "customers"),
        (f"/customers/{riskiest}/", "customer"),
        # Pages with wide tables (each role opens the ones the rules let it).
        ("/model/", "model"),
        ("/jobs/", "jobs"),
        ("/imports/", "imports"),
        ("/exports/requests/", "exports"),
        ("/hr/", "hr"),
        ("/handover/exposure/", "exposure"),
        ("/handover/outcomes/", "outcomes"),
        ("/alerts/save-rates/", "save-rates"),
        ("/alerts/monthly/", "monthly"),
    ]


# The pages of each role's day, beside the table pages the rules may refuse.
DAY = {"renewals", "handover-plan", "dashboard", "customers", "customer"}


def test_every_main_page_fits_a_phone_for_every_role(browser_page, live_server, demo_company):
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": WIDTH, "height": 844})
    out = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    errors, too_wide, opened, met_badges = [], {}, {}, {}
    page.on("pageerror", lambda error: errors.append(str(error)))
    pages = _pages()
    for role in ROLES:
        sign_in(page, base, role, "demo-retention-2026")
        for code, suffix in LANGUAGES:
            page.goto(f"{base}/")
            choose_language(page, code)
            for path, name in pages:
                response = page.goto(base + path)
                if response.status != 200:  # not this role's page (403/404 by the rules)
                    continue
                opened.setdefault(role, set()).add(name)
                page.wait_for_load_state("networkidle")
                scroll = page.evaluate("document.scrollingElement.scrollWidth")
                if scroll > WIDTH:
                    too_wide[(role, code, name)] = (scroll, page.evaluate(OVERFLOW, WIDTH))
                if role == "am" and name == "customer" and code == "en":
                    met_badges["am"] = page.locator("text=Met since the last scoring").count()
                if role == "manager" or (role == "am" and name == "customer"):
                    page.screenshot(path=str(out / f"phone-{name}{suffix}.png"), full_page=True)
        page.goto(f"{base}/")
        choose_language(page, "")
        sign_out(page, base)
    assert too_wide == {}
    assert errors == []
    assert met_badges["am"] >= 1  # the long badge was on the page that had to fit
    # Each role reached the pages its work needs (the rest are refused by the rules).
    assert opened["am"] >= {"renewals", "customers", "customer"}
    assert opened["manager"] & DAY == DAY
    assert opened["hr"] >= {"handover-plan", "customers"}
    assert opened["admin"] & DAY == DAY
    # The table pages were reached by someone (the admin sees every one).
    assert opened["admin"] >= {"model", "jobs", "imports", "save-rates", "monthly"}


def test_the_main_forms_work_at_a_phone_width(browser_page, live_server, demo_company):
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": WIDTH, "height": 844})
    customer_path, plan_path = _pages()[4][0], _pages()[1][0]

    # The account manager logs a call on the phone: every field fits the screen.
    sign_in(page, base, "am", "demo-retention-2026")
    page.goto(base + customer_path)
    form = page.locator("form", has=page.get_by_role("button", name="Log it"))
    for field in ["Kind", "Notes", "Satisfaction (1-10)"]:
        box = form.get_by_label(field).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, field
    form.get_by_label("Kind").select_option(label="Call")
    form.get_by_label("Notes").fill("Called from the car park")
    form.get_by_role("button", name="Log it").click()
    page.get_by_text("Call logged.").wait_for()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTH

    # The manager's successor choice shows every name whole, on the phone and the desk.
    sign_out(page, base)
    sign_in(page, base, "manager", "demo-retention-2026")
    for width in (WIDTH, 1400):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base + plan_path)
        selects = page.locator("select[id^=successor-]")
        assert selects.count() > 0
        for i in range(selects.count()):
            assert selects.nth(i).evaluate(CUT_OPTIONS) == [], width
