"""Input serializers refuse fields they do not know, as the bulk endpoints do: a
misspelled `done_on` for `taken_on` is a 400 naming the field, not a silent default.

Fields the serializer knows but only writes out (ids, computed values) are accepted and
ignored, so a client may send back what it read.

A text field takes a string, or a whole number as its digits (as the bulk endpoints and
the file import do); a JSON number with a fraction or exponent is refused by name (DRF
would store 1e21 as "1e+21"), as are true/false, lists and objects (DRF refuses those).
A flag takes JSON true or false only, and a record id a whole number (or its digits as
text): DRF would read "yes" as true and 3.0 as record 3."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers


class RejectUnknownFields:
    """Mixin for a DRF serializer: unknown keys in the request body raise a ValidationError
    with one message per unknown field (shape: {"field": ["Unknown field; see the schema."]})."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Unknown field; see the schema.")] for name in unknown}
                )
            inexact = {
                name: [
                    _(
                        "must be text, not the number %(value)s; send it in quotes to keep "
                        "every digit."
                    )
                    % {"value": repr(value)}
                ]
                for name, value in data.items()
                if isinstance(value, float)
                and isinstance(self.fields[name], serializers.CharField)
                and not self.fields[name].read_only
            }
            if inexact:
                raise serializers.ValidationError(inexact)
            loose = {}
            for name, value in data.items():
                field = self.fields[name]
                if field.read_only or value is None:
                    continue
                if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
                    # DRF takes "yes", "on", 1 and "True": a machine sends true or false.
                    loose[name] = [_("must be true or false.")]
                elif isinstance(field, serializers.PrimaryKeyRelatedField) and not (
                    (isinstance(value, int) and not isinstance(value, bool))
                    or (isinstance(value, str) and value.isascii() and value.isdigit())
                ):
                    # 3.0 or true would find record 3 or 1.
                    loose[name] = [_("must be a record id: a whole number.")]
            if loose:
                raise serializers.ValidationError(loose)
        return super().to_internal_value(data)
