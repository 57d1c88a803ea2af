"""Under /api/ every error is in the API's JSON shape, also with DEBUG on (where Django
would otherwise answer an unknown URL or an uncaught exception with an HTML page)."""

import pytest
from django.test import Client, override_settings
from django.urls import include, path


def boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [
    path("api/v1/boom/", boom),
    path("api/v1/", include("retention.api.urls")),
    path("plain/boom/", boom),
]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_api_route_is_a_json_404(debug):
    with override_settings(DEBUG=debug):
        response = Client().get("/api/v1/no-such-list/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not found."}
    }


@pytest.mark.urls("tests.api.test_errors_in_debug")
@pytest.mark.parametrize("debug", [True, False])
def test_an_uncaught_exception_under_api_is_a_json_500(debug):
    with override_settings(DEBUG=debug):
        response = Client(raise_request_exception=False).get("/api/v1/boom/")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"status": 500, "code": "error", "message": "Server error; it has been logged."}
    }


@pytest.mark.urls("tests.api.test_errors_in_debug")
def test_pages_outside_api_keep_the_debug_page():
    with override_settings(DEBUG=True):
        response = Client(raise_request_exception=False).get("/plain/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
