"""Every free-text field people or systems write has a limit, named once: the model
field's max_length. A `LimitedTextField` holds it to that at every door: model forms and
the admin (max_length), API serializers built from the model, `full_clean()` (the
validator), and services that take the text as an argument (`check_length`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.functional import cached_property


class LimitedTextField(models.TextField):
    """A TextField whose max_length is a rule of the model, not only a hint to forms."""

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)

    @cached_property
    def validators(self):
        return [*super().validators, MaxLengthValidator(self.max_length)]

    def to_python(self, value):
        # One line break, whoever wrote it: a browser's textarea sends CRLF, an old Mac
        # export a lone CR (customers/row_values.py `text` reads files and the API so).
        value = super().to_python(value)
        return one_line_break(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return one_line_break(value) if isinstance(value, str) else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": TextFormField, **kwargs})

    def deconstruct(self):
        # The database column is a plain text column; migrations need no import of ours.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.TextField", args, kwargs


def one_line_break(text: str) -> str:
    """`text` with every line break (CRLF, CR) written as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def check_length(model: type[models.Model], name: str, value: str) -> None:
    """Refuse `value` for the field `name` of `model` if it is longer than the field takes,
    as a ValidationError naming the field."""
    try:
        model._meta.get_field(name).run_validators(value)
    except ValidationError as error:
        raise ValidationError({name: error.messages}) from None


def limit_of(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


class TextFormField(forms.CharField):
    """A form's free text with every line break one character (LF), as it is stored and
    counted against the limit: a browser's textarea sends CRLF, which would count twice."""

    def to_python(self, value):
        value = super().to_python(value)
        return one_line_break(value) if isinstance(value, str) else value
