"""Reads of the customer record."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from customers.models import Customer
from staff.models import Employee


def book_for(employee: Employee) -> QuerySet[Customer]:
    """The customers an employee owns, as primary or secondary owner."""
    return Customer.objects.filter(Q(primary_owner=employee) | Q(secondary_owner=employee))
