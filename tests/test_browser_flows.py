"""In a real browser, the day's jobs as each role does them: a manager finds a customer
from the customers list, an account manager pages through a long alert inbox and sees a
renewal talk meet its alert's condition at once, and an admin watches a CSV import's
progress bar move on the embedded default (no workers)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert
from customers.models import CsvImport, Customer, RiskModel, RiskScore, ScoringRun
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)
from tests.test_browser_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate()


def _world():
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    north = TeamFactory(name="North", manager=mia)
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    run = ScoringRun.objects.create(day=TODAY, model=model, status="complete")
    ScoringRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(hours=2))
    return mia, ann, model


def _customer(name, owner, model, *, revenue_at_risk=100, reasons=()):
    customer = CustomerFactory(name=name, primary_owner=owner)
    RiskScore.objects.create(
        customer=customer,
        day=TODAY,
        model=model,
        probability=0.3,
        tier=2,
        annual_value=1000,
        revenue_at_risk=revenue_at_risk,
        reasons=list(reasons),
    )
    return customer


def test_a_manager_finds_a_customer_from_the_customers_list(browser_page, live_server):
    _, ann, model = _world()
    for i in range(30):
        _customer(f"Filler {i:02d}", ann, model, revenue_at_risk=500 + i)
    _customer("Zephyr Logistics", ann, model, revenue_at_risk=5)
    page, base = browser_page, live_server.url

    sign_in(page, base, "mia")
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("heading", name="Customers").wait_for()
    assert "31 customers" in page.locator("caption").inner_text()
    assert page.get_by_role("link", name="Zephyr Logistics").count() == 0  # on page 2
    page.get_by_label("Search").fill("zephyr")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Zephyr Logistics").click()
    page.get_by_role("heading", name="Zephyr Logistics").wait_for()


def test_a_manager_filters_the_customers_list_by_a_typed_owner_and_pages_it(
    browser_page, live_server
):
    mia, ann, model = _world()
    bob = EmployeeFactory(name="Bob Stone", team=ann.team)
    for i in range(30):
        _customer(f"Bob's {i:02d}", bob, model, revenue_at_risk=900 - i)
    _customer("Ann's only", ann, model, revenue_at_risk=950)
    page, base = browser_page, live_server.url

    sign_in(page, base, "mia")
    page.goto(f"{base}/customers/")
    page.get_by_label("Owner").fill("bob")
    # The suggestions come from the owners endpoint; choosing one sets the hidden id.
    expect(page.locator("#owner-options option")).to_have_count(1)
    assert page.locator("#owner-options option").get_attribute("value") == "Bob Stone (North)"
    page.get_by_label("Owner").fill("Bob Stone (North)")
    expect(page.locator("input[name=owner]")).to_have_value(str(bob.pk))
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Bob's 00").wait_for()
    assert "30 customers" in page.locator("caption").inner_text()
    assert page.get_by_role("link", name="Ann's only").count() == 0
    page.get_by_role("link", name="Next").click()
    page.get_by_role("link", name="Bob's 29").wait_for()  # page 2: the last five
    assert "page 2 of 2" in page.locator("caption").inner_text()
    assert "after=" in page.url
    page.get_by_role("link", name="Previous").click()
    page.get_by_role("link", name="Bob's 00").wait_for()
    assert page.get_by_label("Owner").input_value() == "Bob Stone (North)"


def test_an_owner_typed_and_not_picked_still_filters_the_customers_list(browser_page, live_server):
    _, ann, model = _world()
    bob = EmployeeFactory(name="Bob Stone", team=ann.team)
    _customer("Bob's own", bob, model)
    _customer("Ann's only", ann, model)
    page, base = browser_page, live_server.url

    sign_in(page, base, "mia")
    page.goto(f"{base}/customers/")
    page.get_by_label("Owner").fill("bob stone")
    expect(page.locator("#owner-options option")).to_have_count(1)  # offered, not picked
    expect(page.locator("input[name=owner]")).to_have_value("")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Bob's own").wait_for()
    assert page.get_by_role("link", name="Ann's only").count() == 0
    assert page.get_by_label("Owner").input_value() == "Bob Stone (North)"
    expect(page.locator("input[name=owner]")).to_have_value(str(bob.pk))
    page.get_by_label("Owner").fill("Nobody Here")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Nobody you may filter by is called “Nobody Here”").wait_for()
    assert page.get_by_role("link", name="Bob's own").count() == 0
    assert page.get_by_role("link", name="Ann's only").count() == 0


def test_an_account_manager_pages_the_inbox_and_a_renewal_talk_meets_its_alert(
    browser_page, live_server
):
    _, ann, model = _world()
    for i in range(57):
        customer = _customer(f"Cust {i:02d}", ann, model, revenue_at_risk=1000 - i)
        Alert.objects.create(
            customer=customer,
            signal="complaint",
            text="Complaint 3 days ago",
            owner=ann,
            opened_on=TODAY,
            figures_on=TODAY,
            revenue_at_risk=1000 - i,
        )
    acme = _customer(
        "Acme",
        ann,
        model,
        revenue_at_risk=5000,
        reasons=[
            {
                "signal": "contract_ending_90",
                "text": "Contract ends in 41 days, no renewal talk logged",
            }
        ],
    )
    ContractFactory(
        customer=acme,
        start_date=TODAY - dt.timedelta(days=300),
        end_date=TODAY + dt.timedelta(days=41),
        annual_value=Decimal(1000),
    )
    renewal = Alert.objects.create(
        customer=acme,
        signal="contract_ending_90",
        text="Contract ends in 41 days, no renewal talk logged",
        owner=ann,
        opened_on=TODAY,
        figures_on=TODAY,
        revenue_at_risk=5000,
    )
    page, base = browser_page, live_server.url

    sign_in(page, base, "ann")
    page.get_by_role("link", name="Alerts").first.click()
    assert "58 alerts" in page.locator("[data-alert-count]").inner_text()
    page.get_by_role("link", name="Next").click()
    page.get_by_text("Page 2 of 3").wait_for()
    page.get_by_role("link", name="Next").click()
    assert "Cust 56" in page.content()

    page.goto(f"{base}/customers/{acme.pk}/")
    page.get_by_label("Kind").select_option(label="Renewal talk")
    page.get_by_label("Notes").fill("Renewal offer sent")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Renewal talk logged.").wait_for()
    page.reload()
    met = page.locator("[data-condition-met]")
    assert "Condition met: Renewal talk logged on" in met.inner_text()
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    page.get_by_role("button", name="Resolve").click()
    page.get_by_text("alert resolved").wait_for()
    renewal.refresh_from_db()
    assert renewal.status == "resolved" and renewal.note.startswith("Renewal talk logged on")


def test_the_csv_import_progress_moves_without_workers(
    browser_page, live_server, settings, tmp_path
):
    settings.CSV_IMPORT_IN_THREAD = True  # the embedded default: no broker, no workers
    settings.MEDIA_ROOT = tmp_path
    UserFactory(username="root", is_superuser=True, is_staff=True)
    rows = 100_000  # enough that the bar, polled every second, sees the work midway
    upload = tmp_path / "customers.csv"
    owner = EmployeeFactory(name="Ola", email="ola@example.com")
    lines = ["external_id,name,segment,customer_since,primary_owner"]
    lines += [f"X-{i},Imported {i},general,2024-01-01,{owner.email}" for i in range(rows)]
    upload.write_text("\n".join(lines) + "\n")
    page, base = browser_page, live_server.url

    sign_in(page, base, "root")
    page.goto(f"{base}/imports/")
    page.get_by_label("What the file holds").select_option("customers")
    page.get_by_label("CSV or Excel file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and map columns").click()
    bar = page.locator("#progress .progress-bar")
    seen = set()

    def watch_until(done_text: str) -> None:
        # The request answered at once: the work is still running, and the bar shows it.
        for _ in range(960):
            if page.get_by_text(done_text).count():
                return
            if bar.count():
                seen.add(bar.inner_text())
            page.wait_for_timeout(250)

    page.get_by_role("button", name="Check the file").click()
    watch_until("rows are fine")
    assert "All 100,000 rows are fine." in page.content()
    page.get_by_role("button", name="Import them").click()
    watch_until("Imported 100,000 rows")
    page.get_by_text("Imported 100,000 rows").wait_for(timeout=120_000)
    assert any(text not in ("0%", "100%") for text in seen), seen
    assert Customer.objects.filter(external_id__startswith="X-").count() == rows
    assert CsvImport.objects.get().status == "done"
