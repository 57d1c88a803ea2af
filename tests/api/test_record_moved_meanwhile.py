"""Two clients sending the same contacts or contracts for two customers at once: the
first stores them under its customer, the second is refused as it would be one after
the other ("belongs to customer ...; it cannot move"), at the API's upsert and at the
file import, and nothing of the second batch is written."""

import pytest

from customers import csv_io, upsert
from customers.models import Contact, Contract, Customer
from tests.api.helpers import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = {
    "contacts": lambda key, customer: {"external_id": key, "customer": customer, "name": "Ida"},
    "contracts": lambda key, customer: {
        "external_id": key,
        "customer": customer,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "annual_value": "12000",
    },
}


def _customers():
    for key in ("C-A", "C-B"):
        Customer.objects.create(external_id=key, name=key, customer_since="2024-01-01")


@pytest.mark.parametrize(
    ("kind", "model", "noun"),
    [
        ("contacts", Contact, "Contact"),
        ("contracts", Contract, "Contract"),
    ],
)
def test_a_record_stored_under_another_customer_meanwhile_is_refused_not_moved(kind, model, noun):
    _customers()
    first = [ROWS[kind](f"R-{i}", "C-A") for i in range(3)]
    # The second batch has one record of its own and the three of the first.
    second = [ROWS[kind]("R-OWN", "C-B")] + [ROWS[kind](f"R-{i}", "C-B") for i in range(3)]
    outcomes = race(lambda: upsert.upsert(kind, first), lambda: upsert.upsert(kind, second))
    assert outcomes["first"].created == 3
    assert outcomes["second"].errors == [
        {
            "index": i + 1,
            "field": "customer",
            "message": f"{noun} 'R-{i}' belongs to customer 'C-A'; it cannot move to another "
            "customer.",
        }
        for i in range(3)
    ]
    stored = dict(model.objects.values_list("external_id", "customer__external_id"))
    assert stored == {"R-0": "C-A", "R-1": "C-A", "R-2": "C-A"}  # R-OWN not written either


def test_the_file_import_names_the_line_of_a_contact_stored_meanwhile(tmp_path):
    _customers()
    path = tmp_path / "contacts.csv"
    path.write_text("external_id,customer,name\nR-OWN,C-B,Ida\n r-1 ,C-B,Ida\n")
    mapping = csv_io.default_mapping("contacts", csv_io.sniff(path)[1])
    outcomes = race(
        lambda: upsert.upsert("contacts", [ROWS["contacts"]("r-1", "C-A")]),
        lambda: csv_io.import_file("contacts", path, mapping),
    )
    report = outcomes["second"]
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (
            3,
            "customer",
            "Contact 'r-1' belongs to customer 'C-A'; it cannot move to another customer.",
        )
    ]
    assert (report.created, report.updated) == (0, 0)
    assert dict(Contact.objects.values_list("external_id", "customer__external_id")) == {
        "r-1": "C-A"
    }


def test_the_refusal_is_in_the_reader_s_language():
    from tests.api.helpers import integration_client

    _customers()
    Contact.objects.create(
        customer=Customer.objects.get(external_id="C-A"), external_id="P-1", name="Ida"
    )
    api, _ = integration_client()
    rows = [ROWS["contacts"]("P-1", "C-B")]
    response = api.post(
        "/api/v1/contacts/bulk/", {"rows": rows}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.json()["error"]["rows"][0]["message"] == (
        "联系人 'P-1' 属于客户 'C-A'；不能转到其他客户。"
    )
