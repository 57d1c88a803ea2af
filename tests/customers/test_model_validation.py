"""Nonsense is refused with a message that names the field, and nothing is half-saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.models import Contract, Customer, Interaction
from staff.models import Employee
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_contract_ending_before_it_starts_is_refused_on_end_date():
    contract = ContractFactory.build(
        customer=CustomerFactory(), start_date=dt.date(2025, 6, 1), end_date=dt.date(2025, 5, 31)
    )
    errors = errors_of(contract)
    assert "end_date" in errors
    assert "2025-05-31 is before the start date 2025-06-01" in errors["end_date"][0]


def test_contract_end_before_start_is_refused_by_the_database_too():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.create(
            customer=customer,
            external_id="K1",
            start_date=dt.date(2025, 6, 1),
            end_date=dt.date(2025, 1, 1),
            annual_value=Decimal("1"),
        )
    assert not Contract.objects.exists()


def test_negative_annual_value_is_refused():
    contract = ContractFactory.build(customer=CustomerFactory(), annual_value=Decimal("-5.00"))
    assert "annual_value" in errors_of(contract)


def test_currency_must_be_an_iso_code():
    contract = ContractFactory.build(customer=CustomerFactory(), currency="eu")
    assert "three-letter ISO currency code" in errors_of(contract)["currency"][0]


def test_duplicate_external_id_is_refused_with_the_field_named():
    CustomerFactory(external_id="ACME-1")
    duplicate = CustomerFactory.build(external_id="ACME-1", primary_owner=EmployeeFactory())
    assert "already exists" in errors_of(duplicate)["external_id"][0]


def test_unknown_owner_is_refused():
    customer = CustomerFactory.build(primary_owner=None)
    customer.primary_owner_id = 987654
    assert "Unknown employee #987654." in errors_of(customer)["primary_owner"]


def test_departed_employee_cannot_become_an_owner():
    gone = EmployeeFactory(
        name="Gone Person", status=Employee.Status.DEPARTED, departure_date=dt.date(2025, 1, 31)
    )
    customer = CustomerFactory()
    customer.primary_owner = gone
    assert "Gone Person has left the company" in errors_of(customer)["primary_owner"][0]


def test_same_person_cannot_be_primary_and_secondary_owner():
    owner = EmployeeFactory()
    customer = CustomerFactory.build(primary_owner=owner, secondary_owner=owner)
    assert "secondary_owner" in errors_of(customer)


def test_churned_customer_needs_a_date_and_a_reason():
    customer = CustomerFactory()
    customer.status = Customer.Status.CHURNED
    errors = errors_of(customer)
    assert set(errors) >= {"churned_on", "churn_reason"}


def test_churned_customer_without_reason_is_refused_by_the_database():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(
            status="churned", churned_on=dt.date(2025, 1, 1)
        )
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE


def test_satisfaction_only_on_kinds_that_carry_it():
    interaction = InteractionFactory.build(
        customer=CustomerFactory(), kind=Interaction.Kind.USAGE, satisfaction=7
    )
    assert "does not carry a satisfaction score" in errors_of(interaction)["satisfaction"][0]


def test_satisfaction_outside_1_to_10_is_refused():
    interaction = InteractionFactory.build(
        customer=CustomerFactory(), kind=Interaction.Kind.SURVEY, satisfaction=11
    )
    assert "satisfaction" in errors_of(interaction)


def test_interaction_contact_must_belong_to_the_same_customer():
    other_contact = ContactFactory()
    interaction = InteractionFactory.build(customer=CustomerFactory(), contact=other_contact)
    assert errors_of(interaction)["contact"] == ["This contact belongs to another customer."]


def test_contact_who_left_needs_the_date():
    contact = ContactFactory.build(customer=CustomerFactory(), status="left", left_on=None)
    assert "left_on" in errors_of(contact)


def test_employee_leaving_needs_a_departure_date_after_hiring():
    employee = EmployeeFactory.build(
        team=None, status=Employee.Status.DEPARTING, departure_date=None
    )
    assert "departure_date" in errors_of(employee)
    employee.departure_date = dt.date(2019, 1, 1)  # hired 2020-01-01
    assert "before the hire date" in errors_of(employee)["departure_date"][0]
