"""Exports open safely in a spreadsheet (UTF-8 byte-order mark, no cell that runs as a
formula) and import back unchanged, for every kind, including records made in the app."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import csv_io
from customers.models import Contact, Contract, Customer, Interaction
from customers.row_values import from_spreadsheet, spreadsheet_safe
from staff.models import AuditEvent
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
CASES = Path(__file__).parent / "data_doors"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@pytest.fixture
def admin_client(client):
    boss = EmployeeFactory(
        name="Ada Admin",
        email="ada@example.com",
        role="admin",
        user=UserFactory(username="ada", is_staff=True, is_superuser=True),
    )
    client.force_login(boss.user)
    client.employee = boss
    return client


def export(client, kind: str) -> bytes:
    response = client.post(reverse("export", args=[kind]), {"reason": "Round trip check"})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def cells(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def reimport(tmp_path, kind: str, raw: bytes, name: str) -> csv_io.Report:
    path = tmp_path / name
    path.write_bytes(raw)
    mapping = csv_io.default_mapping(kind, csv_io.sniff(path)[1])
    return csv_io.import_file(kind, path, mapping)


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 123", "'+49 30 123"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("＝1+1", "'＝1+1"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        (" －5", "' －5"),
        ("'=x", "''=x"),
        ("'plain", "'plain"),
        ("Acme", "Acme"),
        ("", ""),
    ],
)
def test_a_guarded_cell_never_starts_a_formula_and_reads_back_the_same(value, guarded):
    assert spreadsheet_safe(value) == guarded
    assert not spreadsheet_safe(value).startswith(FORMULA_STARTS)
    assert from_spreadsheet(spreadsheet_safe(value)) == value


def test_handed_case_formula_and_unicode_names_export_with_a_bom_safe_and_import_back(
    tmp_path, admin_client
):
    api = integration_client()[0]
    rows = json.loads((CASES / "formula_and_unicode_customers.json").read_text())
    assert api.post("/api/v1/customers/bulk/", rows, format="json").status_code == 200
    raw = export(admin_client, "customers")
    assert raw.startswith(b"\xef\xbb\xbf")
    table = cells(raw)
    assert not [cell for row in table for cell in row if cell.startswith(FORMULA_STARTS)]
    names = {row[0]: row[1] for row in table[1:]}
    assert names["QA-UNI-1"] == "北京星辰科技有限公司"
    assert names["QA-UNI-2"] == "Müller & Söhne GmbH 🚀"
    assert names["QA-FORMULA-1"].startswith("'=HYPERLINK(")
    before = {c.external_id: (c.name, c.industry) for c in Customer.objects.all()}
    report = reimport(tmp_path, "customers", raw, "customers.csv")
    assert (report.problem_count, report.unchanged, report.updated) == (0, 4, 0)
    assert {c.external_id: (c.name, c.industry) for c in Customer.objects.all()} == before


def test_every_kind_exports_and_imports_back_unchanged_including_app_logged_records(
    tmp_path, admin_client
):
    owner = EmployeeFactory(name="Ben Berg", email="Ben.Berg@example.com")
    customer = CustomerFactory(
        external_id="C-1",
        name="-Minus Corp",
        primary_owner=owner,
        customer_since=dt.date(2024, 1, 1),
        region="@home",
    )
    contact = Contact.objects.create(
        customer=customer,
        external_id="P-1",
        name="Jürgen Groß",
        email="jürgen@müller.example",
        phone="+49 30 1234567",
        known_since=dt.date(2024, 1, 1),
    )
    Contract.objects.create(
        customer=customer,
        external_id="K-1",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        annual_value=Decimal("30000.50"),
    )
    note = ("> Forwarded thread from the customer's procurement team, pasted in full.\n" * 215)[
        :15000
    ]
    logged = admin_client.post(
        reverse("log_interaction", args=[customer.pk]),
        {
            "kind": "email",
            "direction": "inbound",
            "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "contact": contact.pk,
            "notes": note,
        },
    )
    assert logged.status_code == 302
    app_logged = Interaction.objects.get()
    assert app_logged.external_id.startswith("app-") and len(app_logged.notes) == 15000
    for kind, expected in [
        ("customers", 1),
        ("contacts", 1),
        ("contracts", 1),
        ("interactions", 1),
    ]:
        raw = export(admin_client, kind)
        assert raw.startswith(b"\xef\xbb\xbf")
        report = reimport(tmp_path, kind, raw, f"{kind}.csv")
        assert (kind, report.problem_count, report.problems[:1]) == (kind, 0, [])
        assert (report.created, report.updated, report.unchanged) == (0, 0, expected)
    assert Interaction.objects.get().notes == note
    assert Customer.objects.get().name == "-Minus Corp"
    assert Contact.objects.get().phone == "+49 30 1234567"


def test_the_audit_trail_export_is_safe_in_a_spreadsheet(admin_client):
    AuditEvent.objects.create(
        action="export",
        object_type="customers",
        object_id="",
        reason='=HYPERLINK("http://attacker.example","x")',
        detail={"note": "@SUM(1)"},
    )
    AuditEvent.objects.create(action="export", object_type="customers", reason="北京 review")
    response = admin_client.post(
        reverse("admin:staff_auditevent_changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True)),
        },
    )
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    table = cells(raw)
    assert not [cell for row in table for cell in row if cell.startswith(FORMULA_STARTS)]
    reasons = [row[table[0].index("reason")] for row in table[1:]]
    assert '\'=HYPERLINK("http://attacker.example","x")' in reasons and "北京 review" in reasons


def test_records_added_in_the_admin_with_no_external_id_get_one_and_import_back(
    tmp_path, admin_client
):
    customer = CustomerFactory(external_id="C-9", customer_since=dt.date(2024, 1, 1))
    added = admin_client.post(
        reverse("admin:customers_contact_add"),
        {
            "customer": customer.pk,
            "name": "Admin Made Contact",
            "status": "active",
            "known_since": "2024-01-01",
            "external_id": "",
        },
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    logged = admin_client.post(
        reverse("admin:customers_interaction_add"),
        {
            "customer": customer.pk,
            "employee": admin_client.employee.pk,
            "kind": "call",
            "direction": "outbound",
            "happened_at_0": timezone.localdate().isoformat(),
            "happened_at_1": "09:00:00",
            "notes": "Called.",
            "external_id": "",
        },
    )
    assert logged.status_code == 302, logged.context["adminform"].form.errors
    contact, interaction = Contact.objects.get(), Interaction.objects.get()
    assert contact.external_id.startswith("app-") and len(contact.external_id) == 40
    assert interaction.external_id.startswith("app-")
    # Saved again with the field cleared (an edit that names only other fields included).
    contact.external_id = ""
    contact.save(update_fields=["name"])
    contact.refresh_from_db()
    assert contact.external_id.startswith("app-")
    for kind in ("contacts", "interactions"):
        report = reimport(tmp_path, kind, export(admin_client, kind), f"{kind}.csv")
        assert (kind, report.problem_count, report.problems[:1]) == (kind, 0, [])
        assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_a_tiny_exchange_rate_exports_in_plain_digits_and_imports_back_unchanged(
    tmp_path, admin_client
):
    from customers.models import ExchangeRate

    ExchangeRate.objects.create(currency="IRR", day=dt.date(2026, 1, 1), rate=Decimal("0.0000005"))
    raw = export(admin_client, "exchange_rates")
    rows = cells(raw)
    (irr,) = [row for row in rows if row[0] == "IRR"]
    assert irr[:2] == ["IRR", "2026-01-01"] and "E" not in irr[2].upper()
    assert Decimal(irr[2]) == Decimal("0.0000005")
    report = reimport(tmp_path, "exchange_rates", raw, "rates.csv")
    assert (report.problem_count, report.problems[:1]) == (0, [])
    assert ExchangeRate.objects.get(currency="IRR").rate == Decimal("0.0000005")
