"""Every endpoint that takes a body refuses fields it does not know, naming them (the bulk
endpoints always did): a misspelled `done_on` is not silently replaced by today. Fields
the endpoint writes out (id, created_at) may be sent back and are ignored."""

from __future__ import annotations

import pytest

from alerts.models import RetentionAction, Webhook
from tests.api.helpers import user_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_misspelled_field_of_a_retention_action_is_refused_by_name():
    owner = EmployeeFactory(user=UserFactory(username="owen"))
    customer = CustomerFactory(primary_owner=owner)
    api, _ = user_client(owner.user)
    response = api.post(
        "/api/v1/retention-actions/",
        {"customer": customer.pk, "kind": "call", "done_on": "2026-06-01"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"done_on": ["Unknown field; see the schema."]}
    assert not RetentionAction.objects.exists()


def test_a_webhook_change_names_each_unknown_field_in_the_readers_language():
    api, _ = user_client(UserFactory(username="root", is_superuser=True, is_staff=True))
    made = api.post(
        "/api/v1/webhooks/",
        {"name": "Ops", "url": "https://93.184.215.14/hook"},
        format="json",
    ).json()
    response = api.patch(
        f"/api/v1/webhooks/{made['id']}/",
        {"name": "Ops 2", "nmae": "typo", "activ": False},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == ["activ", "nmae"]
    assert response.json()["error"]["fields"]["nmae"] == ["未知字段；请参阅接口说明。"]
    assert Webhook.objects.get(pk=made["id"]).name == "Ops"


def test_what_the_endpoint_wrote_out_may_be_sent_back():
    api, _ = user_client(UserFactory(username="root", is_superuser=True, is_staff=True))
    read = api.post(
        "/api/v1/webhooks/",
        {"name": "Ops", "url": "https://93.184.215.14/hook"},
        format="json",
    ).json()
    response = api.put(f"/api/v1/webhooks/{read['id']}/", read | {"name": "Ops 2"}, format="json")
    assert response.status_code == 200, response.json()
    assert Webhook.objects.get(pk=read["id"]).name == "Ops 2"
