"""The OpenAPI schema documents the error shape (retention/api/errors.py) on every
operation, so clients and schema checks know what a 4xx looks like."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class RowProblemSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    fields = serializers.DictField(required=False)
    rows = RowProblemSerializer(many=True, required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


# Words of the schema follow the reader's language (Accept-Language, or ?lang= on the
# schema's URL); the field names and codes they describe stay English.
ERRORS = {
    "400": _("Bad input: see error.fields or error.rows."),
    "401": _("No valid API key or session."),
    "403": _("Your role does not allow this."),
    "404": _("Not found, or not visible to you."),
    "405": _("Method not allowed."),
    "406": _("Not acceptable."),
    "415": _("Unsupported media type."),
    "429": _("Too many requests for this key; retry later."),
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in ERRORS.items():
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses


def fields_by_role(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: fields a serializer leaves out for some
    readers (HandoverTaskSerializer.NOT_FOR_HR: HR reads no risk, dependence, priority
    or reasons) are not `required` in its response component, and say when they are
    absent, so a client generated from the schema accepts HR's answers."""
    from handover.api import HandoverTaskSerializer

    component = result.get("components", {}).get("schemas", {}).get("HandoverTask")
    if component:
        hidden = set(HandoverTaskSerializer.NOT_FOR_HR)
        component["required"] = [f for f in component.get("required", []) if f not in hidden]
        for name in hidden & set(component.get("properties", {})):
            described = component["properties"][name]
            note = str(_("Absent when the caller's role is HR."))
            described["description"] = f"{described.get('description', '')} {note}".strip()
    return result
