"""Date and moment filters of the API's query strings, held to what the API documents
and its request bodies take (customers/row_values: `date`, `moment`): a day as
YYYY-MM-DD, a moment as ISO 8601's extended form, in ASCII digits. Django's and Python's
readers would also take `01/02/2027` (read month first), `2026-12-1`, `2026-W48-1` and
full-width digits, which a sender cannot have meant as what a person reads back."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,12})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
)


class IsoDateField(forms.DateField):
    """YYYY-MM-DD only; a well-formed day that does not exist (2026-02-30) is said to
    be that."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            day = value.strip()
            if not _DAY.fullmatch(day):
                raise ValidationError(_("Enter a date as YYYY-MM-DD (ISO 8601)."), code="invalid")
            try:
                return dt.date.fromisoformat(day)
            except ValueError:
                raise ValidationError(
                    _("%(value)s is not a real date."), code="invalid", params={"value": repr(day)}
                ) from None
        return super().to_python(value)


class IsoDateFilter(django_filters.DateFilter):
    field_class = IsoDateField


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment in its extended form (a day alone is its midnight), turned
    into UTC (the database refuses far-off offsets)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not _MOMENT.fullmatch(value.strip()):
            raise ValidationError(
                _("Enter a moment as ISO 8601, e.g. 2026-12-01T09:30:00Z."), code="invalid"
            )
        moment = super().to_python(value)
        if moment is None or moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
