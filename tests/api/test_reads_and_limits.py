"""API reads are audited (one event per list page with its rows) and counted by the export
watch; someone leaving reads beyond a daily allowance only with their manager's approval.
Forged cursors, deep JSON and oversized bodies answer in the one error shape; the rate
limits count per address too, in the shared cache."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from customers.models import Customer, RiskModel, ScoringRun
from staff.models import AccessWarning, AuditEvent, ExportRequest
from staff.watch import watch_access
from tests.api.helpers import integration_client, user_client
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    EmployeeFactory,
    UserFactory,
)
from tests.support.records import customer_with_records

pytestmark = pytest.mark.django_db


def test_a_list_page_is_one_audit_event_with_its_rows_and_the_watch_counts_them(lea, settings):
    settings.EXPORT_WATCH_DAILY_LIMIT = 10
    api, token = user_client(lea.user)
    first = api.get("/api/v1/contacts/", {"page_size": 5}).json()
    api.get(first["next"])
    api.get(first["next"])  # the same page again: read again
    events = AuditEvent.objects.filter(action="view", object_type="contact").order_by("at", "id")
    assert [e.rows for e in events] == [5, 5, 5]
    assert {(e.employee_id, e.token_id) for e in events} == {(lea.pk, token.pk)}
    # 15 contact rows read > the limit of 10: reported, with the rows as the figure.
    (warning,) = [w for w in watch_access(day=timezone.localdate()) if w.kind == "unusual_volume"]
    assert (warning.employee, warning.touched) == (lea, 15)
    assert AccessWarning.objects.count() == 1


def test_a_leaver_beyond_the_allowance_waits_for_the_manager(lea, settings, mailoutbox):
    settings.BULK_READ_DAILY_ALLOWANCE = 8
    api, _ = user_client(lea.user)
    assert api.get("/api/v1/contacts/", {"page_size": 5}).status_code == 200  # 5 of 8
    refused = api.get("/api/v1/contacts/", {"page_size": 5})  # 10 > 8
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "approval_required"
    request = ExportRequest.objects.get()
    assert (request.employee, request.kind, request.approved_at) == (lea, "contacts", None)
    assert mailoutbox[0].to == ["boss@example.com"]
    # One record at a time is a bulk read too once the allowance is spent.
    customer = lea.primary_customers.first()
    assert api.get(f"/api/v1/customers/{customer.pk}/").status_code == 200  # 6 of 8
    ExportRequest.objects.filter(pk=request.pk).update(
        approved_at=timezone.now(), approved_by=EmployeeFactory(name="Boss 2")
    )
    assert api.get("/api/v1/contacts/", {"page_size": 5}).status_code == 200
    assert api.get("/api/v1/contacts/", {"page_size": 5}).status_code == 200  # same day
    assert ExportRequest.objects.get().used_at is not None
    assert len(mailoutbox) == 1


def test_someone_staying_has_no_allowance(settings):
    settings.BULK_READ_DAILY_ALLOWANCE = 1
    ann = EmployeeFactory(user=UserFactory(username="ann"))
    ContactFactory.create_batch(3, customer=CustomerFactory(primary_owner=ann))
    api, _ = user_client(ann.user)
    assert api.get("/api/v1/contacts/").status_code == 200
    assert ExportRequest.objects.count() == 0


# --- error shapes ----------------------------------------------------------------------------


def test_a_forged_cursor_is_a_404_in_the_error_shape():
    api, _ = integration_client()
    for path in ("/api/v1/contacts/", "/api/v1/customers/", "/api/v1/alerts/"):
        response = api.get(path, {"cursor": "cD0wJw=="})  # "p=0'"
        assert response.status_code == 404, path
        assert response.json()["error"]["message"] == "Invalid cursor."


def test_deeply_nested_json_is_a_400_in_the_error_shape():
    api, _ = integration_client()
    body = "[" * 5000 + "]" * 5000
    response = api.post("/api/v1/customers/bulk/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_oversized_body_is_a_400_in_the_error_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api, _ = integration_client()
    body = json.dumps({"rows": [{"name": "x" * 2000}]})
    response = api.post("/api/v1/customers/bulk/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["status"] == 400


def test_django_s_own_errors_under_the_api_are_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not found."}
    }
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json():
    from django.test import Client

    from retention.api.errors import server_error

    request = Client().get("/").wsgi_request
    request.path = "/api/v1/customers/"
    response = server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "error"


# --- rate limits -----------------------------------------------------------------------------


def test_unauthenticated_requests_are_limited_per_address(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100/minute", "address": "3/minute"},
    }
    statuses = [
        client.get("/api/v1/customers/", REMOTE_ADDR="10.9.9.9").status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    limited = client.get("/api/v1/customers/", REMOTE_ADDR="10.9.9.9")
    assert limited.json()["error"]["code"] == "throttled" and int(limited["Retry-After"]) >= 1
    assert client.get("/api/v1/customers/", REMOTE_ADDR="10.9.9.8").status_code == 401


@pytest.mark.redis
@pytest.mark.shared_cache
def test_the_limit_is_shared_by_every_server_process(settings):
    """Another process (as a second gunicorn worker would be) spends two of the key's four
    requests a minute in Redis; this process then gets only the other two."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "4/minute", "address": "1000/minute"},
    }
    api, token = integration_client()
    other_worker = (
        "import django; django.setup()\n"
        "from types import SimpleNamespace\n"
        "from retention.api.auth import PerTokenThrottle\n"
        "from staff.models import ApiToken\n"
        f"request = SimpleNamespace(auth=ApiToken(pk={token.pk}), user=None, META={{}})\n"
        "assert all(PerTokenThrottle().allow_request(request, None) for _ in range(2))\n"
    )
    cache = settings.CACHES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retention.settings",
        "CACHE_URL": cache["LOCATION"],
        "CACHE_KEY_PREFIX": cache["KEY_PREFIX"],
        "API_RATE_LIMIT": "4/minute",
    }
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", other_worker], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    statuses = [api.get("/api/v1/teams/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_one_password_against_many_usernames_locks_the_address(client, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    UserFactory(username="zed")
    for name in ("amy", "bob", "cat"):
        client.post("/login/", {"username": name, "password": "Summer2026!"})
    refused = client.post(
        "/login/", {"username": "zed", "password": "correct horse battery staple"}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed sign-ins from your address" in refused.content.decode()
    other = client.post(
        "/login/",
        {"username": "zed", "password": "correct horse battery staple"},
        REMOTE_ADDR="10.0.0.77",
    )
    assert other.status_code == 302


def test_a_leaver_s_waiting_request_names_what_it_covers_in_the_reader_s_language(lea, settings):
    from alerts.models import RetentionAction

    settings.BULK_READ_DAILY_ALLOWANCE = 1
    for customer in lea.primary_customers.all():
        RetentionAction.objects.create(
            customer=customer, kind="call", owner=lea, taken_on=timezone.localdate()
        )
    api, _ = user_client(lea.user)
    refused = api.get("/api/v1/retention-actions/")  # 3 rows > 1
    assert refused.status_code == 403
    number = ExportRequest.objects.get().pk
    assert refused.json()["error"]["message"] == (
        "You are leaving: reading more customer records today needs your manager's approval, "
        f"as an export does. Request {number} (retention actions) is waiting for it."
    )
    chinese = api.get("/api/v1/retention-actions/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    message = chinese.json()["error"]["message"]
    assert message.startswith("你即将离职") and f"请求 {number}（" in message
    assert "retention" not in message


def test_what_moved_a_score_is_a_read_of_the_score_audited_and_counted(lea, settings):
    settings.BULK_READ_DAILY_ALLOWANCE = 6
    day = timezone.localdate()
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=day, horizon_days=90, window_start=day, window_end=day
    )
    ScoringRun.objects.create(day=day, model=model, status="complete")
    score = customer_with_records(lea, model, "Lea's", day)["score"]
    api, _ = user_client(lea.user)
    assert api.get(f"/api/v1/risk-scores/{score.pk}/change/").status_code == 200
    (event,) = AuditEvent.objects.filter(action="view", object_type="riskscore")
    assert (event.employee, event.object_id, event.customer_id, event.rows) == (
        lea,
        str(score.pk),
        score.customer_id,
        1,
    )
    assert api.get("/api/v1/contacts/", {"page_size": 5}).status_code == 200  # 1 + 5 of 6
    refused = api.get(f"/api/v1/risk-scores/{score.pk}/change/")  # 7 > 6
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approval_required"
    assert AuditEvent.objects.filter(action="view", object_type="riskscore").count() == 1


def test_an_alert_action_answers_with_the_alert_so_it_counts_as_a_read(lea, settings):
    settings.BULK_READ_DAILY_ALLOWANCE = 5
    day = timezone.localdate()
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=day, horizon_days=90, window_start=day, window_end=day
    )
    alert = customer_with_records(lea, model, "Lea's", day)["alert"]
    api, _ = user_client(lea.user)
    url = f"/api/v1/alerts/{alert.pk}/acknowledge/"
    assert api.post(url).json()["status"] == "acknowledged"  # 1 of 5
    (event,) = AuditEvent.objects.filter(action="view", object_type="alert")
    assert (event.employee, event.rows, event.customer_id) == (lea, 1, alert.customer_id)
    assert api.get("/api/v1/contacts/", {"page_size": 4}).status_code == 200  # 5 of 5
    refused = api.post(url)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approval_required"


def test_the_score_change_of_the_customer_page_is_in_the_audit_trail(lea, client):
    """Loaded by the customer page (whose opening counts): in the trail, counted 0."""
    customer = Customer.objects.filter(primary_owner=lea).first()
    client.force_login(lea.user)
    assert client.get(f"/customers/{customer.pk}/score-change/").status_code == 200
    (event,) = AuditEvent.objects.filter(object_type="riskscore")
    assert (event.employee, event.rows, event.customer_id) == (lea, 0, customer.pk)


def test_a_body_the_api_cannot_read_says_what_it_is():
    """Compressed, UTF-16 (as Windows tools save) or a number Python will not read:
    each named as such, not "not valid JSON" or "not UTF-8 ... Windows-1252"."""
    import gzip

    api, _ = integration_client()
    url = "/api/v1/customers/bulk/"
    rows = json.dumps({"rows": [{"external_id": "C-1", "name": "Acme"}]})

    def refused(body, **headers):
        response = api.post(url, body, content_type="application/json", **headers)
        assert response.status_code == 400
        return response.json()["error"]["message"]

    assert refused(gzip.compress(rows.encode()), HTTP_CONTENT_ENCODING="gzip") == (
        "The body is sent with Content-Encoding 'gzip', which the API does not read; send it "
        "uncompressed."
    )
    assert refused(rows.encode("utf-16-le")) == (
        "The body looks like UTF-16 or UTF-32 (zero bytes between its characters); send the "
        "JSON as UTF-8."
    )
    assert refused('{"rows": [{"external_id": ' + "7" * 4301 + "}]}") == (
        "The body holds a number of more than 4,300 digits; send it as text."
    )
