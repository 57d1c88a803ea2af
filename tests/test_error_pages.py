"""A refused or missing page is a page of the app: navigation, the reason the view gave,
a way back, in the reader's language. Under /api/ the same errors are JSON."""

import pytest
from django.test import Client
from django.urls import path

from retention import urls as retention_urls
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = UserFactory(username="ann")
    EmployeeFactory(name="Ann", user=user)
    client.force_login(user)
    return user


def test_it_tells_an_account_manager_why_the_dashboard_is_refused(client, ann):
    response = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your role does not give access to this page." in page
    assert 'href="/customers/"' in page  # the app's navigation
    assert "Back to My book" in page


def test_it_refuses_in_chinese_for_a_chinese_reader(client, ann):
    page = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "您无权打开此页面" in page and "返回我的客户" in page


def test_it_shows_a_missing_page_in_the_apps_frame(client, ann):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This page does not exist, or you may not see it" in response.content.decode()


def test_it_answers_the_api_in_json_in_the_readers_language(client, ann):
    response = client.get("/api/v1/no-such-endpoint/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "未找到。"


def _fails(request):
    raise RuntimeError("a fault in a view")


urlpatterns = [path("fails/", _fails), *retention_urls.urlpatterns]


@pytest.mark.urls("tests.test_error_pages")
def test_it_shows_its_own_page_for_a_server_error_never_a_traceback(ann):
    client = Client(raise_request_exception=False)
    client.force_login(ann)
    response = client.get("/fails/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    page = response.content.decode()
    assert response.status_code == 500
    assert "我们这边出了问题" in page and "返回我的客户" in page
    assert "Traceback" not in page and "a fault in a view" not in page


@pytest.mark.parametrize(
    ("language", "says"),
    [("en", "This form was out of date, so nothing was saved."), ("zh-CN", "此表单已过期")],
)
def test_a_form_from_an_out_of_date_page_gets_the_apps_page_with_a_way_back(ann, language, says):
    """Signed out and in again in another tab: the old tab's token no longer holds."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    response = client.post(
        "/customers/",
        {"csrfmiddlewaretoken": "stale" * 8},
        HTTP_ACCEPT_LANGUAGE=language,
        HTTP_REFERER="http://testserver/alerts/",
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert says in page
    assert 'href="http://testserver/alerts/"' in page  # back to the page it came from
    assert "CSRF" not in page and 'href="/customers/"' in page  # the app's own frame


def test_a_way_back_to_another_site_is_not_offered(ann):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    response = client.post("/customers/", {}, HTTP_REFERER="https://evil.example/")
    assert response.status_code == 403 and "evil.example" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/customers/owners/?q=%00",
        "/customers/?q=ab%00c",
        "/admin/customers/customer/?industry=%00",
        "/admin/customers/contract/?currency=%00",
    ],
)
def test_a_nul_in_a_search_or_filter_is_a_400_naming_it_not_a_server_error(url):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    EmployeeFactory(name="Root", role="admin", user=root)
    client = Client(raise_request_exception=False)
    client.force_login(root)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    name = url.split("?")[1].split("=")[0]
    assert response.status_code == 400
    assert f"{name} holds a NUL character (\\0)" in response.content.decode()
    assert client.get(url.replace("%00", "x")).status_code == 200


def test_a_nul_in_an_api_filter_is_json():
    from tests.api.helpers import integration_client

    response = integration_client()[0].get("/api/v1/customers/?segment=%00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
