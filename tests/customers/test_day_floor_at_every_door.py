"""A day before 1 Jan 1900 is a typing slip at every door and for every kind, not only for
the kinds with rules of their own: an exchange rate or a usage total for 0001-01-01 is
refused by the API, the file import and the admin alike (a stored one would make the
rates export fail to import back, and become the currency's earliest rate)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from customers import csv_io
from customers.models import ExchangeRate, UsageDay
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "1 Jan 0001 is before 1 Jan 1900; check the year."
ROWS = {
    "exchange-rates": {"currency": "GBP", "day": "0001-01-01", "rate": "1.5"},
    "usage": {"customer": "C-1", "day": "0001-01-01", "event": "logins", "quantity": "3"},
}


@pytest.fixture(autouse=True)
def customer():
    return CustomerFactory(external_id="C-1")


@pytest.mark.parametrize("kind", list(ROWS))
def test_the_api_refuses_naming_the_row_and_field(kind):
    response = integration_client()[0].post(
        f"/api/v1/{kind}/bulk/", {"rows": [ROWS[kind]]}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    rows = response.json()["error"]["rows"]
    assert [(r["index"], r["field"], r["message"]) for r in rows] == [(0, "day", MESSAGE)]
    assert not ExchangeRate.objects.exists() and not UsageDay.objects.exists()


@pytest.mark.parametrize(
    ("kind", "file_kind"), [("exchange-rates", "exchange_rates"), ("usage", "usage")]
)
def test_the_file_import_refuses_the_same(tmp_path, kind, file_kind):
    path = tmp_path / "rows.csv"
    path.write_text(
        ",".join(ROWS[kind]) + "\n" + ",".join(ROWS[kind].values()) + "\n", encoding="utf-8"
    )
    report = csv_io.import_file(
        file_kind, path, csv_io.default_mapping(file_kind, csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "day", MESSAGE)
    ]


def test_the_admin_refuses_a_rate_for_year_one():
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    form = admin.site._registry[ExchangeRate].get_form(request)(
        {"currency": "SEK", "day": "0001-01-01", "rate": "0.09"}
    )
    assert not form.is_valid()
    assert form.errors["day"] == [MESSAGE]


def test_the_admin_refuses_an_employee_hired_or_bound_before_1900():
    from staff.models import Employee
    from tests.factories import EmployeeFactory

    ben = EmployeeFactory(name="Ben")
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root2", is_staff=True, is_superuser=True)
    Form = admin.site._registry[Employee].get_form(request, ben)
    form = Form(instance=ben)
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"hired_on": "1850-01-01", "confidentiality_until": "1850-01-01"}
    refused = Form(data, instance=ben)
    assert not refused.is_valid()
    assert refused.errors["hired_on"] == ["1 Jan 1850 is before 1 Jan 1900; check the year."]
    assert refused.errors["confidentiality_until"] == [
        "1 Jan 1850 is before 1 Jan 1900; check the year."
    ]
