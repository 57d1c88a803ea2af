"""One rule for every text field at every door (page forms, the admin, the API's
single-record and bulk endpoints, the file import):

- text made only of invisible characters (zero-width space and joiners, the byte-order
  mark, other format characters, category Cf) and spaces is empty: "\\u200b\\u200b" as a
  customer's name is "Required", as "   " is;
- the bidirectional controls that reorder the text after them (U+202A-U+202E embeddings
  and overrides, U+2066-U+2069 isolates) are refused, naming the field: an unclosed
  U+202E in a departure reason mirrored the page's own text after it. The plain
  direction marks U+200E and U+200F (which Hebrew and Arabic text uses, and which
  reorder nothing beyond themselves) are kept.

Pages isolate what people typed as well (`<bdi>` through the `user_text` filter, see
customers/templatetags/risk.py), so text stored before this rule cannot reorder a page
either. `install()` puts the rule into Django's and DRF's CharField, which every form,
ModelForm, admin form and serializer text field is; customers/row_values.py applies it
to the bulk API and the file import."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext_lazy, gettext_noop

# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI_MESSAGE_ID = gettext_noop(
    "contains the invisible text-direction control %(code)s, which would reorder the text "
    "shown after it; remove it."
)


def is_blank(text: str) -> bool:
    """True when nothing would show: only spaces and invisible format characters."""
    return not "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def bidi_control_in(text: str) -> str | None:
    """The first direction control in `text` as "U+202E", or None."""
    for character in text:
        if character in BIDI_CONTROLS:
            return f"U+{ord(character):04X}"
    return None


def bidi_message(code: str) -> str:
    return gettext_lazy(BIDI_MESSAGE_ID) % {"code": code}


def install() -> None:
    """Hold Django's form CharField and DRF's CharField to the rule (once, at start-up)."""
    from django import forms
    from rest_framework import fields as drf_fields

    if getattr(forms.CharField, "_text_rule", False):
        return

    form_to_python = forms.CharField.to_python

    def to_python(self, value):
        value = form_to_python(self, value)
        if isinstance(value, str) and value not in self.empty_values:
            if is_blank(value):
                return self.empty_value
            code = bidi_control_in(value)
            if code:
                raise forms.ValidationError(_capital(bidi_message(code)), code="bidi_control")
        return value

    forms.CharField.to_python = to_python
    forms.CharField._text_rule = True

    drf_run_validation = drf_fields.CharField.run_validation
    drf_to_internal_value = drf_fields.CharField.to_internal_value

    def run_validation(self, data=drf_fields.empty):
        if isinstance(data, str) and data and is_blank(data):
            data = ""  # then "may not be blank" or "", as for "   "
        return drf_run_validation(self, data)

    def to_internal_value(self, data):
        value = drf_to_internal_value(self, data)
        code = bidi_control_in(value) if isinstance(value, str) else None
        if code:
            raise drf_fields.ValidationError(_capital(bidi_message(code)), code="bidi_control")
        return value

    drf_fields.CharField.run_validation = run_validation
    drf_fields.CharField.to_internal_value = to_internal_value


def _capital(message) -> str:
    """A form's or serializer's message stands alone under its field: "Contains ..."."""
    text = str(message)
    return text[:1].upper() + text[1:]
