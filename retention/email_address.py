"""E-mail addresses, one rule for every door (forms, admin, API, CSV): internationalised
addresses (RFC 6531, e.g. jürgen@müller.example) are valid, surrounding spaces are
dropped, and identity ignores case (ben.berg@x and Ben.Berg@X are one person)."""

from __future__ import annotations

import contextlib
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_noop
from email_validator import EmailNotValidError, validate_email

from retention.wording import Worded


class EmailInvalid(ValueError):
    pass


def normalise_email(value: str) -> str:
    """The address as it is stored: trimmed, its domain in lower case (Unicode, not
    punycode); the local part keeps its case (shown as typed, compared without)."""
    value = (value or "").strip()
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        raise EmailInvalid(
            Worded(
                gettext_noop("%(value)s is not a valid e-mail address (%(reason)s)."),
                value=repr(value),
                reason=str(error),
            )
        ) from None
    return f"{checked.local_part}@{checked.domain.lower()}"


def email_key(value: str) -> str:
    """What two addresses must share to be the same person's: trimmed, case-folded
    (Unicode's full case folding, str.casefold: ΚΩΣΤΑΣ, κωστας and κωστασ are one; İ is
    i with its dot), in Unicode's composed form, and a punycode domain (xn--...) read as
    the Unicode one it stands for, as addresses are stored. Computed here, never by the
    database (whose lower() depends on its collation: ASCII only under "C"), and stored
    as Employee.email_key, so every door and every database compare alike."""
    value = unicodedata.normalize("NFC", (value or "").strip())
    if "xn--" in value.lower():
        with contextlib.suppress(EmailInvalid):  # an invalid address keys as typed
            value = normalise_email(value)
    return unicodedata.normalize("NFC", value.casefold())


def validate_international_email(value: str) -> None:
    try:
        normalise_email(value)
    except EmailInvalid as error:
        raise ValidationError(str(error), code="invalid") from None


class InternationalEmailFormField(forms.CharField):
    default_validators = [validate_international_email]

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return normalise_email(value)
        except EmailInvalid:
            return value.strip()  # the validator reports it


class InternationalEmailField(models.EmailField):
    """An EmailField that takes internationalised addresses and stores them normalised."""

    default_validators = [validate_international_email]

    def formfield(self, **kwargs):
        return super(models.EmailField, self).formfield(
            **{"form_class": InternationalEmailFormField, "max_length": self.max_length, **kwargs}
        )
