"""The API's words follow Accept-Language: a body that is not JSON, too deeply nested or too
large is refused in the reader's language (never the parser's English), and the schema's
descriptions and help texts are Chinese for a Chinese reader (or with ?lang=zh-hans),
while field names, codes and paths stay English."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import integration_client

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def post(body: str, headers: dict) -> dict:
    api, _ = integration_client()
    response = api.post("/api/v1/customers/bulk/", body, content_type="application/json", **headers)
    assert response.status_code == 400
    return response.json()["error"]


def test_a_body_that_is_not_json_is_named_by_line_and_column():
    body = '{"rows": [\n  {"name": "Acme",}\n]}'
    assert post(body, EN) == {
        "status": 400,
        "code": "parse_error",
        "message": "The body is not valid JSON (line 2, column 19).",
    }
    assert post(body, ZH)["message"] == "请求体不是有效的 JSON（第 2 行，第 19 列）。"


def test_json_nested_too_deeply_is_refused_in_chinese():
    error = post("[" * 5000 + "]" * 5000, ZH)
    assert (error["code"], error["message"]) == ("parse_error", "JSON 嵌套过深，无法读取。")


def test_a_body_too_large_says_the_limit_in_chinese(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    error = post(json.dumps({"rows": [{"name": "x" * 2000}]}), ZH)
    assert error["message"] == "请求体超过了单个请求允许的 1,000 字节；请每次请求发送更少的行。"


def test_the_schema_reads_chinese_for_a_chinese_reader_and_keeps_names_english():
    api, _ = integration_client()
    schema = api.get("/api/v1/schema/?format=json", **ZH).json()
    assert schema["info"]["description"].startswith("客户、合同、互动、风险评分、预警和交接。")
    bulk = schema["paths"]["/api/v1/customers/bulk/"]["post"]["responses"]
    assert bulk["400"]["description"] == "存在错误的行；未写入任何内容。"
    listed = schema["paths"]["/api/v1/customers/"]["get"]["responses"]
    assert listed["403"]["description"] == "你的角色不允许此操作。"
    employee = schema["components"]["schemas"]["Employee"]["properties"]
    assert (
        employee["departure_date"]["description"] == "最后工作日，在离职可见时显示（见 status）。"
    )
    assert "status" in employee and "departure_date" in employee  # names stay English

    english = api.get("/api/v1/schema/?format=json", **EN).json()
    assert english["paths"]["/api/v1/customers/"]["get"]["responses"]["403"]["description"] == (
        "Your role does not allow this."
    )
    # ?lang= asks for a language whatever the header says (drf-spectacular).
    asked = api.get("/api/v1/schema/?format=json&lang=zh-hans", **EN).json()
    assert asked["components"]["schemas"]["Employee"]["properties"]["departure_date"][
        "description"
    ] == ("最后工作日，在离职可见时显示（见 status）。")


def test_a_role_refusal_is_in_the_readers_language():
    from tests.api.helpers import user_client
    from tests.factories import EmployeeFactory, UserFactory

    ann = EmployeeFactory(name="Ann", user=UserFactory(username="ann"))
    api, _ = user_client(ann.user)
    for headers, message in (
        (EN, "Your role does not allow this."),
        (ZH, "你的角色不允许此操作。"),
    ):
        response = api.get("/api/v1/departures/", **headers)
        assert response.status_code == 403
        assert response.json()["error"]["message"] == message
