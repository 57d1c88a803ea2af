"""A JSON object that names a field twice loses its first value in any JSON reader,
without a word, as a spreadsheet with two `phone` columns would lose one. The API refuses
it at every JSON door, naming the object by its place in the body and the field, and
writes nothing."""

from __future__ import annotations

import pytest

from customers.models import Contact, Customer
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_a_bulk_row_that_names_a_field_twice_is_refused_by_row_and_field():
    customer = CustomerFactory(external_id="C0000001")
    api, _ = integration_client()
    body = (
        '{"rows": [{"external_id": "P-1", "customer": "C0000001", "name": "Ann"},'
        ' {"external_id": "P-2", "customer": "C0000001", "name": "J Son",'
        ' "phone": "+49 30 1", "phone": "", "email": "j@example.org"}]}'
    )
    response = api.post("/api/v1/contacts/bulk/", body, content_type="application/json", **EN)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "status": 400,
        "code": "parse_error",
        "message": "rows[1] names the field 'phone' more than once; send it once.",
    }
    assert not Contact.objects.filter(customer=customer).exists()


def test_a_body_that_names_its_rows_twice_is_refused_in_the_readers_language():
    api, _ = integration_client()
    body = '{"rows": [{"external_id": "C-6", "name": "Beta"}], "rows": [{"external_id": "C-7"}]}'
    response = api.post(
        "/api/v1/customers/bulk/",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "请求体 多次给出字段 'rows'；请只给一次。"
    assert not Customer.objects.exists()


def test_the_same_name_in_different_objects_is_no_repetition():
    CustomerFactory(external_id="C0000001")
    api, _ = integration_client()
    body = (
        '{"rows": [{"external_id": "P-1", "customer": "C0000001", "name": "Ann"},'
        ' {"external_id": "P-2", "customer": "C0000001", "name": "Bob"}]}'
    )
    response = api.post("/api/v1/contacts/bulk/", body, content_type="application/json", **EN)
    assert response.status_code == 200, response.json()
    assert Contact.objects.count() == 2
