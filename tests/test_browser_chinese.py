"""The same day's work in Simplified Chinese, in a real browser whose language is
Chinese: the manager saves one chosen successor and changes an owner from the steps page,
finds a customer from the customers list, and an account manager sees a renewal talk meet
its alert and resolves it in place."""

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import Alert
from customers.models import RiskModel, RiskScore, ScoringRun
from handover import services
from handover.models import HandoverPlan
from tests.factories import ContractFactory, CustomerFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory


@pytest.fixture
def page_zh(browser_page):
    browser_page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    return browser_page


def sign_in_zh(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Home: My book, or the HR page for HR.
    page.wait_for_url(lambda url: url in (f"{base}/", f"{base}/hr/"))


def test_a_manager_works_a_handover_in_chinese(page_zh, live_server):
    team = build_team()
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    plan = services.start_departure(
        employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
    )
    services.raise_tasks(plan=plan)
    page, base = page_zh, live_server.url

    sign_in_zh(page, base, "mona")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.goto(f"{base}/handover/plans/{plan.pk}/")
    page.get_by_role("heading", name="Leo 的交接").wait_for()
    page.get_by_label("C2 的接任者").select_option(label="Ben")
    page.get_by_role("button", name="保存上面选择的接任者").click()
    page.get_by_text("已确认 1 位接任者。").wait_for()
    assert dict(plan.tasks.values_list("customer__name", "successor__name")) == {
        "C1": None,
        "C2": "Ben",
        "C3": None,
    }
    page.get_by_role("button", name="接受所有剩余推荐").click()
    page.get_by_text("已确认 2 位接任者。").wait_for()

    page.get_by_role("link", name="交接步骤").click()
    row = page.locator("tr", has_text="负责人变更").filter(has_text="C1")
    assert "标记完成后，Ada 立即成为负责人。" in row.inner_text()
    row.get_by_role("button", name="标记完成").click()
    page.get_by_text("C1 的负责人变更已完成。").wait_for()
    team.c1.refresh_from_db()
    assert team.c1.primary_owner == team.ada

    page.get_by_role("link", name="客户", exact=True).click()
    page.get_by_label("搜索").fill("C3")
    page.get_by_role("button", name="显示").click()
    page.get_by_role("link", name="C3").click()
    page.get_by_role("heading", name="C3").wait_for()
    assert HandoverPlan.objects.get().status == "open"


def test_an_account_manager_resolves_a_met_alert_in_chinese(page_zh, live_server):
    today = timezone.localdate()
    team = build_team()
    ann = team.ada
    ann.user = UserFactory(username="ada")
    ann.save()
    model = RiskModel.objects.first() or RiskModel.objects.create(
        version=1, kind="rules", as_of=today, horizon_days=90, window_start=today, window_end=today
    )
    run = ScoringRun.objects.filter(day=today).first() or ScoringRun.objects.create(
        day=today, model=model, status="complete"
    )
    ScoringRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(hours=1))
    acme = CustomerFactory(name="Acme", primary_owner=ann)
    ContractFactory(
        customer=acme,
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=41),
    )
    RiskScore.objects.create(
        customer=acme,
        day=today,
        model=model,
        probability=0.4,
        tier=1,
        annual_value=12000,
        revenue_at_risk=4800,
    )
    alert = Alert.objects.create(
        customer=acme,
        signal="contract_ending_90",
        text="Contract ends in 41 days, no renewal talk logged",
        owner=ann,
        opened_on=today,
        figures_on=today,
        revenue_at_risk=4800,
    )
    page, base = page_zh, live_server.url

    sign_in_zh(page, base, "ada")
    page.goto(f"{base}/customers/{acme.pk}/")
    page.get_by_label("类型").select_option(label="续约沟通")
    page.get_by_role("button", name="记录", exact=True).click()
    page.get_by_text("已记录续约沟通。").wait_for()
    page.reload()
    met = page.locator("[data-condition-met]").inner_text()
    assert met.startswith("条件已满足：已于") and "记录续约沟通" in met
    assert f"{today.year}年{today.month}月{today.day}日" in met
    assert page.get_by_role("button", name="确认").count() == 0
    page.get_by_role("button", name="解决").click()
    page.get_by_text("Acme：预警已解决。").wait_for()
    alert.refresh_from_db()
    assert alert.status == "resolved"
