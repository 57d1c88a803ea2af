"""The churn model page: managers and admins see the model the scores come from, its
validation and what it looks at; admins start scoring or training now and follow it
with a progress bar."""

import datetime as dt
import re
import uuid
from html import unescape

import pytest
from celery.backends.cache import CacheBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import RiskModel, ScoringRun
from customers.scoring import signals
from customers.tasks import score_customers, train_risk_model
from retention.celery import app as celery_app
from staff.models import Employee
from tests.factories import ContractFactory, CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 30)
QUERIES_PER_PAGE = 11  # session, user, navigation counts, runs, models, backtest: none per row


def login(client, role: str, name: str):
    employee = EmployeeFactory(name=name, role=role, user=UserFactory(username=name.lower()))
    client.force_login(employee.user)
    return employee


def trained_model(version: int = 2, **fields) -> RiskModel:
    return RiskModel.objects.create(
        **{
            "version": version,
            "kind": RiskModel.Kind.GRADIENT_BOOSTING,
            "as_of": DAY,
            "horizon_days": 90,
            "window_start": dt.date(2024, 9, 30),
            "window_end": dt.date(2026, 3, 30),
            "train_rows": 20_400,
            "validation_rows": 3_600,
            "churners": 412,
            "base_rate": 0.0561,
            "metrics": {
                "roc_auc": 0.9123,
                "pr_auc": 0.4567,
                "lift_top_decile": 6.25,
                "brier": 0.03112,
                "base_rate": 0.0561,
                "candidates": {
                    "logistic_regression": {"roc_auc": 0.8801, "pr_auc": 0.3302},
                    "gradient_boosting": {"roc_auc": 0.9055, "pr_auc": 0.4411},
                },
                "chosen_by": "validation ROC AUC",
            },
            # Stored out of order, twelve of them: the page shows the ten largest, largest first.
            "feature_importance": {
                "usage_ratio": 0.01,
                "days_to_contract_end": 0.08,
                "complaints_30d": 0.02,
                "tenure_days": 0.005,
                "engagement_ratio": 0.04,
                "latest_satisfaction": 0.06,
                "annual_value": 0.003,
                "auto_renew": 0.001,
                "active_contacts": 0.03,
                "owner_departing": 0.007,
                "single_threaded": 0.002,
                "satisfaction_change": -0.001,
            },
            "signal_weights": {"complaint": 2.5, "usage_drop": 4.0, "owner_departing": 1.25},
            **fields,
        }
    )


def rules_model(version: int = 1, **fields) -> RiskModel:
    return RiskModel.objects.create(
        **{
            "version": version,
            "kind": RiskModel.Kind.RULES,
            "as_of": DAY,
            "horizon_days": 90,
            "window_start": dt.date(2025, 10, 31),
            "window_end": dt.date(2026, 3, 31),
            "train_rows": 1_200,
            "churners": 7,
            "base_rate": 0.006,
            "signal_weights": dict(signals.RULES_WEIGHTS),
            **fields,
        }
    )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- who may open it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Employee.Role.ACCOUNT_MANAGER, Employee.Role.HR])
def test_it_is_closed_to_account_managers_and_hr(client, role):
    login(client, role, "Someone")
    assert client.get(reverse("model")).status_code == 403


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("model"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_manager_sees_the_page_without_the_run_buttons(client):
    trained_model()
    login(client, Employee.Role.MANAGER, "Mia")
    page = client.get(reverse("model")).content.decode()
    assert "v2 · Gradient boosting" in page
    assert "Score all customers now" not in page and "Train a new model now" not in page


# --- what it shows -----------------------------------------------------------------------


def test_the_current_model_is_the_one_the_latest_complete_run_used(client):
    used = trained_model(version=2, is_active=False)
    trained_model(version=3, metrics={"roc_auc": 0.95})
    ScoringRun.objects.create(day=DAY, model=used, status="complete", customers_scored=3)
    login(client, Employee.Role.MANAGER, "Mia")
    page = text_of(client.get(reverse("model")).content.decode())
    assert "v2 · Gradient boosting" in page
    assert "Used by the latest complete scoring run, 30 Jun 2026." in page
    assert "v3 (Gradient boosting" in page and "the next scoring run uses it" in page
    # v3 is listed among the other models with its ROC AUC.
    assert re.search(r"v3 active Gradient boosting .* 0\.950", page)


def test_without_a_complete_run_the_newest_active_model_is_current(client):
    trained_model(version=2, is_active=False)
    rules_model(version=4)
    login(client, Employee.Role.MANAGER, "Mia")
    page = text_of(client.get(reverse("model")).content.decode())
    assert "v4 · Rules-based" in page
    assert "No complete scoring run yet; the newest active model." in page


def test_the_facts_and_validation_metrics_of_the_model_are_shown(client):
    trained_model()
    login(client, Employee.Role.ADMIN, "Ada")
    page = text_of(client.get(reverse("model")).content.decode())
    assert "For the day (as of) 30 Jun 2026" in page
    # 2024-09-30 to 2026-03-30: 19 monthly observation dates.
    assert "30 Sep 2024 to 30 Mar 2026 19 monthly observation dates" in page
    assert "20,400 training, 3,600 validation" in page
    assert "412 customers" in page and "Base rate 5.6%" in page
    # The chosen (calibrated) model first, then the candidates; the winner is marked.
    assert (
        "Metric Gradient boosting, calibrated Gradient boosting (candidate) chosen "
        "Logistic regression (candidate)"
    ) in page
    assert re.search(r"ROC AUC .*? 0\.912 0\.905 0\.880", page)
    assert re.search(r"PR AUC .*? 0\.457 0\.441 0\.330", page)
    assert re.search(r"Lift in the riskiest 10% .*? 6\.25×", page)
    assert re.search(r"Brier score .*? 0\.0311", page)
    assert "the model was chosen by validation ROC AUC" in page


def test_the_ten_most_important_features_are_shown_largest_first_scaled_to_the_largest(client):
    trained_model()
    login(client, Employee.Role.MANAGER, "Mia")
    html = client.get(reverse("model")).content.decode()
    block = html.split('id="feature-importance"')[1].split("</ol>")[0]
    names = re.findall(r'title="([a-z_0-9]+)"', block)
    assert names == [
        "days_to_contract_end",
        "latest_satisfaction",
        "engagement_ratio",
        "active_contacts",
        "complaints_30d",
        "usage_ratio",
        "owner_departing",
        "tenure_days",
        "annual_value",
        "single_threaded",
    ]
    # Widths relative to 0.08: 0.06 -> 75%, 0.01 -> 12.5%, 0.002 -> 2.5%.
    widths = re.findall(r'style="width: ([\d.]+)%"', block)
    assert widths[:2] == ["100.0", "75.0"] and widths[5] == "12.5" and widths[-1] == "2.5"
    assert "Complaints (30 days)" in block


def test_signal_weights_are_shown_as_lift_largest_first(client):
    trained_model()
    login(client, Employee.Role.MANAGER, "Mia")
    html = client.get(reverse("model")).content.decode()
    block = text_of(html.split('id="signal-weights">')[1].split("</table>")[0])
    labels = signals.SIGNAL_BY_CODE
    assert (
        block.split()
        == (
            f"{labels['usage_drop'].label} 4.00× {labels['complaint'].label} 2.50× "
            f"{labels['owner_departing'].label} 1.25×"
        ).split()
    )


def test_a_rules_model_says_so_and_why(client, settings):
    settings.MIN_CHURNERS_TO_TRAIN = 30
    rules_model()
    login(client, Employee.Role.MANAGER, "Mia")
    page = text_of(client.get(reverse("model")).content.decode())
    assert RiskModel.RULES_NOTE in page
    assert (
        "Only 7 customers churned within 90 days of an observation date between 31 Oct 2025 "
        "and 31 Mar 2026; training needs at least 30."
    ) in page
    assert "Chance each warning sign adds" in page
    assert "No validation metrics recorded for this model." in page


def test_a_rules_model_shows_what_training_recorded_as_missing(client):
    reason = (
        "The history starts on 2026-01-03: it holds 12 observation dates (weekly) and 0 of the "
        "4 backtest folds needed. Training becomes possible on 2026-08-21."
    )
    rules_model(churners=45, note=f"{RiskModel.RULES_NOTE} {reason}")
    login(client, Employee.Role.MANAGER, "Mia")
    page = text_of(client.get(reverse("model")).content.decode())
    assert reason in page


def test_a_model_not_activated_by_its_backtest_says_why(client):
    rules_model(version=1, is_active=True)
    decision = (
        "Not activated: its backtest ROC AUC 0.610 does not beat the rules score's 0.640 on "
        "the same 4 folds, so the scores stay as they were."
    )
    fold = {
        "train_from": "2025-07-01",
        "train_to": "2025-09-01",
        "validate_from": "2025-12-01",
        "validate_to": "2026-01-01",
        "train_rows": 900,
        "validation_rows": 400,
        "churned": 20,
        "base_rate": 0.05,
        "methods": {
            m: {"roc_auc": r, "pr_auc": 0.1, "lift_top_decile": 2.0, "brier_skill": 0.05}
            for m, r in [
                ("gradient_boosting", 0.61),
                ("logistic_regression", 0.6),
                ("rules", 0.64),
                ("recency", 0.55),
            ]
        },
    }
    trained_model(
        version=2,
        is_active=False,
        backtest={
            "folds": [fold] * 4,
            "summary": fold["methods"],
            "chosen": "gradient_boosting",
            "beats_rules": False,
            "decision": decision,
            "step": "weekly",
            "calibration": {
                "gradient_boosting": [{"predicted": 0.05, "observed": 0.04, "rows": 40}]
            },
        },
    )
    login(client, Employee.Role.MANAGER, "Mia")
    html = client.get(reverse("model")).content.decode()
    page = unescape(text_of(html))
    assert decision in page
    assert "Backtest of v2 · Gradient boosting" in page
    # Per fold, each method: ROC AUC / PR AUC / lift / Brier skill.
    assert page.count("0.610 / 0.100 / 2.00× / +0.050") == 4 + 0  # one per fold
    assert '"label": "Gradient boosting", "points": [{"x": 5.0, "y": 4.0}]' in html


def test_a_chosen_blend_says_why_and_shows_its_weights(client):
    decision = (
        "Active: the blend of logistic regression and gradient boosting ranked the next 90 "
        "days' churners at ROC AUC 0.985 over 4 backtest folds, the best of the learners "
        "(gradient boosting 0.979, logistic regression 0.983), against 0.833 for the rules "
        "score."
    )
    methods = {
        m: {"roc_auc": r, "pr_auc": 0.5, "lift_top_decile": 9.0, "brier_skill": 0.5}
        for m, r in [
            ("blend", 0.985),
            ("gradient_boosting", 0.979),
            ("logistic_regression", 0.983),
            ("rules", 0.833),
            ("recency", 0.6),
        ]
    }
    trained_model(
        kind=RiskModel.Kind.BLEND,
        is_active=True,
        backtest={
            "folds": [],
            "summary": methods,
            "chosen": "blend",
            "beats_rules": True,
            "decision": decision,
            "blend_weights": {
                "logistic_regression": 0.6412,
                "gradient_boosting": 0.4021,
                "intercept": -0.2,
            },
        },
    )
    login(client, Employee.Role.MANAGER, "Mia")
    page = unescape(text_of(client.get(reverse("model")).content.decode()))
    # The page words the decision from the figures, naming the chosen learner.
    assert "Active: blend of logistic regression and gradient boosting ranked" in page
    assert "Backtest of v2 · Blend of logistic regression and gradient boosting" in page
    assert (
        "The blend's log-odds: 0.64 × logistic regression, 0.40 × gradient boosting, plus "
        "-0.20; weights fitted on the backtest folds' out-of-time predictions."
    ) in page


def test_the_last_ten_runs_are_listed_newest_first_with_their_figures(
    client, django_assert_max_num_queries
):
    model = trained_model()
    for offset in range(12):
        ScoringRun.objects.create(
            day=DAY - dt.timedelta(days=offset),
            model=model,
            status="complete",
            customers_scored=100 + offset,
            tier_sizes={"Very high": 5, "High": 15, "Medium": 25, "Low": 35, "Very low": 20},
            revenue_at_risk=12345.67,
            started_at=timezone.now() - dt.timedelta(seconds=90),
            finished_at=timezone.now(),
        )
    login(client, Employee.Role.MANAGER, "Mia")
    with django_assert_max_num_queries(QUERIES_PER_PAGE):  # not one per run or model
        html = client.get(reverse("model")).content.decode()
    runs = html.split('id="runs"')[1].split("</table>")[0]
    days = re.findall(r"<td class=\"text-nowrap\">(\d+ \w{3} \d{4})</td>", runs)
    assert days == [
        f"{(DAY - dt.timedelta(days=offset)):%-d %b %Y}" for offset in range(10)
    ]  # 30 Jun 2026, 29 Jun 2026, ...
    row = text_of(runs.split("<tr>")[2])
    assert row.strip() == (
        "30 Jun 2026 Complete v2 100 Very high 5 High 15 Medium 25 Low 35 Very low 20 "
        "EUR 12,346 1 min 30 s"
    )
    # In Chinese the stored sizes (keyed by the English label) still find their tiers.
    chinese = client.get(reverse("model"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    row = text_of(chinese.split('id="runs"')[1].split("</table>")[0].split("<tr>")[2])
    assert "高 15" in row and "2026年6月30日" in row and "1 分 30 秒" in row


# --- running now -------------------------------------------------------------------------


def company(count: int) -> None:
    owner = EmployeeFactory()
    for i in range(count):
        customer = CustomerFactory(primary_owner=owner, customer_since=dt.date(2025, 1, 1))
        ContractFactory(
            customer=customer,
            start_date=dt.date(2025, 1, 1),
            end_date=timezone.localdate() + dt.timedelta(days=30 + 60 * i),
            annual_value=1000 * (i + 1),
        )


def test_an_admin_scores_now_and_the_progress_shows_the_finished_run(client):
    rules_model()
    company(3)
    login(client, Employee.Role.ADMIN, "Ada")

    response = client.post(reverse("model_run"), {"job": "score"})

    today = timezone.localdate()
    run = ScoringRun.objects.get(day=today)
    assert (run.status, run.customers_scored) == ("complete", 3)
    assert response.status_code == 302
    task_id = re.search(r"task=([0-9a-f-]+)", response.url).group(1)
    progress = client.get(
        reverse("model_job_progress", args=[task_id]), {"job": "score", "day": today.isoformat()}
    ).content.decode()
    assert "hx-trigger" not in progress  # finished: the partial stops polling
    assert f"3 customers scored for {today:%-d %b %Y}" in progress
    # 5/15/25/35/20 % of 3, rounded cumulatively (0, 0.6, 1.35, 2.4, 3): 0, 1, 0, 1, 1.
    assert text_of(progress).count("Very high 0 High 1 Medium 0 Low 1 Very low 1") == 1
    # The page it redirected to shows the same result in place.
    page = client.get(response.url).content.decode()
    assert f"3 customers scored for {today:%-d %b %Y}" in page


def test_a_second_scoring_run_for_a_day_that_is_running_is_not_started(client):
    model = rules_model()
    ScoringRun.objects.create(
        day=timezone.localdate(), model=model, status="running", chunks_total=4, chunks_done=1
    )
    company(1)
    login(client, Employee.Role.ADMIN, "Ada")

    response = client.post(reverse("model_run"), {"job": "score"}, follow=True)

    run = ScoringRun.objects.get(day=timezone.localdate())
    assert (run.status, run.chunks_done, run.customers_scored) == ("running", 1, 0)
    page = text_of(response.content.decode())
    assert "is already running" in page and "1 of 4 chunks done" in page
    assert response.redirect_chain == [(reverse("model"), 302)]


def test_an_admin_trains_now_and_the_progress_shows_the_new_model(client):
    trained_model(version=2)
    login(client, Employee.Role.ADMIN, "Ada")

    response = client.post(reverse("model_run"), {"job": "train"})

    # No history at all: the task stores the rules-based fallback as v3.
    new = RiskModel.objects.get(version=3)
    assert new.is_rules_based and new.is_active
    page = text_of(client.get(response.url).content.decode())
    assert "New model v3: Rules-based." in page


@pytest.mark.parametrize(
    ("role", "job"),
    [
        (Employee.Role.MANAGER, "score"),
        (Employee.Role.MANAGER, "train"),
        (Employee.Role.ACCOUNT_MANAGER, "score"),
        (Employee.Role.HR, "train"),
    ],
)
def test_only_admins_may_start_a_job(client, role, job):
    rules_model()
    company(1)
    login(client, role, "Someone")
    assert client.post(reverse("model_run"), {"job": job}).status_code == 403
    assert not ScoringRun.objects.exists() and RiskModel.objects.count() == 1


def test_only_admins_may_follow_a_job(client):
    login(client, Employee.Role.MANAGER, "Mia")
    url = reverse("model_job_progress", args=[str(uuid.uuid4())])
    assert client.get(url, {"job": "train", "after": 0}).status_code == 403


def test_starting_a_job_needs_a_post_with_the_csrf_token():
    rules_model()
    company(1)
    admin = login(Client(), Employee.Role.ADMIN, "Ada").user
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    # A GET (a sign-in after the session ended) goes back to the page, starting nothing.
    response = browser.get(reverse("model_run"), {"job": "score"})
    assert response.status_code == 302 and response.url == reverse("model")
    assert browser.post(reverse("model_run"), {"job": "score"}).status_code == 403
    assert not ScoringRun.objects.exists()


# --- following a task on workers (state from the result backend) ---------------------------


@pytest.fixture
def result_backend(monkeypatch):
    """Tasks go to workers and their states are read from a real (in-memory) Celery result
    backend, which the test fills in as a worker would."""
    backend = CacheBackend(app=celery_app, backend="memory")
    monkeypatch.setattr(train_risk_model, "_backend", backend)
    monkeypatch.setattr(score_customers, "_backend", backend)
    celery_app.conf.task_always_eager = False  # restored by conftest's autouse fixture
    return backend


def follow_training(client, task_id: str, after: int = 2) -> str:
    return client.get(
        reverse("model_job_progress", args=[task_id]), {"job": "train", "after": after}
    ).content.decode()


def test_training_on_a_worker_polls_until_the_task_reports_success(client, result_backend):
    login(client, Employee.Role.ADMIN, "Ada")
    task_id = str(uuid.uuid4())

    waiting = follow_training(client, task_id)
    assert "Waiting for a worker" in waiting and 'hx-trigger="every 2s"' in waiting

    result_backend.store_result(task_id, None, "STARTED")
    started = follow_training(client, task_id)
    assert "Training: building" in started and 'hx-trigger="every 2s"' in started
    assert "progress-bar-animated" in started

    trained_model(version=3, metrics={"roc_auc": 0.9345})
    result_backend.store_result(task_id, {"version": 3}, "SUCCESS")
    done = client.get(
        reverse("model_job_progress", args=[task_id]),
        {"job": "train", "after": 2, "was": "working"},
    )
    assert "hx-trigger" not in done.content.decode()
    assert "New model v3: Gradient boosting, backtest ROC AUC 0.935" in text_of(
        done.content.decode()
    )
    assert done["HX-Refresh"] == "true"  # the page reloads to show the new model


def test_a_failed_training_shows_the_error(client, result_backend):
    login(client, Employee.Role.ADMIN, "Ada")
    task_id = str(uuid.uuid4())
    result_backend.mark_as_failure(task_id, ValueError("Input contains NaN"))
    page = follow_training(client, task_id)
    assert "ValueError: Input contains NaN" in page and "hx-trigger" not in page


def test_scoring_on_workers_follows_the_run_of_the_day_once_the_task_has_started_it(
    client, result_backend
):
    model = rules_model()
    day = timezone.localdate()
    # Yesterday's button press left a complete run for the day: not this job's result.
    run = ScoringRun.objects.create(day=day, model=model, status="complete", customers_scored=9)
    login(client, Employee.Role.ADMIN, "Ada")
    task_id = str(uuid.uuid4())

    def follow() -> str:
        url = reverse("model_job_progress", args=[task_id])
        return text_of(client.get(url, {"job": "score", "day": day.isoformat()}).content.decode())

    assert "Waiting for a worker to take the job" in follow()
    result_backend.store_result(task_id, None, "STARTED")
    assert "Starting: choosing the model" in follow()

    # The task has reset the day's run and fanned out 4 chunks; 1 is done.
    ScoringRun.objects.filter(pk=run.pk).update(
        status="running", chunks_total=4, chunks_done=1, customers_scored=0
    )
    result_backend.store_result(task_id, {"queued": True}, "SUCCESS")
    assert f"Scoring {day:%-d %b %Y}: 1 of 4 chunks done (25%)" in follow()

    ScoringRun.objects.filter(pk=run.pk).update(
        status="complete", chunks_done=4, customers_scored=12, tier_sizes={"High": 12}
    )
    done = follow()
    assert f"12 customers scored for {day:%-d %b %Y}" in done and "High 12" in done


def test_a_simpler_learner_kept_within_one_standard_error_says_so(client):
    methods = {
        m: {"roc_auc": r, "pr_auc": 0.5, "lift_top_decile": 9.0, "brier_skill": 0.5}
        for m, r in [
            ("blend", 0.9769),
            ("gradient_boosting", 0.9726),
            ("logistic_regression", 0.9764),
            ("rules", 0.8127),
            ("recency", 0.47),
        ]
    }
    trained_model(
        kind=RiskModel.Kind.LOGISTIC_REGRESSION,
        is_active=True,
        backtest={
            "folds": [],
            "folds_run": 4,
            "horizon_days": 90,
            "summary": methods,
            "roc_auc_se": {"blend": 0.0023, "gradient_boosting": 0.0041},
            "top": "blend",
            "chosen": "logistic_regression",
            "beats_rules": True,
            "decision": "stored English",
        },
    )
    login(client, Employee.Role.MANAGER, "Mia")
    page = unescape(text_of(client.get(reverse("model")).content.decode()))
    assert (
        "Active: logistic regression ranked the next 90 days' churners at ROC AUC 0.976 over "
        "4 backtest folds, against 0.813 for the rules score. Blend of logistic regression "
        "and gradient boosting ranked them at 0.977, within one standard error (0.0023) of "
        "it: the simpler learner is kept."
    ) in page
