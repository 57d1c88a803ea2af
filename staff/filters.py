"""Filters that name an employee, shared by the API's lists: ?owner=, ?employee=,
?successor=, ?manager= take the employee's id, their e-mail address (in any case, with
or without surrounding spaces: the e-mail rule of retention/email_address.py) or the HR
system's external id, as the bulk upserts do."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from retention.email_address import email_key
from staff.models import Employee

_ID_MAX = 2**63 - 1


def employees_named(value: str) -> QuerySet:
    """The ids of the employees `value` names (at most one, by the unique keys)."""
    value = value.strip()
    named = Q(email_key=email_key(value)) | Q(external_id=value)
    if value.isascii() and value.isdigit() and int(value) <= _ID_MAX:
        named |= Q(pk=int(value))
    return Employee.objects.filter(named).values("pk")


class EmployeeNamed(django_filters.CharFilter):
    """An employee by id, e-mail or HR external id; `field_names`: filter on any of these
    (e.g. primary or secondary owner)."""

    def __init__(self, *args, field_names: tuple[str, ...] = (), **kwargs):
        kwargs.setdefault("help_text", "An employee's id, e-mail address or HR external id.")
        super().__init__(*args, **kwargs)
        self.field_names = field_names

    def filter(self, queryset, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return queryset
        people = employees_named(value)
        fields = self.field_names or (self.field_name,)
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__in": people})
        return queryset.filter(match)


class EmployeeEmail(django_filters.CharFilter):
    """?email=: an employee's address in any case, with or without surrounding spaces."""

    def filter(self, queryset, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return queryset
        return queryset.filter(email_key=email_key(value))
