"""One text rule at every door: text made only of invisible characters (zero-width
space, joiners, byte-order mark) is empty, so a required field says "Required" as it does
for "   "; a direction control that would reorder the page after it (U+202A-U+202E,
U+2066-U+2069) is refused naming the row and field. Bulk API, file import, quick form,
admin."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from customers import csv_io
from customers.forms import QuickInteractionForm
from customers.models import Customer, UsageDay
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
BIDI = (
    "contains the invisible text-direction control U+202E, which would reorder the text "
    "shown after it; remove it."
)


def rows_refused(kind: str, rows: list[dict]) -> list[tuple]:
    response = integration_client()[0].post(f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400, response.json()
    return [(e["index"], e["field"], e["message"]) for e in response.json()["error"]["rows"]]


def customer(name: str, external_id: str = "C-1") -> dict:
    return {"external_id": external_id, "name": name, "customer_since": "2024-01-01"}


def test_a_name_of_zero_width_characters_is_required_as_spaces_are():
    refused = rows_refused(
        "customers",
        [customer("   ", "C-1"), customer("\u200b\u200b", "C-2"), customer("\ufeff\u200d", "C-3")],
    )
    assert refused == [(0, "name", "Required."), (1, "name", "Required."), (2, "name", "Required.")]
    assert not Customer.objects.exists()


def test_a_usage_event_of_a_zero_width_space_is_required():
    CustomerFactory(external_id="X")
    row = {"customer": "X", "day": "2026-01-05", "event": "\u200b", "quantity": 3}
    assert rows_refused("usage", [row]) == [(0, "event", "Required.")]
    assert not UsageDay.objects.exists()


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_a_direction_control_is_refused_naming_the_field(control):
    refused = rows_refused("customers", [customer(f"Acme {control}Corp")])
    code = f"U+{ord(control):04X}"
    assert refused == [(0, "name", BIDI.replace("U+202E", code))]


@pytest.mark.parametrize("name", ["\u202eevil", "evil\u202e", "\u2066Acme\u2069"])
def test_a_direction_control_at_either_end_is_refused_not_trimmed(name, tmp_path):
    """Trimmed, the name stored would not be the one sent; refused at every door alike."""
    code = f"U+{ord(name[0] if name[0] != 'e' else name[-1]):04X}"
    message = BIDI.replace("U+202E", code)
    assert rows_refused("customers", [customer(name)]) == [(0, "name", message)]
    path = tmp_path / "customers.csv"
    path.write_text(f"external_id,name,customer_since\nC-1,{name},2024-01-01\n", encoding="utf-8")
    report = csv_io.check(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "name", message)
    ]
    acme = CustomerFactory(external_id="C-9")
    form = QuickInteractionForm(
        {
            "kind": "call",
            "direction": "outbound",
            "happened_at": f"{timezone.now() - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "notes": name,
        },
        customer=acme,
    )
    assert not form.is_valid() and form.errors["notes"] == [message[0].upper() + message[1:]]
    assert not Customer.objects.filter(external_id="C-1").exists()


def test_a_text_of_a_direction_control_alone_is_refused_not_read_as_empty():
    refused = rows_refused("customers", [customer("\u202e")])
    assert refused == [(0, "name", BIDI)]
    CustomerFactory(external_id="C-5")
    row = {
        "customer": "C-5",
        "kind": "call",
        "happened_at": "2026-01-05T10:00:00Z",
        "direction": "outbound",
        "notes": "\u2066",
        "external_id": "I-1",
    }
    assert rows_refused("interactions", [row]) == [(0, "notes", BIDI.replace("U+202E", "U+2066"))]


def test_visible_text_with_a_joiner_and_direction_marks_is_kept():
    # A zero-width joiner inside an emoji and the plain marks U+200E/U+200F reorder nothing
    # beyond themselves; they are part of what was typed.
    name = "Acme 👩\u200d💻 \u200fשלום\u200e"
    response = integration_client()[0].post(
        "/api/v1/customers/bulk/", {"rows": [customer(name)]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Customer.objects.get().name == name


def test_the_file_import_says_the_same(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "external_id,name,customer_since\nC-1,\u200b\u200b,2024-01-01\nC-2,Acme \u202eCorp,2024-01-01\n",
        encoding="utf-8",
    )
    report = csv_io.check(
        "customers", path, csv_io.default_mapping("customers", csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "name", "Required."),
        (3, "name", BIDI),
    ]


def test_the_quick_form_and_the_admin_say_the_same():
    acme = CustomerFactory(external_id="C-9")
    now = timezone.now() - dt.timedelta(hours=1)
    form = QuickInteractionForm(
        {
            "kind": "call",
            "direction": "outbound",
            "happened_at": f"{now:%Y-%m-%dT%H:%M}",
            "notes": "Called \u202eback",
        },
        customer=acme,
    )
    assert not form.is_valid()
    assert form.errors["notes"] == [BIDI[0].upper() + BIDI[1:]]
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    form = admin.site._registry[Customer].get_form(request)(
        {
            "external_id": "C-10",
            "name": "\u200b\u200b",
            "segment": "general",
            "customer_since": "2024-01-01",
            "status": "active",
        }
    )
    assert not form.is_valid()
    assert form.errors["name"] == ["This field is required."]
