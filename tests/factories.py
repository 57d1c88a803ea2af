"""factory-boy factories: the smallest valid objects, overridden per test."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Contact, Contract, Customer, Interaction
from staff.models import Employee, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    region = "North"


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    name = factory.Sequence(lambda n: f"Employee {n}")
    email = factory.Sequence(lambda n: f"employee{n}@example.com")
    team = factory.SubFactory(TeamFactory)
    role = Employee.Role.ACCOUNT_MANAGER
    hired_on = dt.date(2020, 1, 1)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    segment = "general"
    region = "North"
    customer_since = dt.date(2021, 1, 1)
    primary_owner = factory.SubFactory(EmployeeFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    customer = factory.SubFactory(CustomerFactory)
    external_id = factory.Sequence(lambda n: f"K{n:06d}")
    start_date = dt.date(2025, 1, 1)
    end_date = dt.date(2025, 12, 31)
    annual_value = Decimal("12000.00")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    employee = factory.SelfAttribute("customer.primary_owner")
    kind = Interaction.Kind.CALL
    happened_at = factory.LazyFunction(timezone.now)
