"""A customer's satisfaction is scored from 1 to 10, and every door says so in the same
words: the quick interaction form, a handover follow-up, the admin, the API's bulk
upsert and the file import (`customers.row_values.score`) all refuse -3, 0 and 11 with
`RANGE_MESSAGE`, never Django's "greater than or equal to 0" beside "... to 1"."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

LOWEST, HIGHEST = 1, 10
# The msgid, for messages stored untranslated (a Worded of an import's report).
RANGE_MESSAGE_ID = gettext_noop("Satisfaction is scored from 1 to 10.")
RANGE_MESSAGE = _("Satisfaction is scored from 1 to 10.")
_MESSAGES = {"min_value": RANGE_MESSAGE, "max_value": RANGE_MESSAGE}


def in_range_validators() -> list:
    return [
        MinValueValidator(LOWEST, message=RANGE_MESSAGE),
        MaxValueValidator(HIGHEST, message=RANGE_MESSAGE),
    ]


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def whole_number(value) -> int | None:
    """`value` as a whole number if it is one written in plain ASCII digits (an int, or
    text such as "7" or " 7 "), else None: "1_0" (Python's int() reads 10), "٧" and
    "８" (other scripts' digits), "7.5", "1e1" and True are not. The one reading of a
    score at every door."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


class SatisfactionFormField(forms.IntegerField):
    """A form's satisfaction: a whole number 1-10 in plain digits (whole_number), out of
    range refused in one message."""

    def __init__(self, **kwargs):
        kwargs = {"min_value": LOWEST, "max_value": HIGHEST, **kwargs}
        kwargs["error_messages"] = {**_MESSAGES, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = whole_number(value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class SatisfactionField(models.PositiveSmallIntegerField):
    """A model's satisfaction score, 1-10 (the table's check constraint says the same)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", in_range_validators())
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SatisfactionFormField, **kwargs})

    def deconstruct(self):
        # The column is a plain smallint; the wording is no part of the schema, so the
        # migrations keep the field as it was.
        name, _path, args, kwargs = super().deconstruct()
        kwargs["validators"] = [MinValueValidator(LOWEST), MaxValueValidator(HIGHEST)]
        return name, "django.db.models.PositiveSmallIntegerField", args, kwargs
