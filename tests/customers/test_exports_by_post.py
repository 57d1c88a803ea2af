"""An export is written (and audited in the person's name) only by a POST carrying the
form's CSRF token: a link or an image on another site, which can only make a GET, shows
the form and exports nothing, and the reason never travels in a URL."""

import pytest
from django.test import Client
from django.urls import reverse

from staff.models import AuditEvent
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def max_():
    max_ = EmployeeFactory(name="Max", role="manager", user=UserFactory(username="max"))
    team = TeamFactory(name="North", manager=max_)
    CustomerFactory(name="Apex", primary_owner=EmployeeFactory(team=team))
    CustomerFactory(name="Acme", primary_owner=EmployeeFactory(team=team))
    return max_


def test_it_exports_nothing_on_a_get_with_a_reason(client, max_):
    client.force_login(max_.user)
    response = client.get(reverse("export", args=["customers"]), {"reason": "Board pack"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="export").exists()
    page = response.content.decode()
    assert '<form method="post"' in page and "csrfmiddlewaretoken" in page
    assert "Board pack" not in page  # a reason in a link is not taken up


def test_it_refuses_a_post_without_the_csrf_token(max_):
    client = Client(enforce_csrf_checks=True)
    client.force_login(max_.user)
    response = client.post(reverse("export", args=["customers"]), {"reason": "Board pack"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_it_exports_on_a_post_with_the_form_s_token(max_):
    client = Client(enforce_csrf_checks=True)
    client.force_login(max_.user)
    form = client.get(reverse("export", args=["customers"]))
    token = form.context["csrf_token"]
    response = client.post(
        reverse("export", args=["customers"]),
        {"reason": "Board pack", "csrfmiddlewaretoken": str(token)},
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 3  # the header, Apex and Acme
    event = AuditEvent.objects.get(action="export")
    assert (event.rows, event.reason, event.actor) == (2, "Board pack", "Max")


def test_the_list_s_filters_ride_in_the_form_not_the_reason(client, max_):
    client.force_login(max_.user)
    page = client.get(reverse("export", args=["customers"]), {"q": "ap"}).content.decode()
    assert '<input type="hidden" name="q" value="ap">' in page
    response = client.post(reverse("export", args=["customers"]), {"q": "ap", "reason": "Review"})
    body = b"".join(response.streaming_content).decode()
    assert "Apex" in body and "Acme" not in body


def test_other_methods_are_not_allowed(client, max_):
    client.force_login(max_.user)
    assert client.put(reverse("export", args=["customers"])).status_code == 405
    assert not AuditEvent.objects.filter(action="export").exists()
