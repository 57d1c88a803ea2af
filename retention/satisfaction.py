"""A customer's satisfaction is scored from 1 to 10, and every door says so in the same
words: the quick interaction form, a handover follow-up, the admin, the API's bulk
upsert and the file import (`customers.row_values.score`) all refuse -3, 0 and 11 with
`RANGE_MESSAGE`, never Django's "greater than or equal to 0" beside "... to 1"."""

from __future__ import annotations

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


class SatisfactionFormField(forms.IntegerField):
    """A form's satisfaction: a whole number 1-10, out of range refused in one message."""

    def __init__(self, **kwargs):
        kwargs = {"min_value": LOWEST, "max_value": HIGHEST, **kwargs}
        kwargs["error_messages"] = {**_MESSAGES, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


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
