"""A part of a page sent by htmx after the session has ended is answered 401 with a
sentence (static/app/forms.js shows it above the form and keeps what was typed), not the
sign-in page swapped into the form; the same request without htmx still goes to the
sign-in page."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_an_htmx_post_after_the_session_ended_is_a_401_sentence(client):
    customer = CustomerFactory()
    url = reverse("log_interaction", args=[customer.pk])
    body = {"kind": "call", "direction": "outbound", "notes": "Long notes typed"}
    response = client.post(url, body, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == (
        "Your session has ended, so nothing was saved. Sign in again in another tab, then "
        "send this again: what you typed here is kept."
    )
    plain = client.post(url, body)
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("login"))


def test_the_sentence_follows_the_reader_s_language(client):
    customer = CustomerFactory()
    response = client.post(
        reverse("log_interaction", args=[customer.pk]),
        {"kind": "call"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 401
    assert response.content.decode().startswith("您的会话已结束")
