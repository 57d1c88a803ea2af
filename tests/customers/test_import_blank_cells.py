"""An empty cell in an import leaves a stored record's value as it is, as other CRMs'
imports do: a file that leaves the currency empty never turns a USD contract into EUR,
and one that leaves the owner empty never takes a customer from its owner. On a new
record an empty cell takes the field's default, or is refused where the field is
required, by line and column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from customers import csv_io
from customers.models import Contact, Contract, Customer, ExchangeRate
from tests.factories import ContactFactory, ContractFactory, CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def said(problems: list[dict]) -> list[dict]:
    return [{k: p[k] for k in ("line", "column", "message")} for p in problems]


def run(tmp_path, kind: str, text: str, **options):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    mapping = csv_io.default_mapping(kind, csv_io.sniff(path)[1])
    return csv_io.import_file(kind, path, mapping, **options)


def test_an_empty_currency_and_flag_keep_the_stored_contract_s(tmp_path):
    ExchangeRate.objects.create(currency="USD", day=dt.date(2026, 1, 1), rate=Decimal("0.5"))
    customer = CustomerFactory(external_id="C-2")
    ContractFactory(
        customer=customer,
        external_id="K-4",
        start_date=dt.date(2026, 3, 15),
        end_date=dt.date(2027, 3, 14),
        annual_value=Decimal("1000"),
        currency="USD",
        auto_renew=True,
    )
    report = run(
        tmp_path,
        "contracts",
        "external_id;customer;start_date;end_date;annual_value;currency;auto_renew\n"
        "K-4;C-2;15.03.2026;14.03.2027;1200;;\n",
        decimal_mark=",",
        date_order="dmy",
    )
    assert (said(report.problems), report.updated) == ([], 1)
    stored = Contract.objects.get(external_id="K-4")
    # The value changed; the currency and auto-renewal the file left empty did not:
    # USD 1,200 at 0.5 is EUR 600 in the reporting currency.
    assert (stored.annual_value, stored.currency, stored.auto_renew) == (
        Decimal("1200.00"),
        "USD",
        True,
    )
    assert stored.annual_value_reporting == Decimal("600.00")


def test_empty_segment_industry_and_owner_keep_the_stored_customer_s(tmp_path):
    owner = EmployeeFactory(email="ben.berg@example.com")
    CustomerFactory(
        external_id="S-1",
        name="Segment Test",
        segment="core",
        industry="Retail",
        primary_owner=owner,
    )
    report = run(
        tmp_path,
        "customers",
        "external_id,name,customer_since,segment,industry,primary_owner\n"
        "S-1,Segment Test GmbH,,,,\n",
    )
    assert (said(report.problems), report.updated) == ([], 1)
    stored = Customer.objects.get(external_id="S-1")
    assert (stored.name, stored.segment, stored.industry, stored.primary_owner_id) == (
        "Segment Test GmbH",
        "core",
        "Retail",
        owner.pk,
    )


def test_on_a_new_record_an_empty_cell_takes_the_default_or_is_required(tmp_path):
    CustomerFactory(external_id="C-1")
    ContactFactory(customer=Customer.objects.get(external_id="C-1"), external_id="P-1")
    report = run(
        tmp_path,
        "contacts",
        "external_id,customer,name,role,is_decision_maker\n"
        "P-1,,Ann Old,,\n"  # stored: keeps its customer
        "P-2,,Bob New,,\n"  # new: a contact needs its customer
        "P-3,C-1,Cem New,,\n",  # new: role empty, not a decision-maker
    )
    assert said(report.problems) == [{"line": 3, "column": "customer", "message": "Required."}]
    assert set(Contact.objects.values_list("external_id", flat=True)) == {"P-1"}

    report = run(
        tmp_path,
        "contacts",
        "external_id,customer,name,role,is_decision_maker\nP-1,,Ann Old,,\nP-3,C-1,Cem New,,\n",
    )
    assert (said(report.problems), report.created, report.updated) == ([], 1, 1)
    new = Contact.objects.get(external_id="P-3")
    assert (new.role, new.is_decision_maker) == ("", False)
    assert Contact.objects.get(external_id="P-1").customer.external_id == "C-1"


def test_an_empty_required_cell_of_a_stored_record_keeps_it_too(tmp_path):
    customer = CustomerFactory(external_id="C-1")
    ContractFactory(
        customer=customer,
        external_id="K-1",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        annual_value=Decimal("500"),
    )
    report = run(
        tmp_path,
        "contracts",
        "external_id,customer,start_date,end_date,annual_value\nK-1,,,2027-01-31,\n",
    )
    assert (said(report.problems), report.updated) == ([], 1)
    stored = Contract.objects.get(external_id="K-1")
    assert (stored.start_date, stored.end_date, stored.annual_value) == (
        dt.date(2026, 1, 1),
        dt.date(2027, 1, 31),
        Decimal("500.00"),
    )


def test_a_customer_made_active_again_in_a_file_loses_its_empty_churn_cells(tmp_path):
    """Status active with the churn date and reason left empty: the stored churn date and
    reason are cleared (an active customer has none), as the API does with the same row;
    a churned row's empty cells still keep what is stored."""
    CustomerFactory(
        external_id="C-7",
        name="Back Again",
        status="churned",
        churned_on=dt.date(2026, 3, 1),
        churn_reason="price",
        customer_since=dt.date(2024, 1, 1),
    )
    header = "external_id,name,customer_since,status,churned_on,churn_reason\n"
    report = run(tmp_path, "customers", header + "C-7,Back Again,2024-01-01,active,,\n")
    assert (said(report.problems), report.updated) == ([], 1)
    back = Customer.objects.get(external_id="C-7")
    assert (back.status, back.churned_on, back.churn_reason) == ("active", None, "")
    Customer.objects.filter(pk=back.pk).update(
        status="churned", churned_on=dt.date(2026, 3, 1), churn_reason="price"
    )
    report = run(tmp_path, "customers", header + "C-7,Back Again (renamed),2024-01-01,,,\n")
    assert said(report.problems) == []
    kept = Customer.objects.get(external_id="C-7")
    assert (kept.status, kept.churned_on, kept.churn_reason) == (
        "churned",
        dt.date(2026, 3, 1),
        "price",
    )


def test_a_file_without_churn_or_leaving_columns_makes_customers_and_contacts_active_again(
    tmp_path,
):
    """A file with a status column but no churn (or leaving) columns: a row saying
    `active` clears the stored churn date and reason (a contact's leaving date), as an
    empty cell would; it was refused for a churn date the file does not even have. A row
    saying `churned` keeps what is stored."""
    CustomerFactory(
        external_id="C-7",
        name="Back Again",
        status="churned",
        churned_on=dt.date(2026, 3, 1),
        churn_reason="price",
        customer_since=dt.date(2024, 1, 1),
    )
    CustomerFactory(
        external_id="C-8",
        name="Still Gone",
        status="churned",
        churned_on=dt.date(2026, 4, 1),
        churn_reason="quality",
        customer_since=dt.date(2024, 1, 1),
    )
    report = run(
        tmp_path,
        "customers",
        "external_id,name,customer_since,status\n"
        "C-7,Back Again,2024-01-01,active\n"
        "C-8,Still Gone,2024-01-01,churned\n",
    )
    assert (said(report.problems), report.updated) == ([], 1)
    back, gone = (Customer.objects.get(external_id=k) for k in ("C-7", "C-8"))
    assert (back.status, back.churned_on, back.churn_reason) == ("active", None, "")
    assert (gone.status, gone.churned_on, gone.churn_reason) == (
        "churned",
        dt.date(2026, 4, 1),
        "quality",
    )
    contact = ContactFactory(
        customer=back, external_id="PC-1", status="left", left_on=dt.date(2026, 5, 1)
    )
    report = run(
        tmp_path,
        "contacts",
        f"external_id,customer,name,status,left_on\nPC-1,{back.external_id},{contact.name},active,\n",
    )
    assert (said(report.problems), report.updated) == ([], 1)
    contact.refresh_from_db()
    assert (contact.status, contact.left_on) == ("active", None)
    report = run(
        tmp_path,
        "contacts",
        f"external_id,customer,name,status\nPC-1,{back.external_id},{contact.name},left\n",
    )
    # "left" with no leaving date to keep (it was cleared): refused by line, as before.
    assert report.problem_count == 1
