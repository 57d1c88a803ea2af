"""Values as other tools and people write them, read the same at every door (the bulk API,
the file import, the forms and the admin's full_clean): whole numbers in plain digits only
("1_0", "٧", "８" are not 10, 7 and 8), choices in any case and with spaces around them,
amounts with no more decimals than their currency has (JPY none), one kind of line break."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers import csv_io
from customers.currency import ExchangeRate
from customers.forms import QuickInteractionForm
from customers.models import Contract, Customer, Interaction
from tests.api.helpers import integration_client, refused
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/{}/bulk/"
NOW = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
WHEN = timezone.localtime(NOW).strftime("%Y-%m-%dT%H:%M")  # as a browser's field sends it


@pytest.fixture
def api():
    return integration_client()[0]


def import_file(tmp_path, kind: str, text: str, *, check: bool = False) -> csv_io.Report:
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(text.encode("utf-8"))
    _, header = csv_io.sniff(path)
    mapping = csv_io.default_mapping(kind, header)
    return (csv_io.check if check else csv_io.import_file)(kind, path, mapping)


ODD_DIGITS = ["1_0", "\u0667", "\uff18", "7.0", "+ 7"]


def interaction(index: int, satisfaction) -> dict:
    return {
        "external_id": f"I-{index}",
        "customer": "C-1",
        "kind": "call",
        "happened_at": NOW.isoformat(),
        "satisfaction": satisfaction,
    }


def test_a_satisfaction_in_other_digits_is_refused_at_the_api(api):
    CustomerFactory(external_id="C-1")
    rows = [interaction(i, value) for i, value in enumerate(ODD_DIGITS)]
    assert refused(api, "interactions", rows) == [
        (i, "satisfaction", f"{value!r} is not a whole number.")
        for i, value in enumerate(ODD_DIGITS)
    ]
    assert not Interaction.objects.exists()
    # Plain digits, as text or a number, with spaces around them: read.
    rows = [interaction(0, " 7 "), interaction(1, 8)]
    response = api.post(URL.format("interactions"), {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    assert sorted(Interaction.objects.values_list("satisfaction", flat=True)) == [7, 8]


def test_a_satisfaction_in_other_digits_is_refused_by_the_file_import_and_the_form(tmp_path):
    customer = CustomerFactory(external_id="C-1")
    lines = "".join(
        f"I-{i},C-1,call,{NOW.isoformat()},{value}\n" for i, value in enumerate(ODD_DIGITS[:3])
    )
    report = import_file(
        tmp_path, "interactions", "external_id,customer,kind,happened_at,satisfaction\n" + lines
    )
    assert [(p["line"], p["column"]) for p in report.problems] == [
        (2, "satisfaction"),
        (3, "satisfaction"),
        (4, "satisfaction"),
    ]
    assert not Interaction.objects.exists()
    for value in ODD_DIGITS[:3]:
        form = QuickInteractionForm(
            {"kind": "call", "direction": "outbound", "satisfaction": value, "happened_at": WHEN},
            customer=customer,
        )
        assert not form.is_valid() and "satisfaction" in form.errors, value


def test_choices_are_read_in_any_case_with_spaces_around_them(api, tmp_path):
    rows = [
        {"external_id": "A", "name": "A", "customer_since": "2024-01-01", "segment": "Core "},
        {"external_id": "B", "name": "B", "customer_since": "2024-01-01", "segment": " IMPORTANT"},
    ]
    response = api.post(URL.format("customers"), {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    report = import_file(
        tmp_path, "customers", "external_id,name,customer_since,segment\nC,C,2024-01-01, General\n"
    )
    assert report.problem_count == 0
    assert dict(Customer.objects.values_list("external_id", "segment")) == {
        "A": "core",
        "B": "important",
        "C": "general",
    }
    # A value that is none of them is still refused.
    rows[0]["segment"] = "vip"
    assert refused(api, "customers", rows[:1]) == [
        (0, "segment", "'vip' is not one of core, important, general.")
    ]


def test_an_amount_with_decimals_its_currency_has_not_is_refused_at_every_door(api, tmp_path):
    customer = CustomerFactory(external_id="C-1")
    ExchangeRate.objects.create(currency="JPY", day=dt.date(2024, 1, 1), rate=Decimal("0.0062"))
    contract = {
        "external_id": "K-1",
        "customer": "C-1",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "currency": "JPY",
        "annual_value": "5000000.55",
    }
    assert refused(api, "contracts", [contract]) == [
        (0, "annual_value", "5000000.55 has more decimals than JPY amounts have (0).")
    ]
    report = import_file(
        tmp_path,
        "contracts",
        "external_id,customer,start_date,end_date,currency,annual_value\n"
        "K-2,C-1,2025-01-01,2025-12-31,JPY,1200.5\n",
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "annual_value", "1200.5 has more decimals than JPY amounts have (0).")
    ]
    with pytest.raises(ValidationError) as refusal:
        Contract(
            customer=customer,
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
            currency="JPY",
            annual_value=Decimal("99.50"),
        ).full_clean()
    assert "annual_value" in refusal.value.message_dict
    assert not Contract.objects.exists()
    # Whole yen, and cents of euros, are amounts.
    contract["annual_value"] = "5000000"
    response = api.post(URL.format("contracts"), {"rows": [contract]}, format="json")
    assert response.status_code == 200, response.json()


def test_every_line_break_is_stored_as_one(api, tmp_path):
    customer = CustomerFactory(external_id="C-1")
    row = interaction(0, None) | {"notes": "first\r\nsecond\rthird"}
    response = api.post(URL.format("interactions"), {"rows": [row]}, format="json")
    assert response.status_code == 200, response.json()
    report = import_file(
        tmp_path,
        "interactions",
        f'external_id,customer,kind,happened_at,notes\rI-9,C-1,call,{NOW.isoformat()},"old\rmac"\r',
    )
    assert report.problem_count == 0, report.problems
    form = QuickInteractionForm(
        {
            "kind": "call",
            "direction": "outbound",
            "happened_at": WHEN,
            "notes": "typed\r\nin a browser",
        },
        customer=customer,
    )
    assert form.is_valid(), form.errors
    form.save()
    assert sorted(Interaction.objects.values_list("notes", flat=True)) == [
        "first\nsecond\nthird",
        "old\nmac",
        "typed\nin a browser",
    ]


def test_a_browser_s_crlf_counts_as_one_character_against_the_limit():
    customer = CustomerFactory(external_id="C-1")
    limit = Interaction._meta.get_field("notes").max_length
    lines = limit // 2  # "x\r\n" per line: 3 characters sent, 2 stored
    notes = "x\r\n" * lines
    form = QuickInteractionForm(
        {"kind": "call", "direction": "outbound", "happened_at": WHEN, "notes": notes},
        customer=customer,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["notes"] == ("x\n" * lines).strip()


def test_a_choice_in_other_letters_is_refused(api):
    rows = [{"external_id": "A", "name": "A", "customer_since": "2024-01-01", "segment": "ſcore"}]
    assert refused(api, "customers", rows) == [
        (0, "segment", "'ſcore' is not one of core, important, general.")
    ]


def test_an_amount_stored_before_the_rule_comes_back_unchanged_without_refusal(api):
    """A JPY contract stored with decimals before they were checked: re-sent as it is
    (a sync client's every night), it is not refused; changed, the rule applies."""
    from tests.factories import ContractFactory

    customer = CustomerFactory(external_id="C-1")
    ExchangeRate.objects.create(currency="JPY", day=dt.date(2024, 1, 1), rate=Decimal("0.0062"))
    stored = ContractFactory(
        customer=customer,
        external_id="K-OLD",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        currency="JPY",
        annual_value=Decimal("5000000.55"),
    )
    row = {
        "external_id": "K-OLD",
        "customer": "C-1",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "currency": "JPY",
        "annual_value": "5000000.55",
    }
    response = api.post(URL.format("contracts"), {"rows": [row]}, format="json")
    assert response.status_code == 200, response.json()
    stored.refresh_from_db()
    stored.full_clean()  # the admin saves it as it is
    row["annual_value"] = "5000000.56"
    assert refused(api, "contracts", [row]) == [
        (0, "annual_value", "5000000.56 has more decimals than JPY amounts have (0).")
    ]
