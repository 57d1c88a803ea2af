"""The jobs page in the reader's language: steps by what they do, each figure of a result
by its label, a failed or skipped step by a message worded for the reader, and the raw
text the worker or database gave beneath it for admins."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.jobs import steps
from retention.jobs.labels import RECORD_LABELS, RESULT_LABELS, STEP_LABELS
from retention.jobs.models import JobStep
from retention.nightly import start_night
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 30)
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def night(day=DAY):
    with steps.in_this_process():
        start_night(day)
        steps.run_here(day)
    return {s.name: s for s in JobStep.objects.filter(day=day)}


def test_a_failed_night_reads_in_chinese_with_the_raw_error_beneath(monkeypatch, admin_client):
    from customers.scoring import runs

    CustomerFactory()
    monkeypatch.setattr(
        runs, "score_chunk", lambda **kw: (_ for _ in ()).throw(ValueError("model file missing"))
    )
    done = night()
    assert done["score_chunk"].error == "ValueError: model file missing"
    assert done["finish_scoring"].error_wording["code"].startswith("%(missing)s of %(total)s")
    assert done["roll_contracts"].result == {"expired": 0, "renewed": 0}

    page = admin_client.get(f"/jobs/?day={DAY}", **ZH).content.decode()
    assert "合同到期与续约" in page and "到期合同: 0, 已续约: 0" in page
    assert "该步骤因意外错误而停止（见详情）。" in page
    assert "<code>ValueError: model file missing</code>" in page  # the detail, for admins
    assert "1 个分块中有 1 个未完成评分，因此当天的评分未被保留：请重新运行失败的分块。" in page
    assert "未运行：划分等级并保存当天评分 当天未完成。" in page
    for english in ("expired:", "renewed:", "Not run:", "stopped on an unexpected error"):
        assert english not in page

    page = admin_client.get(f"/jobs/?day={DAY}", **EN).content.decode()
    assert "Expire and renew contracts" in page and "contracts expired: 0, renewed: 0" in page
    assert "The step stopped on an unexpected error (see the detail)." in page
    assert "Not run: Size tiers and keep the day&#x27;s scores did not complete that day." in page


def test_a_lost_worker_is_told_in_the_reader_s_language(admin_client, settings):
    settings.JOBS_MAX_ATTEMPTS = 1
    JobStep.objects.create(
        day=DAY,
        name="roll_contracts",
        target="customers.tasks.roll_contracts",
        status="running",
        owner="gone-host:1:1",
        attempts=1,
        heartbeat_at=dt.datetime(2026, 6, 30, 1, 2, 3, tzinfo=dt.UTC),
    )
    steps.watchdog()
    step = JobStep.objects.get(day=DAY)
    assert step.status == "failed"
    page = admin_client.get(f"/jobs/?day={DAY}", **ZH).content.decode()
    assert "工作进程 gone-host:1:1 停止了心跳（最后一次 01:02:03）；尝试 1 次后放弃。" in page
    assert "stopped beating" not in page


def test_every_step_figure_and_record_a_night_writes_has_a_label():
    from tests.customers.scoring_world import AS_OF, build_world

    build_world()
    done = night(AS_OF)
    names = {s.name for s in done.values()}
    keys = {key for s in JobStep.objects.filter(day=AS_OF) for key in s.result}
    assert names - set(STEP_LABELS) == set()
    assert keys - set(RESULT_LABELS) == set()
    # Steps a request starts: a departure's tasks, a file's check and import.
    assert {"raise_handover_tasks", "csv_check", "csv_import"} <= set(STEP_LABELS)
    assert {"plan", "tasks_raised", "rows", "problems", "created", "cancelled"} <= set(
        RESULT_LABELS
    )
    assert {"contract", "customer", "handover plan", "alert digest", "access warning"} <= set(
        RECORD_LABELS
    )
