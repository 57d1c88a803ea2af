"""The jobs page in a real browser whose language is Chinese: an admin reads a failed
night in Chinese (steps by what they do, figures by label, the error worded with the
worker's own text beneath) and runs the failed step again."""

import datetime as dt

import pytest
from django.utils import translation

from retention.jobs.models import JobStep, SetAside
from retention.wording import Worded, coded
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory
DAY = dt.date(2026, 9, 6)


def test_an_admin_reads_a_failed_night_in_chinese_and_runs_the_step_again(
    browser_page, live_server
):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    with translation.override("en"):
        failed = Worded("The step stopped on an unexpected error (see the detail).")
        refused = Worded(
            "%(field)s is longer than the %(limit)s characters it holds.",
            field="external_id",
            limit=64,
        )
    rolled = JobStep.objects.create(
        day=DAY,
        name="roll_contracts",
        target="customers.tasks.roll_contracts",
        status="done",
        result={"expired": 2, "renewed": 3},
    )
    SetAside.objects.create(
        step=rolled,
        model="contract",
        key="K-9",
        reason=refused,
        wording=coded(refused),
        detail="DataError: value too long for type character varying(64)",
    )
    JobStep.objects.create(
        day=DAY,
        name="process_handovers",
        target="handover.tasks.process_handovers",
        status="failed",
        error="ValueError: model file missing",
        error_wording=coded(failed),
    )
    page, base = browser_page, live_server.url
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})

    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill("root")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/**")
    page.goto(f"{base}/jobs/?day={DAY}")

    rolled_row = page.locator("tr", has_text="合同到期与续约")
    assert "到期合同: 2, 已续约: 3" in rolled_row.inner_text()
    rolled_row.get_by_text("1 条记录被搁置").click()
    assert "合同 K-9: external_id 超过了该字段可容纳的 64 个字符。" in rolled_row.inner_text()
    failed_row = page.locator("tr", has_text="最后工作日交接")
    text = failed_row.inner_text()
    assert "该步骤因意外错误而停止（见详情）。" in text
    assert "ValueError: model file missing" in text  # the worker's own words, for admins
    failed_row.get_by_role("button", name="重新运行").click()
    page.get_by_text("已重新排队").wait_for()
    assert JobStep.objects.get(name="process_handovers").status in ("queued", "running", "done")
    assert "expired:" not in page.content()
