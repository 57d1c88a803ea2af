"""Each person reads the CRM in their language: the one they chose (stored on their
employee record), else the browser's; dates and numbers follow it, e-mails go out in the
recipient's language, and the API's error messages follow Accept-Language."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from handover import services
from staff.models import ApiToken
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    return EmployeeFactory(name="Ann", user=UserFactory(username="ann"))


def test_the_browser_language_is_the_default(client, ann):
    client.force_login(ann.user)
    page = client.get(reverse("alerts:inbox"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content
    assert "我的预警" in page.decode() and 'lang="zh-hans"' in page.decode()
    english = client.get(reverse("alerts:inbox"), HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "My alerts" in english


def test_a_chosen_language_is_stored_and_wins_over_the_browser(client, ann):
    client.force_login(ann.user)
    response = client.post(reverse("language"), {"language": "zh-hans", "next": "/alerts/"})
    assert response.status_code == 302 and response.url == "/alerts/"
    ann.refresh_from_db()
    assert ann.language == "zh-hans"
    client.cookies.clear()  # another browser, in English: the stored choice still holds
    client.force_login(ann.user)
    page = client.get(reverse("alerts:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "我的预警" in page
    client.post(reverse("language"), {"language": "", "next": "https://evil.example/"})
    ann.refresh_from_db()
    assert ann.language == ""  # back to the browser's preference


def test_dates_and_numbers_follow_the_language(client, ann):
    acme = CustomerFactory(name="Acme", primary_owner=ann, customer_since=dt.date(2021, 3, 5))
    client.force_login(ann.user)
    english = client.get(reverse("customer", args=[acme.pk]), HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(reverse("customer", args=[acme.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "customer since March 2021" in english.content.decode()
    assert "客户始于 2021年3月" in chinese.content.decode()


def test_e_mails_go_out_in_the_recipients_language(django_capture_on_commit_callbacks):
    team = build_team()
    team.ada.language = "zh-hans"
    team.ada.save()
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
        )
    mail.outbox.clear()
    services.accept_successors(plan=plan, by=team.mona)  # C1 and C2 to Ada, C3 to Ben
    by_person = {message.to[0]: message for message in mail.outbox}
    assert by_person[team.ada.email].subject == "你将接手 Leo 的 2 位客户"
    assert by_person[team.ben.email].subject == "You take over 1 customer from Leo"
    assert f"{LAST_DAY.year}年{LAST_DAY.month}月{LAST_DAY.day}日" in by_person[team.ada.email].body


def test_api_errors_follow_accept_language_and_keep_codes_in_english():
    client = APIClient()
    anonymous = client.get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert anonymous["error"]["code"] == "not_authenticated"
    assert anonymous["error"]["message"] == "身份认证信息未提供。"
    token, key = ApiToken.issue(name="billing")
    token.revoked_at = timezone.now()
    token.save()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    revoked = client.get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert revoked["error"]["message"] == f"此 API 密钥已于 {timezone.now():%Y-%m-%d} 撤销。"
    english = client.get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["error"]["message"].startswith("This API key was revoked on")
