"""Satisfaction is scored from 1 to 10, and every door refuses -3, 0 and 11 with that one
message: the quick interaction form, a handover follow-up, the admin, the API's bulk
upsert and the file import (before, -3 was "greater than or equal to 0" and 0 was
"greater than or equal to 1")."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from customers import csv_io
from customers.forms import QuickInteractionForm
from customers.models import Interaction
from handover.forms import StepDoneForm
from handover.models import HandoverStep
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
MESSAGE = "Satisfaction is scored from 1 to 10."
OUT_OF_RANGE = ["-3", "0", "11"]


@pytest.fixture
def customer():
    return CustomerFactory(external_id="C0000001")


def an_hour_ago():
    return timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)


@pytest.mark.parametrize("score", OUT_OF_RANGE)
def test_the_quick_form_says_the_range(customer, score):
    form = QuickInteractionForm(
        {
            "kind": "call",
            "direction": "outbound",
            "happened_at": f"{an_hour_ago():%Y-%m-%dT%H:%M}",
            "satisfaction": score,
        },
        customer=customer,
    )
    assert not form.is_valid()
    assert form.errors["satisfaction"] == [MESSAGE]


@pytest.mark.parametrize("score", OUT_OF_RANGE)
def test_the_admin_says_the_range(customer, score):
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    now = an_hour_ago()
    form = admin.site._registry[Interaction].get_form(request)(
        {
            "customer": customer.pk,
            "kind": "call",
            "direction": "outbound",
            "happened_at_0": f"{now:%Y-%m-%d}",
            "happened_at_1": f"{now:%H:%M:%S}",
            "external_id": "I-1",
            "satisfaction": score,
        }
    )
    assert not form.is_valid()
    assert form.errors["satisfaction"] == [MESSAGE]


@pytest.mark.parametrize("score", OUT_OF_RANGE)
def test_a_handover_follow_up_says_the_range(score):
    step = HandoverStep(kind=HandoverStep.Kind.FOLLOW_UP)
    form = StepDoneForm({"note": "", "satisfaction": score}, step=step)
    assert not form.is_valid()
    assert form.errors["satisfaction"] == [MESSAGE]


@pytest.mark.parametrize("score", [-3, 0, 11, "0"])
def test_the_api_says_the_range(customer, score):
    row = {
        "external_id": "I-1",
        "customer": "C0000001",
        "kind": "call",
        "happened_at": an_hour_ago().isoformat(),
        "satisfaction": score,
    }
    response = integration_client()[0].post(
        "/api/v1/interactions/bulk/", {"rows": [row]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [
        {"index": 0, "field": "satisfaction", "message": MESSAGE}
    ]
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("score", OUT_OF_RANGE)
def test_the_file_import_says_the_range(customer, score, tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_text(
        "external_id,customer,kind,happened_at,satisfaction\n"
        f"I-1,C0000001,call,{an_hour_ago().isoformat()},{score}\n",
        encoding="utf-8",
    )
    report = csv_io.check(
        "interactions", path, csv_io.default_mapping("interactions", csv_io.sniff(path)[1])
    )
    assert {(p["column"], p["message"]) for p in report.problems} == {("satisfaction", MESSAGE)}
