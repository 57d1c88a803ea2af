"""A JSON body in another encoding than the one it declares (a Windows-1252 export sent
as UTF-8, a UTF-16 file) is refused naming the first byte that cannot be read, by line
and column, and writes nothing; a UTF-8 body that starts with a byte order mark, as
Windows tools write it, is read."""

from __future__ import annotations

import pytest

from customers.models import Contact, Customer
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_a_windows_1252_body_is_refused_naming_the_byte_line_and_column():
    CustomerFactory(external_id="C0000001")
    api, _ = integration_client()
    body = (
        '{"rows": [\n'
        ' {"external_id": "P-1", "customer": "C0000001", "name": "Ann"},\n'
        ' {"external_id": "P-2", "customer": "C0000001", "name": "Ren\u00e9e"}\n'
        "]}"
    ).encode("cp1252")
    response = api.post("/api/v1/contacts/bulk/", body, content_type="application/json", **EN)
    assert response.status_code == 400
    # Line 3 is ` {"external_id": "P-2", "customer": "C0000001", "name": "Ren` + 0xE9:
    # the é is its 61st byte.
    assert response.json()["error"]["message"] == (
        "The body is not UTF-8: line 3, column 61 holds the byte 0xE9, which UTF-8 cannot "
        "read. Send the JSON as UTF-8 (a file saved as Windows-1252 or Latin-1 has to be "
        "converted first)."
    )
    assert not Contact.objects.exists()


def test_a_utf16_body_is_refused_saying_so():
    api, _ = integration_client()
    body = '{"rows": [{"external_id": "C-1", "name": "Alpha"}]}'.encode("utf-16")
    response = api.post("/api/v1/customers/bulk/", body, content_type="application/json", **EN)
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("The body looks like UTF-16 or UTF-32")
    assert not Customer.objects.exists()


def test_a_declared_latin1_charset_is_read_as_declared():
    api, _ = integration_client()
    body = '{"rows": [{"external_id": "C-1", "name": "Caf\u00e9 M\u00fcller", "customer_since": "2024-01-31"}]}'.encode(
        "latin-1"
    )
    response = api.post(
        "/api/v1/customers/bulk/", body, content_type="application/json; charset=latin-1", **EN
    )
    assert response.status_code == 200, response.json()
    assert Customer.objects.get(external_id="C-1").name == "Caf\u00e9 M\u00fcller"


def test_a_utf8_body_with_a_byte_order_mark_is_read():
    api, _ = integration_client()
    body = '{"rows": [{"external_id": "C-1", "name": "Beta GmbH", "customer_since": "2024-01-31"}]}'.encode(
        "utf-8-sig"
    )
    assert body.startswith(b"\xef\xbb\xbf")
    response = api.post("/api/v1/customers/bulk/", body, content_type="application/json", **EN)
    assert response.status_code == 200, response.json()
    assert Customer.objects.get(external_id="C-1").name == "Beta GmbH"


def test_the_encoding_message_is_in_the_readers_language():
    api, _ = integration_client()
    body = '{"rows": [{"external_id": "C-1", "name": "Caf\u00e9"}]}'.encode("cp1252")
    response = api.post(
        "/api/v1/customers/bulk/",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    # `{"rows": [{"external_id": "C-1", "name": "Caf` is 45 bytes: the é is the 46th.
    assert response.json()["error"]["message"].startswith(
        "请求体不是 UTF-8 编码：第 1 行第 46 列是字节 0xE9"
    )


@pytest.mark.parametrize("charset", ["punycode", "unicode_escape", "idna"])
def test_a_charset_that_is_no_character_encoding_is_refused_not_a_server_error(charset):
    api, _ = integration_client()
    body = (
        b'{"rows": [{"external_id": "C-1", "name": "Caf\\u00e9", "customer_since": "2024-01-31"}]}'
    )
    response = api.post(
        "/api/v1/customers/bulk/", body, content_type=f"application/json; charset={charset}", **EN
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"The charset {charset!r} is not a character encoding the API reads; send UTF-8."
    )
    assert not Customer.objects.exists()


@pytest.mark.parametrize("misspelt", ["dryRun", "dry-run", "dryrun"])
def test_a_misspelt_dry_run_is_refused_not_written_for_real(misspelt):
    api, _ = integration_client()
    rows = [{"external_id": "C-1", "name": "Alpha", "customer_since": "2024-01-31"}]
    response = api.post(
        "/api/v1/customers/bulk/", {"rows": rows, misspelt: True}, format="json", **EN
    )
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [
        {
            "index": None,
            "field": misspelt,
            "message": "Unknown field: the body takes rows and dry_run.",
        }
    ]
    assert not Customer.objects.exists()
