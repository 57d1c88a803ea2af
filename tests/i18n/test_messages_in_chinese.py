"""What a Chinese reader is told when something is wrong: the bulk API's row messages
follow Accept-Language (field names and codes stay English), an import's problems are
found in English by the job and read on the page in the reader's language, the jobs page
words its states and set-aside reasons, and the customer page its trend and history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from customers.models import CsvImport, Customer
from customers.templatetags.risk import sparkline, trend
from retention.jobs.models import JobStep, SetAside
from retention.wording import Worded, coded
from staff.models import Employee
from tests.api.helpers import integration_client
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def bulk(kind: str, rows: list, headers: dict) -> dict:
    api = integration_client()[0]
    response = api.post(f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json", **headers)
    assert response.status_code == 400, response.json()
    return response.json()["error"]


BAD_CUSTOMERS = [
    {
        "external_id": "C-1",
        "name": "Acme",
        "customer_since": "2024-03-01",
        "segment": "bogus",
        "colour": "red",
    },
    {"external_id": "C-2", "customer_since": "2024-02-30", "primary_owner": "nobody@x.example"},
    {"external_id": "C-1", "name": "Again", "customer_since": "2024-03-01"},
]


def test_bulk_customer_row_messages_are_chinese_for_a_chinese_reader():
    error = bulk("customers", BAD_CUSTOMERS, ZH)
    assert error["code"] == "invalid_rows"
    assert [(r["index"], r["field"], r["message"]) for r in error["rows"]] == [
        (0, "colour", "未知字段；请参阅接口说明。"),
        (0, "segment", "'bogus' 不在可选值之中：core, important, general。"),
        (1, "name", "必填。"),
        (1, "customer_since", "'2024-02-30' 不是一个真实存在的日期。"),
        (1, "primary_owner", "没有电子邮件或外部编号为 'nobody@x.example' 的员工。"),
        (2, "external_id", "'C-1' 也出现在本次请求的第 0 行。"),
    ]
    assert not Customer.objects.exists()


def test_the_same_bulk_request_in_english_reads_english():
    error = bulk("customers", BAD_CUSTOMERS, EN)
    assert [r["message"] for r in error["rows"]] == [
        "Unknown field; see the schema.",
        "'bogus' is not one of core, important, general.",
        "Required.",
        "'2024-02-30' is not a real date.",
        "No employee with email or external id 'nobody@x.example'.",
        "'C-1' is also in row 0 of this request.",
    ]


def test_a_missing_owner_and_a_whole_row_rule_are_chinese_too():
    error = bulk(
        "customers",
        [
            {
                "external_id": "C-1",
                "name": "Acme",
                "customer_since": "2024-03-01",
                "primary_owner": "nobody@x.example",
            },
            {
                "external_id": "C-2",
                "name": "Bolt",
                "customer_since": "2024-03-01",
                "status": "churned",
                "churn_reason": "price",
            },
        ],
        ZH,
    )
    assert [(r["index"], r["field"], r["message"]) for r in error["rows"]] == [
        (0, "primary_owner", "没有电子邮件或外部编号为 'nobody@x.example' 的员工。"),
        (1, "churned_on", "已流失的客户需要填写流失日期。"),
    ]


def test_bulk_employee_row_messages_are_chinese_for_a_chinese_reader():
    error = bulk(
        "employees",
        [
            {
                "external_id": "E-1",
                "name": "Ann",
                "email": "ann@x.example",
                "start_date": "2024-01-01",
                "role": "admin",
            },
            {
                "external_id": "E-2",
                "name": "Ben",
                "email": "not an address",
                "start_date": "2024-01-01",
                "team": "NOWHERE",
            },
        ],
        ZH,
    )
    rows = {(r["index"], r["field"]): r["message"] for r in error["rows"]}
    assert rows[(0, "role")] == "管理员只能在管理后台指定，不能通过导入指定。"
    assert rows[(1, "email")].startswith("'not an address' 不是有效的电子邮件地址（")
    assert not Employee.objects.exists()


# --- the import page ---------------------------------------------------------------------


@pytest.fixture
def admin_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CSV_IMPORT_IN_THREAD = False  # the job runs in the request (eager)
    boss = EmployeeFactory(
        role="admin", user=UserFactory(username="ada", is_staff=True, is_superuser=True)
    )
    client.force_login(boss.user)
    return client


def check_in_english(client, data: bytes) -> CsvImport:
    """Upload and check a customers file with the job speaking English, as a worker does."""
    page = client.post(
        reverse("imports"),
        {"kind": "customers", "file": SimpleUploadedFile("customers.csv", data, "text/csv")},
        **EN,
    )
    assert page.status_code == 302
    job = CsvImport.objects.get()
    client.post(
        reverse("import_detail", args=[job.pk]),
        {
            "action": "check",
            "column_0": "external_id",
            "column_1": "name",
            "column_2": "customer_since",
        },
        **EN,
    )
    job.refresh_from_db()
    return job


def problem_cells(page: str) -> list[str]:
    import re

    body = page.split("<tbody>")[-1].split("</tbody>")[0]
    return [re.sub(r"<[^>]+>", "", cell).replace("&#x27;", "'") for cell in body.split("<td>")]


def test_the_import_page_shows_the_problems_in_the_readers_language(admin_client):
    data = (
        b"external_id,name,customer_since\r\n"
        b"C-1,Acme,2024-02-30\r\n"
        b"C-1,Bolt,2024-01-01\r\n"
        b",Cobalt,2024-01-01\r\n"
    )
    job = check_in_english(admin_client, data)
    assert (job.status, job.problem_count) == ("checked", 3)
    assert sorted((p["line"], p["message"]) for p in job.problems) == [
        (2, "'2024-02-30' is not a real date."),
        (3, "'C-1' is also on line 2."),
        (4, "Required."),
    ]
    chinese = admin_client.get(reverse("import_detail", args=[job.pk]), **ZH).content.decode()
    cells = problem_cells(chinese)
    for line, column, message in [
        ("2", "customer_since", "'2024-02-30' 不是一个真实存在的日期。"),
        ("3", "external_id", "'C-1' 也出现在第 2 行。"),
        ("4", "external_id", "必填。"),
    ]:
        at = cells.index(message)
        assert cells[at - 2 : at] == [line, column]
    english = admin_client.get(reverse("import_detail", args=[job.pk]), **EN).content.decode()
    assert "'C-1' is also on line 2." in english.replace("&#x27;", "'")


def test_an_encoding_refusal_found_by_the_check_reads_chinese(admin_client):
    data = "external_id,name,customer_since\r\nC-1,Acme,2024-01-01\r\nC-2,Müller,2024-01-01\r\n"
    job = check_in_english(admin_client, data.encode("cp1252"))
    assert job.problems[0]["line"] == 3
    assert job.problems[0]["message"].startswith("Line 3 is not UTF-8 text (byte 6 of the line")
    page = admin_client.get(reverse("import_detail", args=[job.pk]), **ZH).content.decode()
    assert "第 3 行不是 UTF-8 文本（该行第 6 个字节，0xFC）；请另存为 CSV UTF-8。" in (page)
    assert "not UTF-8 text" not in page


def test_an_import_error_stored_in_english_reads_chinese(admin_client):
    job = check_in_english(admin_client, b"external_id,name,customer_since\r\nC-1,A,2024-01-01\r\n")
    with translation.override("en"):
        error = Worded(
            "The check gave up: %(error)s Nothing was written; start it again.",
            error="Worker w1:42 stopped beating.",
        )
    CsvImport.objects.filter(pk=job.pk).update(
        status="failed", error=error, error_wording=coded(error)
    )
    page = admin_client.get(reverse("import_detail", args=[job.pk]), **ZH).content.decode()
    assert "检查已放弃：Worker w1:42 stopped beating. 没有写入任何内容；请重新开始。" in page
    assert "来自 customers.csv 的客户" in page  # the page's title: kind and file


# --- the jobs page and the customer page ---------------------------------------------------


def test_the_jobs_page_words_states_and_reasons_in_chinese(admin_client):
    day = dt.date(2026, 9, 6)
    done = JobStep.objects.create(day=day, name="roll_contracts", target="x", status="done")
    JobStep.objects.create(day=day, name="score_customers", target="x", status="failed")
    with translation.override("en"):
        reason = Worded(
            "Follow-on not created: another contract already has the external id "
            "%(external_id)s; rename one of them.",
            external_id="K-2",
        )
    SetAside.objects.create(
        step=done, model="contract", key="K-2", reason=reason, wording=coded(reason)
    )
    page = admin_client.get(reverse("jobs") + "?day=2026-09-06", **ZH).content.decode()
    assert ">已完成</span>" in page and ">失败</span>" in page
    assert "未创建续约合同：另一份合同已使用外部编号 K-2；请为其中一份改名。" in page
    assert "Follow-on not created" not in page and ">Done<" not in page


def test_the_trend_and_the_risk_history_read_chinese():
    points = [(dt.date(2026, 9, 6), 0.004), (dt.date(2026, 9, 20), 0.12)]
    with translation.override("zh-hans"):
        assert (trend(0.03), trend(-0.12), trend(0.001)) == (
            "↑ 3 个百分点",
            "↓ 12 个百分点",
            "→ 持平",
        )
        assert 'aria-label="9月6日 风险 &lt;1%，9月20日 风险 12%"' in sparkline(points)
    with translation.override("en"):
        assert trend(0.03) == "↑ 3 pts"
        assert 'aria-label="Risk &lt;1% on 6 Sep, 12% on 20 Sep"' in sparkline(points)


def test_the_warning_sign_of_a_feature_s_use_is_chinese():
    from customers.scoring.signals import SIGNALS

    label = next(s.label for s in SIGNALS if s.code == "usage_event_drop")
    with translation.override("zh-hans"):
        assert str(label) == "某个产品功能的使用量减半"
