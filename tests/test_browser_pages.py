"""In a real browser: an account manager works a high-risk customer from their book, a
manager's dashboard draws its charts, and the main pages as each role (screenshots saved
under SCREENSHOT_DIR, or test-artifacts/screenshots; `make screenshots` refreshes
docs/screenshots)."""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Alert
from customers.figures import nightly as figures
from customers.models import Interaction, RiskModel, RiskScore, ScoringRun
from handover.models import HandoverPlan
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory
ROOT = Path(__file__).resolve().parent.parent
TODAY = timezone.localdate()


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Home: My book, or the HR page for HR.
    page.wait_for_url(lambda url: url in (f"{base}/", f"{base}/hr/"))


def _scored_world():
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    north = TeamFactory(name="North", manager=mia)
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    ScoringRun.objects.create(day=TODAY, model=model, status="complete")
    customers = {}
    for name, probability, tier in (("Acme", 0.62, 1), ("Calm Co", 0.03, 5)):
        customer = CustomerFactory(name=name, primary_owner=ann)
        ContractFactory(
            customer=customer,
            start_date=TODAY - dt.timedelta(days=300),
            end_date=TODAY + dt.timedelta(days=65),
            annual_value=Decimal(40_000),
        )
        for days_ago in range(0, 60, 7):
            RiskScore.objects.create(
                customer=customer,
                day=TODAY - dt.timedelta(days=days_ago),
                # Each score held until the next one, a week later.
                valid_until=TODAY - dt.timedelta(days=days_ago - 7) if days_ago else None,
                model=model,
                probability=max(probability - days_ago / 200, 0.01),
                tier=tier,
                annual_value=40_000,
                revenue_at_risk=Decimal(40_000) * Decimal(str(probability)),
                reasons=[{"signal": "no_contact", "text": "No contact for 75 days"}]
                if tier == 1
                else [],
            )
        customers[name] = customer
    ContactFactory(
        customer=customers["Acme"], name="Dora Decider", role="CFO", is_decision_maker=True
    )
    alert = Alert.objects.create(
        customer=customers["Acme"],
        signal="no_contact",
        text="No contact for 75 days",
        tier=1,
        owner=ann,
        opened_on=TODAY,
        figures_on=TODAY,
        revenue_at_risk=24_800,
    )
    figures.compute(day=TODAY)
    return ann, mia, customers, alert


def test_an_account_manager_works_a_high_risk_customer(browser_page, live_server):
    ann, _, customers, alert = _scored_world()
    page, base = browser_page, live_server.url

    sign_in(page, base, "ann")
    attention = page.get_by_role("region", name="Needs attention today")
    assert "No contact for 75 days" in attention.inner_text()
    rows = page.locator("table tbody tr")
    assert rows.first.locator("td").first.inner_text() == "Acme"  # most revenue at risk first
    assert rows.first.locator("svg.sparkline").count() == 1

    rows.first.get_by_role("link", name="Acme").click()
    page.get_by_role("heading", name="Acme").wait_for()
    why = page.get_by_role("region", name="Why")
    assert "No contact for 75 days" in why.inner_text()

    page.get_by_label("Kind").select_option(label="Call")
    page.get_by_label("With").select_option(label="Dora Decider, CFO (decision-maker)")
    page.get_by_label("Satisfaction (1-10)").fill("7")
    page.get_by_label("Notes").fill("Agreed a renewal meeting next week")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Call logged.").wait_for()
    assert "Agreed a renewal meeting next week" in page.locator("#timeline").inner_text()
    call = Interaction.objects.get(notes="Agreed a renewal meeting next week")
    assert (call.kind, call.employee_id, call.contact.name, call.satisfaction) == (
        "call",
        ann.pk,
        "Dora Decider",
        7,
    )

    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("alert acknowledged").wait_for()
    assert page.url == f"{base}/customers/{customers['Acme'].pk}/"
    alert.refresh_from_db()
    assert alert.status == "acknowledged"


def test_a_manager_sees_the_dashboard_charts_render(browser_page, live_server):
    _scored_world()
    page, base = browser_page, live_server.url
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, base, "mia")
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Dashboard").wait_for()

    drawn = page.evaluate(
        """() => ['tier-chart', 'churn-chart'].map(id => {
            const chart = Chart.getChart(id);
            return chart ? chart.data.datasets[0].data.length : 0;
        })"""
    )
    assert drawn[0] == 5  # a bar per tier
    assert drawn[1] >= 1  # at least this month
    assert errors == []
    very_high = page.locator(
        "section[aria-labelledby=tiers-heading] table tbody tr"
    ).first.inner_text()
    assert "Very high" in very_high and "24,800" in very_high  # Acme: 62% of 40,000


SHOTS = [
    ("am", "/", "my-book"),
    ("am", "/alerts/", "alerts"),
    ("am", "/handover/my-steps/", "handover-steps"),
    ("manager", "/dashboard/", "dashboard"),
    ("manager", "/customers/", "customers"),
    ("manager", "/renewals/", "renewals"),
    ("manager", "/handover/", "departures"),
    ("manager", "/model/", "model"),
    ("hr", "/hr/", "hr"),
    ("hr", "/customers/", "customers-hr"),
    ("admin", "/imports/", "imports"),
]
# Each page in English (name.png) and in Simplified Chinese (name-zh.png), chosen the
# way a person chooses it: the language menu, stored on their record.
LANGUAGES = [("en", ""), ("zh-hans", "-zh")]


def test_screenshots_of_the_main_pages(browser_page, live_server):
    """The demo company (small), scored with a history; every main page opens without a
    script error for its role and is photographed."""
    call_command("seed_demo", customers=300, interactions=20_000, verbosity=0)
    call_command(
        "score_customers", history=28, every=7, as_of=TODAY - dt.timedelta(days=1), verbosity=0
    )
    call_command("run_nightly", verbosity=0)
    out = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    page, base = browser_page, live_server.url
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    riskiest = (
        RiskScore.objects.on_day(TODAY)
        .filter(customer__primary_owner__user__username="am")
        .order_by("-revenue_at_risk")
        .values_list("customer_id", flat=True)
        .first()
    )
    plan = HandoverPlan.objects.filter(status="open").order_by("last_day").first()
    shots = [("am", f"/customers/{riskiest}/", "customer"), *SHOTS]
    if plan:
        shots.append(("admin", f"/handover/plans/{plan.pk}/", "handover-plan"))
    shots.sort(key=lambda shot: ["am", "manager", "hr", "admin"].index(shot[0]))
    for username in ["am", "manager", "hr", "admin"]:
        sign_in(page, base, username, "demo-retention-2026")
        for code, suffix in LANGUAGES:
            with page.expect_navigation():
                page.locator("#language-choice").select_option(code)
            assert page.locator("html").get_attribute("lang") == code
            for _, path, name in (shot for shot in shots if shot[0] == username):
                response = page.goto(base + path)
                assert response.status == 200, path
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / f"{name}{suffix}.png"), full_page=True)
        with page.expect_navigation():
            page.locator("#language-choice").select_option("")  # back to the browser's
        page.locator("form[action='/logout/'] button").click()
        page.wait_for_url(f"{base}/login/")
    assert errors == []
    names = {f"{name}{suffix}" for *_, name in shots for *_, suffix in LANGUAGES}
    assert names <= {shot.stem for shot in out.glob("*.png")}
