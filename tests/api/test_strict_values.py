"""What the bulk API takes: strict ISO dates (and says so), amounts that are never rounded,
dates inside one set of bounds, and dry runs that answer the real run's counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Contact, Contract, Customer, ExchangeRate, Interaction
from tests.api.helpers import integration_client, refused
from tests.factories import ContactFactory, ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/{}/bulk/"
TODAY = timezone.localdate()


@pytest.fixture
def api():
    return integration_client()[0]


def contract(value, **extra) -> dict:
    return {
        "external_id": "K-1",
        "customer": "C-1",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "annual_value": value,
    } | extra


@pytest.mark.parametrize("value", ["10.005", 10.005, "0.001"])
def test_an_amount_with_more_than_two_decimals_is_refused_not_rounded(api, value):
    CustomerFactory(external_id="C-1")
    assert refused(api, "contracts", [contract(value)]) == [
        (0, "annual_value", f"{str(value)!r} has more than 2 decimals.")
    ]
    assert not Contract.objects.exists()


def test_trailing_zeros_are_no_rounding(api):
    CustomerFactory(external_id="C-1")
    response = api.post(URL.format("contracts"), {"rows": [contract("10.500")]}, format="json")
    assert response.status_code == 200
    assert Contract.objects.get().annual_value == Decimal("10.50")


def test_an_exchange_rate_with_more_than_ten_decimals_is_refused(api):
    rows = [{"currency": "USD", "day": "2025-01-01", "rate": "1.12345678901"}]
    assert refused(api, "exchange-rates", rows) == [
        (0, "rate", "'1.12345678901' has more than 10 decimals.")
    ]
    assert not ExchangeRate.objects.exists()


def test_a_rate_repeated_in_another_case_is_refused_as_the_same_currency_and_day(api):
    rows = [
        {"currency": "gbp", "day": "2026-11-18", "rate": "1.15"},
        {"currency": "GBP", "day": "2026-11-18", "rate": "1.16"},
    ]
    assert refused(api, "exchange-rates", rows) == [
        (1, "day", "The same currency and day is also in row 0 of this request.")
    ]
    assert not ExchangeRate.objects.filter(currency="GBP").exists()


@pytest.mark.parametrize(
    "day",
    [
        "12/31/2025",
        "31.12.2025",
        "2025/12/31",
        "20251231",  # ISO's basic form: Python reads it, the API documents the extended
        "2025-W01-3",  # a week date
        "2025-1-5",
        "\uff12\uff10\uff12\uff15-\uff10\uff11-\uff10\uff11",  # full-width digits
    ],
)
def test_the_api_takes_iso_dates_only_and_says_so(api, day):
    row = {"external_id": "C-1", "name": "Acme", "customer_since": day}
    assert refused(api, "customers", [row]) == [
        (
            0,
            "customer_since",
            f"{day!r} is not a date: the API takes dates as YYYY-MM-DD (ISO 8601) only.",
        )
    ]


def test_a_dry_run_answers_the_counts_of_the_real_run_and_writes_nothing(api):
    for key, name in (("C-1", "Acme"), ("C-2", "Bolt")):  # as a row that names only these
        CustomerFactory(
            external_id=key,
            name=name,
            customer_since=dt.date(2024, 1, 1),
            region="",
            primary_owner=None,
        )
    rows = [
        {"external_id": "C-1", "name": "Acme", "customer_since": "2024-01-01"},  # unchanged
        {"external_id": "C-2", "name": "Bolt GmbH", "customer_since": "2024-01-01"},  # updated
        {"external_id": "C-3", "name": "Cobalt", "customer_since": "2024-01-01"},  # created
    ]
    before = list(Customer.objects.order_by("id").values_list("external_id", "name", "updated_at"))
    dry = api.post(URL.format("customers"), {"rows": rows, "dry_run": True}, format="json")
    assert dry.json() == {
        "received": 3,
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "dry_run": True,
    }
    after = list(Customer.objects.order_by("id").values_list("external_id", "name", "updated_at"))
    assert after == before
    real = api.post(URL.format("customers"), {"rows": rows}, format="json").json()
    assert {k: real[k] for k in ("created", "updated", "unchanged")} == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
    }


FUTURE = (TODAY + dt.timedelta(days=1)).isoformat()
# Messages write a day as the reader's language writes dates ("1 Dec 2026").
FUTURE_WRITTEN = f"{TODAY + dt.timedelta(days=1):%-d %b %Y}"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            {"customer_since": "9999-12-31"},
            "customer_since",
            "31 Dec 9999 is in the future; give a day that has happened.",
        ),
        (
            {"customer_since": "1899-12-31"},
            "customer_since",
            "31 Dec 1899 is before 1 Jan 1900; check the year.",
        ),
        (
            {"status": "churned", "churned_on": "2099-01-01", "churn_reason": "price"},
            "churned_on",
            "1 Jan 2099 is in the future; give a day that has happened.",
        ),
    ],
)
def test_customer_dates_outside_their_bounds_are_refused(api, row, field, message):
    base = {"external_id": "C-1", "name": "Acme", "customer_since": "2020-01-01"}
    assert refused(api, "customers", [base | row]) == [(0, field, message)]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            {"known_since": "2025-06-01", "status": "left", "left_on": "2025-05-01"},
            "left_on",
            "The leaving date 2025-05-01 is before known since 2025-06-01.",
        ),
        (
            {"known_since": FUTURE},
            "known_since",
            f"{FUTURE_WRITTEN} is in the future; give a day that has happened.",
        ),
        (
            {"known_since": "0001-01-01"},
            "known_since",
            "1 Jan 0001 is before 1 Jan 1900; check the year.",
        ),
    ],
)
def test_contact_dates_outside_their_bounds_are_refused(api, row, field, message):
    CustomerFactory(external_id="C-1")
    base = {"external_id": "P-1", "customer": "C-1", "name": "Dora"}
    assert refused(api, "contacts", [base | row]) == [(0, field, message)]
    assert not Contact.objects.exists()


def test_an_interaction_before_1900_is_refused(api):
    CustomerFactory(external_id="C-1")
    row = {
        "external_id": "I-1",
        "customer": "C-1",
        "kind": "call",
        "happened_at": "0001-01-01T00:00:00Z",
    }
    assert refused(api, "interactions", [row]) == [
        (0, "happened_at", "1 Jan 0001 is before 1 Jan 1900; check the year.")
    ]
    assert not Interaction.objects.exists()


def test_the_same_bounds_hold_in_the_models_clean():
    from django.core.exceptions import ValidationError

    contact = ContactFactory.build(
        customer=CustomerFactory(),
        known_since=dt.date(2025, 6, 1),
        status="left",
        left_on=dt.date(2025, 5, 1),
    )
    with pytest.raises(ValidationError) as raised:
        contact.clean()
    assert raised.value.message_dict == {
        "left_on": ["The leaving date 2025-05-01 is before known since 2025-06-01."]
    }
    old = ContractFactory.build(
        customer=CustomerFactory(), start_date=dt.date(1066, 10, 14), end_date=dt.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError) as raised:
        old.clean()
    assert raised.value.message_dict == {
        "start_date": ["14 Oct 1066 is before 1 Jan 1900; check the year."]
    }


@pytest.mark.parametrize(
    "moment",
    ["20260105T101500Z", "2026-W02-1T10:15:00Z", "2026-1-5T10:15:00Z", "2026-01-05T10:15"[:13]],
)
def test_the_api_takes_iso_date_times_in_their_extended_form_only(api, moment):
    CustomerFactory(external_id="C-1")
    row = {"external_id": "I-1", "customer": "C-1", "kind": "call", "happened_at": moment}
    assert refused(api, "interactions", [row]) == [
        (
            0,
            "happened_at",
            f"{moment!r} is not a date and time: the API takes ISO 8601 only, e.g. "
            "2026-05-01T14:30:00Z.",
        )
    ]


@pytest.mark.parametrize(
    ("moment", "utc"),
    [
        ("2026-01-05T10:15:00Z", "2026-01-05 10:15:00"),
        ("2026-01-05 10:15:00.123+0100", "2026-01-05 09:15:00.123000"),
        ("2026-01-05T10:15:00,5-02:00", "2026-01-05 12:15:00.500000"),
    ],
)
def test_iso_date_times_with_fractions_and_offsets_are_taken(api, moment, utc):
    CustomerFactory(external_id="C-1")
    row = {"external_id": "I-1", "customer": "C-1", "kind": "call", "happened_at": moment}
    response = api.post(URL.format("interactions"), {"rows": [row]}, format="json")
    assert response.status_code == 200, response.json()
    stored = Interaction.objects.get().happened_at.astimezone(dt.UTC)
    assert str(stored.replace(tzinfo=None)) == utc


NOT_ISO = [
    "01/02/2027",  # read month first by Django's default input formats
    "12/01/2026",
    "2026-12-1",
    "2026-W48-1",
    "\uff12\uff10\uff12\uff16-12-01",
]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contracts/?ends_before={}",
        "/api/v1/risk-scores/?day={}",
        "/api/v1/usage/?day_from={}",
        "/api/v1/exchange-rates/?day_after={}",
        "/api/v1/exchange-rates/?day={}",
        "/api/v1/alerts/?opened_since={}",
    ],
)
@pytest.mark.parametrize("day", NOT_ISO)
def test_date_filters_take_iso_days_only(api, path, day):
    response = api.get(path.format(day), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert "Enter a date as YYYY-MM-DD (ISO 8601)." in response.content.decode()


@pytest.mark.parametrize("moment", ["2026-W48-1", "2026-12-1T10:00", "20261201T100000Z"])
def test_moment_filters_take_iso_8601_extended_form_only(api, moment):
    response = api.get(f"/api/v1/interactions/?happened_after={moment}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert "Enter a moment as ISO 8601, e.g. 2026-12-01T09:30:00Z." in response.content.decode()


def test_iso_filters_still_filter(api):
    ContractFactory(customer=CustomerFactory(external_id="C-9"), end_date=dt.date(2027, 1, 2))
    response = api.get("/api/v1/contracts/?ends_before=2027-01-01")
    assert response.status_code == 200 and response.json()["results"] == []
    response = api.get("/api/v1/contracts/?ends_before=2027-01-02")
    assert len(response.json()["results"]) == 1
    response = api.get("/api/v1/interactions/?happened_after=2026-12-01T09:30:00%2B01:00")
    assert response.status_code == 200
    response = api.get("/api/v1/contracts/?ends_before=2027-02-30", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "'2027-02-30' is not a real date." in response.content.decode()


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (
            "2026-03-29T02:30:00",
            "'2026-03-29T02:30:00' does not exist in Europe/Berlin (the clocks moved forward); "
            "send it with its UTC offset.",
        ),
        (
            "2026-10-25T02:30:00",
            "'2026-10-25T02:30:00' happened twice in Europe/Berlin (the clocks moved back); "
            "send it with its UTC offset.",
        ),
    ],
)
def test_a_local_time_the_clocks_skipped_or_passed_twice_is_refused(api, settings, sent, message):
    settings.TIME_ZONE = "Europe/Berlin"
    CustomerFactory(external_id="C-1")
    row = {"external_id": "I-1", "customer": "C-1", "kind": "call", "happened_at": sent}
    assert refused(api, "interactions", [row]) == [(0, "happened_at", message)]
    assert not Interaction.objects.exists()
    # With its offset it is one moment: stored.
    row["happened_at"] = sent + "+01:00"
    response = api.post(URL.format("interactions"), {"rows": [row]}, format="json")
    assert response.status_code == 200, response.json()
    # An ordinary local time is read in the zone: 10:00 in Berlin on 30 March (summer
    # time, UTC+2) is 08:00 UTC.
    row |= {"external_id": "I-2", "happened_at": "2026-03-30T10:00:00"}
    assert api.post(URL.format("interactions"), {"rows": [row]}, format="json").status_code == 200
    stored = Interaction.objects.get(external_id="I-2").happened_at
    assert stored == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)


def test_an_amount_refused_for_its_decimals_is_quoted_as_sent(api):
    CustomerFactory(external_id="C-1")
    body = (
        b'{"rows": [{"external_id": "K-1", "customer": "C-1", "start_date": "2025-01-01", '
        b'"end_date": "2025-12-31", "annual_value": 1000.0000000000000000001}]}'
    )
    response = api.post(URL.format("contracts"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [
        {
            "index": 0,
            "field": "annual_value",
            "message": "'1000.0000000000000000001' has more than 2 decimals.",
        }
    ]
