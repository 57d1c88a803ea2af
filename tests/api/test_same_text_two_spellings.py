"""One text, one record: "Café" sent composed (NFC, as Windows and most systems write it)
and decomposed (NFD, e + combining accent, as macOS file systems and some sync clients
do) is one name and one external id at every door, and a search in either form finds
it; an id pasted with an invisible character at its end is trimmed as a space is, and
one holding an invisible character inside is refused, naming it: it would be a second
record that looks like the first."""

from __future__ import annotations

import unicodedata

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory

from customers import csv_io
from customers.models import Customer
from retention.text_input import normalise_column
from tests.api.helpers import integration_client, user_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
NFC = "Caf\u00e9 M\u00fcller"
NFD = unicodedata.normalize("NFD", NFC)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_two_spellings_differ_as_sent():
    assert NFC != NFD and len(NFD) == len(NFC) + 2


def bulk(rows):
    return integration_client()[0].post(
        "/api/v1/customers/bulk/", {"rows": rows}, format="json", **EN
    )


def test_an_id_and_name_sent_in_both_forms_are_one_customer():
    first = bulk([{"external_id": f"X-{NFC}", "name": NFC, "customer_since": "2024-01-01"}])
    assert first.status_code == 200, first.json()
    again = bulk([{"external_id": f"X-{NFD}", "name": NFD, "customer_since": "2024-01-01"}])
    assert again.status_code == 200, again.json()
    assert again.json()["unchanged"] == 1
    assert list(Customer.objects.values_list("external_id", "name")) == [(f"X-{NFC}", NFC)]


def test_an_id_with_an_invisible_character_at_its_end_is_the_id_without_it():
    assert (
        bulk([{"external_id": "ZW-1", "name": "A", "customer_since": "2024-01-01"}]).status_code
        == 200
    )
    response = bulk(
        [{"external_id": "\ufeffZW-1\u200b", "name": "A", "customer_since": "2024-01-01"}]
    )
    assert response.status_code == 200 and response.json()["unchanged"] == 1
    assert Customer.objects.count() == 1


def test_an_id_with_an_invisible_character_inside_is_refused_by_row_and_field():
    response = bulk([{"external_id": "ZW-\u200b1", "name": "A", "customer_since": "2024-01-01"}])
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [
        {
            "index": 0,
            "field": "external_id",
            "message": "contains the invisible character U+200B, which would make it a "
            "different id from the one it looks like; remove it.",
        }
    ]
    assert not Customer.objects.exists()


def test_the_file_import_reads_both_forms_as_one_and_refuses_an_id_with_a_hidden_character(
    tmp_path,
):
    CustomerFactory(external_id=f"X-{NFC}", name=NFC)
    path = tmp_path / "customers.csv"
    path.write_text(
        f"external_id,name,customer_since\nX-{NFD},{NFD},2024-01-01\nY-\u200b2,Y,2024-01-01\n",
        encoding="utf-8",
    )
    mapping = csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    report = csv_io.import_file("customers", path, mapping)
    assert [(p["line"], p["column"]) for p in report.problems] == [(3, "external_id")]
    path.write_text(
        f"external_id,name,customer_since\nX-{NFD},{NFD},2024-01-01\n", encoding="utf-8"
    )
    report = csv_io.import_file("customers", path, mapping)
    assert (report.problems, report.created, report.created + report.updated) == ([], 0, 1)
    assert list(Customer.objects.values_list("external_id", "name")) == [(f"X-{NFC}", NFC)]


def test_the_admin_stores_the_composed_form_and_refuses_a_hidden_character_in_an_id():
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    form_class = admin.site._registry[Customer].get_form(request)
    data = {"segment": "general", "customer_since": "2024-01-01", "status": "active"}
    form = form_class(data | {"external_id": "C-\u200b10", "name": NFD})
    assert not form.is_valid()
    assert form.errors["external_id"][0].startswith("Contains the invisible character U+200B")
    form = form_class(data | {"external_id": "C-10\u200b", "name": NFD})
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["external_id"], form.cleaned_data["name"]) == ("C-10", NFC)


def test_a_search_in_either_form_finds_the_customer():
    user = UserFactory(username="boss", is_superuser=True, is_staff=True)
    CustomerFactory(name=NFC, external_id="S-1")
    api, _ = user_client(user)
    for spelling in (NFC, NFD):
        # The list page's search box (customers list).
        from django.test import Client

        client = Client()
        client.force_login(user)
        page = client.get("/customers/", {"q": spelling[:6]}, **EN)
        assert page.status_code == 200
        assert NFC in page.content.decode(), spelling


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stored text: PostgreSQL")
def test_ids_and_names_stored_before_the_rule_are_normalised_where_no_other_row_has_it():
    stored = CustomerFactory(external_id=f"K-{NFC}")
    old = [
        CustomerFactory(external_id=f"K-{NFD}", name=NFD),  # becomes the first's id: kept
        CustomerFactory(external_id=f"L-{NFD}", name=NFD),
        CustomerFactory(external_id="M-1\u200b", name=f"{NFD}\u200b"),
    ]
    assert normalise_column(connection, "customers_customer", "external_id", unique=True) == 2
    assert normalise_column(connection, "customers_customer", "name", unique=False) == 3
    ids = dict(Customer.objects.values_list("pk", "external_id"))
    assert ids[stored.pk] == f"K-{NFC}"
    assert [ids[c.pk] for c in old] == [f"K-{NFD}", f"L-{NFC}", "M-1"]
    assert set(
        Customer.objects.filter(pk__in=[c.pk for c in old]).values_list("name", flat=True)
    ) == {NFC}


@pytest.mark.parametrize(
    ("hidden", "code"),
    [
        ("\x01", "U+0001"),
        ("\x7f", "U+007F"),
        ("\x85", "U+0085"),
        ("\u034f", "U+034F"),
        ("\ufe0f", "U+FE0F"),
        ("\u3164", "U+3164"),
        ("\uffa0", "U+FFA0"),
        ("\u2028", "U+2028"),
        ("\u180b", "U+180B"),
        ("\u17b4", "U+17B4"),
        ("\ufff0", "U+FFF0"),
        ("\U000e0080", "U+E0080"),
    ],
)
def test_an_id_with_a_control_or_a_character_that_shows_nothing_is_refused(hidden, code):
    """QA-7 and QA-7 with a control character, a combining grapheme joiner, a variation
    selector, a Hangul filler or a line separator look alike: not a second customer."""
    response = bulk([{"external_id": f"QA-{hidden}7", "name": "A", "customer_since": "2024-01-01"}])
    assert response.status_code == 400, response.json()
    (row,) = response.json()["error"]["rows"]
    assert row["field"] == "external_id"
    assert row["message"].startswith(f"contains the invisible character {code},")
    assert not Customer.objects.exists()
