"""What a zh-hans reader sees on the pages holds no English, no raw code and no value
formatted for a program: a model's description, chart words and month labels passed to
the browser, a job's subject and amounts, an export's title, a successor's refusal, the
reason an import gives a departure, the API's recommendation reasons, a kind's label,
dates in messages, filters' empty choices, and which figures are from when."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Interaction, RiskModel, ScoringRun
from handover.models import HandoverPlan, HandoverTask
from retention.jobs.labels import result_items, subject_text
from retention.months import month_label
from staff.imports.rows import DEFAULT_LEAVING_REASON
from staff.models import Employee
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TODAY = timezone.localdate()


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def json_block(response, block_id: str) -> dict:
    html = response.content.decode()
    found = re.search(
        rf'<script id="{block_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, block_id
    return json.loads(found[1])


def person(client, role: str, name: str, **fields) -> Employee:
    employee = EmployeeFactory(
        name=name, role=role, user=UserFactory(username=name.lower()), **fields
    )
    client.force_login(employee.user)
    return employee


def logistic_model(version: int = 1) -> RiskModel:
    return RiskModel.objects.create(
        version=version,
        kind=RiskModel.Kind.LOGISTIC_REGRESSION,
        as_of=TODAY,
        horizon_days=90,
        window_start=dt.date(2024, 9, 30),
        window_end=dt.date(2026, 3, 30),
        metrics={"roc_auc": 0.9712},
    )


# --- 1. the model's description --------------------------------------------------------


def test_my_book_words_the_model_in_chinese(client):
    person(client, Employee.Role.ACCOUNT_MANAGER, "Ann")
    model = logistic_model()
    ScoringRun.objects.create(day=TODAY, model=model, status=ScoringRun.Status.COMPLETE)
    chinese = text_of(client.get(reverse("home"), **ZH))
    assert "风险由逻辑回归模型 v1（回测 ROC AUC 0.97）于" in chinese
    assert "model v1" not in chinese and "backtest" not in chinese
    english = text_of(client.get(reverse("home"), **EN))
    assert "by the Logistic regression model v1, backtest ROC AUC 0.97;" in english


def test_a_jobs_model_and_amount_are_worded_for_the_reader(settings):
    settings.REPORTING_CURRENCY = "EUR"
    stored = {
        "model": {"version": 1, "kind": "logistic_regression", "roc_auc": 0.9712},
        "revenue_at_risk": 1875267.47,
    }
    # What older runs stored: the model's English description.
    legacy = {"model": "Logistic regression model v1, backtest ROC AUC 0.97"}
    with translation.override("zh-hans"):
        assert result_items(stored) == [
            ("模型", "逻辑回归模型 v1（回测 ROC AUC 0.97）"),
            ("风险收入", "EUR 1,875,267"),
        ]
        assert result_items(legacy) == [("模型", "逻辑回归模型 v1（回测 ROC AUC 0.97）")]
        assert subject_text("customers 1-1499") == "客户 1–1499"
        assert subject_text("plan 5") == "交接计划 5"
        assert subject_text("import 3") == "文件导入 3"
    with translation.override("en"):
        assert result_items(stored)[1] == ("revenue at risk", "EUR 1,875,267")
        # A figure with no value is left out, not shown as "skipped: ,".
        alerts = {"opened": 3, "skipped": "", "looked_at": None, "cleared": 0}
        assert [label for label, _ in result_items(alerts)] == ["alerts opened", "cleared"]
        assert subject_text("customers 1-1499") == "customers 1–1499"


# --- 2. charts and months ----------------------------------------------------------------


def test_month_labels_follow_the_language():
    with translation.override("zh-hans"):
        assert month_label(dt.date(2025, 12, 1)) == "2025年12月"
    with translation.override("en"):
        assert month_label(dt.date(2025, 12, 1)) == "Dec 2025"


def test_the_hr_page_gives_its_chart_and_team_rows_in_chinese(client):
    person(client, Employee.Role.HR, "Hana", team=TeamFactory(name="North"))
    EmployeeFactory(
        name="Lone",
        team=None,
        status=Employee.Status.DEPARTED,
        departure_date=TODAY - dt.timedelta(days=1),
        hired_on=TODAY - dt.timedelta(days=900),
    )
    response = client.get(reverse("hr"), **ZH)
    chart = json_block(response, "turnover-data")
    assert chart["words"] == {
        "voluntary": "主动离职",
        "involuntary": "被动离职",
        "unrecorded": "未登记",
        "rate": "流动率",
        "leavers": "离职人数",
    }
    first = timezone.localdate().replace(day=1)
    assert chart["labels"][-1].startswith(f"{first.year}年{first.month}月")
    assert not any(re.search(r"[A-Za-z]", label) for label in chart["labels"])
    page = text_of(response)
    assert "无团队" in page and "所有团队" in page
    for english in ("No team", "All teams", "so far"):
        assert english not in page


def test_no_chart_script_holds_an_english_word_of_its_own():
    """Every word a chart shows comes from the page, in the reader's language."""
    for path in ("static/app/charts.js", "static/app/hr.js"):
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", open(path).read(), flags=re.S)  # noqa: SIM115
        labels = re.findall(r"(?:label|text):\s*\"([^\"]*)\"", code)
        assert labels == [], (path, labels)


def test_the_dashboard_names_its_months_and_quarters_in_chinese():
    from customers.figures.dashboard import period_label

    with translation.override("zh-hans"):
        assert period_label(dt.date(2026, 10, 1), "month") == "2026年10月"
        assert period_label(dt.date(2026, 10, 1), "quarter") == "2026年第4季度"
    with translation.override("en"):
        assert period_label(dt.date(2026, 10, 1), "month") == "Oct 2026"
        assert period_label(dt.date(2026, 10, 1), "quarter") == "Q4 2026"


def test_the_dashboard_chart_words_and_months_are_chinese(client):
    from customers.figures.models import ChurnFigure

    person(client, Employee.Role.ADMIN, "Ada")
    team = TeamFactory(name="North")
    for month in (dt.date(2026, 9, 1), dt.date(2026, 10, 1)):
        ChurnFigure.objects.create(
            month=month,
            dimension="team",
            key=str(team.pk),
            team=team,
            active_start=10,
            value_start=1000,
            lost=1,
            value_lost=100,
        )
    response = client.get(reverse("dashboard"), **ZH)
    chart = json_block(response, "churn-data")
    assert chart["words"] == {"customers": "客户流失率", "revenue": "收入流失率"}
    assert chart["labels"] == ["2026年9月", "2026年10月"]
    assert "Oct 2026" not in text_of(response)


# --- 3. the model page -------------------------------------------------------------------


def test_the_model_page_explains_its_metrics_and_candidates_in_chinese(client):
    person(client, Employee.Role.MANAGER, "Mia")
    RiskModel.objects.create(
        version=1,
        kind=RiskModel.Kind.LOGISTIC_REGRESSION,
        as_of=TODAY,
        horizon_days=90,
        window_start=dt.date(2024, 9, 30),
        window_end=dt.date(2026, 3, 30),
        metrics={
            "roc_auc": 0.97,
            "brier": 0.02,
            "lift_top_decile": 4.1,
            "candidates": {"recency": {"roc_auc": 0.6}},
        },
        note_code="left_out",
        note_params={"features": ["active_contracts"]},
    )
    page = text_of(client.get(reverse("model"), **ZH))
    assert "流失客户排在留存客户之前的概率；0.5 相当于抛硬币。" in page
    assert "概率的均方误差；越低越好。" in page
    assert "风险最高 10% 中的提升度" in page
    assert "仅按最近活动（候选）" in page
    assert "未使用（每一行都为空或取值不变）：有效合同。" in page
    for english in (
        "Chance that a churner",
        "Mean squared error",
        "Lift in the riskiest",
        "recency（",
        "active_contracts",
    ):
        assert english not in page


# --- 5. export -------------------------------------------------------------------------


def test_the_export_page_names_what_it_exports_in_chinese(client):
    person(client, Employee.Role.MANAGER, "Mia")
    page = text_of(client.get(reverse("export", args=["customers"]), **ZH))
    assert "导出客户" in page and "将客户导出为 CSV" in page
    assert "customers" not in page
    rates = text_of(client.get(reverse("export", args=["exchange_rates"]), **ZH))
    assert "导出汇率" in rates and "exchange" not in rates


# --- 6. handover refusals and reasons ----------------------------------------------------


def test_a_successor_past_their_last_day_has_left_in_either_language():
    gone = EmployeeFactory(
        name="Noah Nagel",
        status=Employee.Status.DEPARTING,
        departure_date=TODAY - dt.timedelta(days=2),
    )
    leaving = EmployeeFactory(
        name="Lea", status=Employee.Status.DEPARTING, departure_date=TODAY + dt.timedelta(days=9)
    )
    with translation.override("zh-hans"):
        assert HandoverTask.successor_problem(gone, leaver_id=0, unable={}) == (
            "Noah Nagel 已离职，不能接手客户。"
        )
        assert HandoverTask.successor_problem(leaving, leaver_id=0, unable={}) == (
            "Lea 即将离职，不能接手客户。"
        )
    with translation.override("en"):
        assert HandoverTask.successor_problem(gone, leaver_id=0, unable={}) == (
            "Noah Nagel has left and cannot take customers over."
        )


def test_the_imports_default_departure_reason_reads_chinese():
    plan = HandoverPlan(reason=DEFAULT_LEAVING_REASON, last_day=TODAY, voluntary=True)
    typed = HandoverPlan(reason="New job abroad", last_day=TODAY, voluntary=True)
    with translation.override("zh-hans"):
        assert plan.reason_text == "离职日期来自人事系统（未填写原因）。"
        assert typed.reason_text == "New job abroad"  # what someone typed, as typed


# --- 7. the API's recommendation reasons -----------------------------------------------


def test_the_apis_recommendation_reasons_follow_accept_language(settings):
    settings.REPORTING_CURRENCY = "EUR"
    leaver = EmployeeFactory(name="Leo")
    plan = HandoverPlan.objects.create(
        employee=leaver, last_day=TODAY + dt.timedelta(days=20), reason="x", voluntary=True
    )
    HandoverTask.objects.create(
        plan=plan,
        customer=CustomerFactory(primary_owner=leaver),
        role="primary",
        risk=0.1,
        dependence=1,
        priority=1,
        recommendation_reasons=["same team", "book 3 of 40 customers, 3,113,217 a year"],
    )
    api = integration_client()[0]
    chinese = api.get("/api/v1/handover-tasks/", **ZH).json()["results"][0]
    english = api.get("/api/v1/handover-tasks/", **EN).json()["results"][0]
    assert english["recommendation_reasons"] == [
        "same team",
        "book 3 of 40 customers, EUR 3,113,217 a year",
    ]
    assert chinese["recommendation_reasons"][1].count("EUR 3,113,217") == 1
    assert not any(
        re.search(r"[a-z]{3,}", reason.replace("EUR", ""))
        for reason in chinese["recommendation_reasons"]
    )


# --- 8. codes, bytes, dates and empty choices --------------------------------------------


def test_a_refused_log_names_the_kind_and_the_moment_as_chinese_writes_them(client):
    ann = person(client, Employee.Role.ACCOUNT_MANAGER, "Ann")
    customer = CustomerFactory(primary_owner=ann)
    url = reverse("log_interaction", args=[customer.pk])
    base = {"kind": "note", "direction": "internal", "notes": "x"}
    rated = client.post(
        url,
        base
        | {"happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "satisfaction": "7"},
        **ZH,
    )
    assert "类型为 备注 的互动不带满意度评分。" in text_of(rated)
    future = client.post(url, base | {"happened_at": "9999-12-31T10:00"}, **ZH)
    page = text_of(future)
    assert "9999年12月31日 10:00 是未来的时间" in page
    assert "9999-12-31" not in page
    assert not Interaction.objects.exists()


def test_day_and_month_are_written_without_a_padded_month():
    from django.utils.formats import date_format

    with translation.override("zh-hans"):
        assert date_format(dt.date(2026, 9, 6), "MONTH_DAY_FORMAT") == "9月6日"


def test_no_filter_or_form_offers_dashes_for_no_choice(client):
    person(client, Employee.Role.ADMIN, "Ada", team=TeamFactory(name="North"))
    for name in ("renewals", "handover:start"):
        html = client.get(reverse(name), **ZH).content.decode()
        assert "---------" not in html, name
    renewals = client.get(reverse("renewals"), **ZH).content.decode()
    assert "任意团队" in renewals


# --- 9. which figures are from when -------------------------------------------------------


def test_the_dashboards_exposure_says_it_is_last_nights(client):
    from customers.figures.models import ExposureFigure

    mia = person(client, Employee.Role.ADMIN, "Mia")
    night = TODAY - dt.timedelta(days=1)
    ExposureFigure.objects.create(
        day=night,
        employee=mia,
        customers=3,
        annual_value=1000,
        value_share=0.25,
        value_at_risk=10,
        single_threaded=0,
        one_contact=0,
    )
    page = text_of(client.get(reverse("dashboard"), **ZH))
    assert f"依据昨晚的数据（{night.year}年{night.month}月{night.day}日）" in page
    assert "25.0%" in page


def test_the_exposure_report_says_it_is_live(client):
    person(client, Employee.Role.MANAGER, "Mia")
    page = text_of(client.get(reverse("handover:exposure"), **ZH))
    assert "实时：" in page and "昨晚的数据" in page
