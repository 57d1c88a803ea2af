"""Texts the product stores reach each reader in their language: what training recorded
about a model (its note, sample, backtest decision, skipped folds), the nightly run's
automatic close of an alert and why an owner changed are stored as codes with their
figures and worded when read, so a zh_Hans reader sees Chinese where an English sentence
used to be stored."""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from alerts.models import Alert
from customers.models import OwnershipPeriod, OwnershipReason, RiskModel
from customers.scoring import notes, signals
from handover import services
from staff.models import ApiToken, Employee
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 30)
FOLD_METHODS = {
    m: {"roc_auc": r, "pr_auc": 0.1, "lift_top_decile": 2.0, "brier_skill": 0.05}
    for m, r in [
        ("gradient_boosting", 0.9123),
        ("logistic_regression", 0.88),
        ("rules", 0.64),
        ("recency", 0.55),
    ]
}


def page_text(client, language: str) -> str:
    html = client.get(reverse("model"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def model(version: int, kind: str, **fields) -> RiskModel:
    return RiskModel.objects.create(
        version=version,
        kind=kind,
        as_of=DAY,
        horizon_days=90,
        window_start=dt.date(2024, 9, 30),
        window_end=dt.date(2026, 3, 30),
        signal_weights=dict(signals.RULES_WEIGHTS),
        **fields,
    )


@pytest.fixture
def manager(client):
    mia = EmployeeFactory(name="Mia", role=Employee.Role.MANAGER, user=UserFactory(username="mia"))
    client.force_login(mia.user)
    return mia


def test_a_trained_models_notes_and_backtest_are_worded_in_the_readers_language(client, manager):
    skipped = {"validate_from": "2025-09-01", "validate_to": "2025-10-01", "skipped": "x"}
    ran = {
        "train_from": "2025-07-01",
        "train_to": "2025-09-01",
        "validate_from": "2025-12-01",
        "validate_to": "2026-01-01",
        "validation_rows": 400,
        "churned": 20,
        "methods": FOLD_METHODS,
    }
    model(
        2,
        RiskModel.Kind.GRADIENT_BOOSTING,
        churn_label="contract",
        sample_every=17,
        note_code=notes.LEFT_OUT,
        note_params={"features": ["active_contacts", "latest_satisfaction"]},
        metrics={"roc_auc": 0.9123, "chosen_by": "backtest ROC AUC (mean of 4 folds)"},
        backtest={
            "folds": [skipped, ran, ran, ran, ran],
            "summary": FOLD_METHODS,
            "chosen": "gradient_boosting",
            "beats_rules": True,
            "folds_run": 4,
            "horizon_days": 90,
            "decision": "stored English, not shown",
        },
    )
    chinese = page_text(client, "zh-hans")
    # 100 / 17 = 5.9, about 6%; ROC AUC 0.9123 and 0.64 to three places.
    assert "每 17 个客户取 1 个（约占 6%）" in chinese
    # Each feature left out by its label, never its code.
    assert "未使用（每一行都为空或取值不变）：活跃联系人、最近满意度。" in chinese
    assert "active_contacts" not in chinese
    assert "未续约的合同" in chinese
    assert "模型按回测 ROC AUC 选出（4 折前向滚动回测的平均值）" in chinese
    assert (
        "已启用：梯度提升 在 4 折回测中对未来 90 天流失客户的排序 ROC AUC 为 0.912，"
        "规则评分为 0.640。"
    ) in chinese
    assert "已跳过：其训练或验证数据中流失客户太少" in chinese
    for english in ("Every 17th", "Left out", "Active:", "too few churners", "stored English"):
        assert english not in chinese
    english = page_text(client, "en")
    assert "One customer in 17 (about 6% of them)" in english
    assert "Left out (empty or constant in every row): Active contacts, Latest satisfaction." in (
        english
    )
    assert "churn counted: contracts not renewed" in english
    assert (
        "Active: gradient boosting ranked the next 90 days' churners at ROC AUC 0.912 over 4 "
        "backtest folds, against 0.640 for the rules score."
    ) in english


def test_why_a_model_is_rules_based_is_worded_in_the_readers_language(client, manager):
    model(
        1,
        RiskModel.Kind.RULES,
        churners=7,
        note=f"{RiskModel.RULES_NOTE} stored English, not shown",
        note_code=notes.FEW_CHURNERS,
        note_params={
            "count": 7,
            "label": "explicit",
            "start": "2025-10-31",
            "end": "2026-03-31",
            "needed": 30,
            "more": 23,
            "per_month": 0.6,
            "about": "2029-06-30",
        },
    )
    chinese = page_text(client, "zh-hans")
    assert (
        "有标签的历史（2025年10月31日 至 2026年3月31日）中有 7 个客户流失；至少需要 30 个，"
        "还差 23 个。 按过去 12 个月的速度（每月 0.6 个），大约在 2029年6月30日。"
    ) in chinese
    assert "stored English" not in chinese and "churned in the labelled history" not in chinese
    english = page_text(client, "en")
    assert (
        "7 customers churned in the labelled history (31 Oct 2025 to 31 Mar 2026); at least 30 "
        "are needed, 23 more. At the pace of the last 12 months (0.6 a month) that is about "
        "30 Jun 2029."
    ) in english


def test_a_trained_model_left_inactive_says_why_in_the_readers_language(client, manager):
    decision = {
        "activated": False,
        "method": "logistic_regression",
        "days": 90,
        "roc_auc": 0.61,
        "rules_roc_auc": 0.64,
        "folds": 4,
    }
    model(
        3,
        RiskModel.Kind.RULES,
        note_code=notes.NOT_ACTIVATED,
        note_params={"version": 2, "decision": decision},
    )
    chinese = page_text(client, "zh-hans")
    assert (
        "训练的模型 v2：未启用：在相同的 4 折回测中，其 ROC AUC 0.610 未超过规则评分的 0.640，"
        "因此评分保持不变。"
    ) in chinese
    english = page_text(client, "en")
    assert (
        "Trained model v2: Not activated: its backtest ROC AUC 0.610 does not beat the rules "
        "score's 0.640 on the same 4 folds, so the scores stay as they were."
    ) in english


def test_the_english_note_stored_beside_the_code_is_the_english_wording():
    params = {"ran": 1, "folds": 4}
    assert notes.english(notes.FEW_FOLDS, params) == (
        "Only 1 of the 4 backtest folds had churned customers both to learn from and to check "
        "on; the score stays rules-based until more history comes in."
    )


def test_an_automatic_close_is_worded_in_the_callers_language_and_a_persons_note_as_written():
    acme = CustomerFactory(name="Acme")
    common = {"customer": acme, "text": "", "opened_on": DAY, "figures_on": DAY}
    cleared = Alert.objects.create(
        signal="complaint", status="cleared", closed_on=dt.date(2026, 7, 1), **common
    )
    resolved = Alert.objects.create(
        signal="discount_request",
        status="resolved",
        closed_on=dt.date(2026, 7, 2),
        note="Called them, offered a two-year term",
        **common,
    )
    _token, key = ApiToken.issue(name="billing")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def note(alert, language):
        url = f"/api/v1/alerts/{alert.pk}/"
        return api.get(url, HTTP_ACCEPT_LANGUAGE=language).json()["note"]

    assert note(cleared, "zh-hans") == "已于 2026年7月1日 自动关闭：该预警信号已不再成立。"
    assert note(cleared, "en") == (
        "Closed automatically on 1 Jul 2026: the warning sign no longer applies."
    )
    assert note(resolved, "zh-hans") == "Called them, offered a two-year term"


def test_an_owner_changed_by_a_handover_says_why_in_the_readers_language(
    client, django_capture_on_commit_callbacks
):
    team = build_team()
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
        )
    services.accept_successors(plan=plan, by=team.mona)  # C1 -> Ada
    services.change_ownership(task=plan.tasks.get(customer=team.c1), by=team.mona)
    period = OwnershipPeriod.objects.get(customer=team.c1, employee=team.ada)
    # Stored as a code and its figures, not as a sentence.
    assert (period.reason, period.reason_params) == (
        "handover_leaves",
        {"name": "Leo", "day": LAST_DAY.isoformat()},
    )
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(team.mona.user)
    url = reverse("customer", args=[team.c1.pk])
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    day = LAST_DAY
    assert f"交接：Leo 将于 {day.year}年{day.month}月{day.day}日 离职" in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Handover: Leo leaves on {day.day} {day:%b} {day.year}" in english


def test_owner_changes_by_import_admin_and_demo_data_say_why_in_the_readers_language():
    words = {
        OwnershipReason.IMPORT: ("Set by import", "由导入设置"),
        OwnershipReason.ADMIN: ("Changed in the admin", "在管理后台中修改"),
        OwnershipReason.OWNER_LEFT: ("Previous owner left the company", "前任负责人已离开公司"),
        "Rebalanced books": ("Rebalanced books", "Rebalanced books"),  # typed: as written
    }
    for code, (english, chinese) in words.items():
        with translation.override("en"):
            assert OwnershipReason.text(code, None) == english
        with translation.override("zh-hans"):
            assert OwnershipReason.text(code, None) == chinese
    with translation.override("zh-hans"):
        left = OwnershipReason.text("handover_left", {"name": "Leo", "day": "2026-07-31"})
    assert left == "交接：Leo 已于 2026年7月31日 离职"
