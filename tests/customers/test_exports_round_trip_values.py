"""Every export imports back unchanged whatever its values hold: multi-line notes with
quotes, commas, formulas and unicode; empty optional fields; times with their offset;
decimal amounts and rates; dates of churn and leaving; records made in the app, by the
API and by a file alike. Formula characters after leading spaces are guarded too."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from customers import csv_io, upsert
from customers.models import Contact, Contract, Customer, ExchangeRate, Interaction
from customers.row_values import from_spreadsheet, spreadsheet_safe
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
NOTE = (
    '- He said "no, not at this price", then wrote =SUM(A1:A9) in the thread.\r\n'
    "Second line, with commas; semicolons; 北京星辰 🚀 and Müller.\n"
    "\n"
    '@team: "quoted ""twice"" inside"\r'
    "last line after a lone carriage return"
)


@pytest.fixture
def admin_client(client):
    boss = EmployeeFactory(
        role="admin", user=UserFactory(username="ada", is_staff=True, is_superuser=True)
    )
    client.force_login(boss.user)
    return client


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        (" =1+1", "' =1+1"),
        ("   +49 30 123", "'   +49 30 123"),
        ("\u00a0-5", "'\u00a0-5"),
        (" \t@SUM(A1)", "' \t@SUM(A1)"),
        ("\n=cmd", "'\n=cmd"),
        ("' =x", "'' =x"),
        (" plain", " plain"),
        ("a = b", "a = b"),
    ],
)
def test_a_formula_after_leading_spaces_is_guarded_and_reads_back_the_same(value, guarded):
    assert spreadsheet_safe(value) == guarded
    assert not spreadsheet_safe(value).lstrip().startswith(FORMULA_STARTS)
    assert from_spreadsheet(spreadsheet_safe(value)) == value


def rows_of(kind: str) -> dict:
    model = {
        "customers": Customer,
        "contacts": Contact,
        "contracts": Contract,
        "interactions": Interaction,
        "exchange_rates": ExchangeRate,
    }[kind]
    return {
        record.pk: model_to_dict(record, exclude=["updated_at", "created_at"])
        for record in model.objects.all()
    }


def test_tricky_values_of_every_kind_export_and_import_back_unchanged(tmp_path, admin_client):
    owner = EmployeeFactory(name="Ben Berg", email="ben@example.com")
    written = {
        "customers": [
            {
                "external_id": "C-1",
                "name": '=HYPERLINK("http://x.example","x"), Inc.',
                "customer_since": "2020-02-29",
                "status": "churned",
                "churned_on": "2025-12-31",
                "churn_reason": "price",
                "churn_reason_detail": NOTE[:400],
                "primary_owner": "ben@example.com",
            },
            {"external_id": "C-2", "name": "Ünïcödé 北京 🚀", "customer_since": "2024-01-01"},
        ],
        "contacts": [
            {
                "external_id": "P-1",
                "customer": "C-2",
                "name": 'O\'Brien, "Pat"',
                "phone": "+353 1 234 5678",
                "is_decision_maker": True,
                "status": "left",
                "known_since": "2024-01-01",
                "left_on": "2025-06-30",
            },
            {"external_id": "P-2", "customer": "C-2", "name": "-Dash"},
        ],
        "contracts": [
            {
                "external_id": "K-1",
                "customer": "C-2",
                "start_date": "2025-01-01",
                "end_date": "2025-12-31",
                "annual_value": "1234.56",
                "auto_renew": True,
            },
            {
                "external_id": "K-2",
                "customer": "C-2",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "annual_value": "0.50",
            },
        ],
        "exchange_rates": [{"currency": "USD", "day": "2026-01-02", "rate": "1.0823"}],
        "interactions": [
            {
                "external_id": "I-1",
                "customer": "C-2",
                "kind": "meeting",
                "happened_at": "2026-03-01T09:15:30+02:00",
                "notes": NOTE,
                "contact": "P-1",
                "employee": "ben@example.com",
                "satisfaction": 4,
            },
            {
                "external_id": "I-2",
                "customer": "C-2",
                "kind": "email",
                "happened_at": "2026-03-02T23:59:59Z",
            },
        ],
    }
    for kind, rows in written.items():
        outcome = upsert.upsert(kind, rows)
        assert (kind, outcome.errors) == (kind, [])
    # Stored with one kind of line break (LF), whichever the sender wrote.
    assert owner.pk and Interaction.objects.get(external_id="I-1").notes == (
        NOTE.replace("\r\n", "\n").replace("\r", "\n")
    )
    for kind, rows in written.items():
        before = rows_of(kind)
        response = admin_client.post(reverse("export", args=[kind]), {"reason": "Round trip"})
        raw = b"".join(response.streaming_content)
        assert raw.startswith(b"\xef\xbb\xbf")
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert len(table) == 1 + len(rows)
        text_cells = [cell for record in table for cell in record]
        assert not [c for c in text_cells if c.lstrip().startswith(FORMULA_STARTS)], kind
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(raw)
        mapping = csv_io.default_mapping(kind, csv_io.sniff(path)[1])
        report = csv_io.import_file(kind, path, mapping)
        assert (kind, report.problems, report.created, report.updated, report.unchanged) == (
            kind,
            [],
            0,
            0,
            len(rows),
        )
        assert rows_of(kind) == before, kind
    assert Contract.objects.get(external_id="K-2").annual_value == Decimal("0.50")
    assert ExchangeRate.objects.get().rate == Decimal("1.0823")
    assert Interaction.objects.get(external_id="I-1").happened_at == dt.datetime(
        2026, 3, 1, 7, 15, 30, tzinfo=dt.UTC
    )
    assert Interaction.objects.get(external_id="I-2").contact is None
    assert Contact.objects.get(external_id="P-2").name == "-Dash"
