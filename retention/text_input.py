"""One rule for every text field at every door (page forms, the admin, the API's
single-record and bulk endpoints, the file import):

- text made only of invisible characters (zero-width space and joiners, the byte-order
  mark, other format characters, category Cf) and spaces is empty: "\\u200b\\u200b" as a
  customer's name is "Required", as "   " is;
- text is stored in Unicode's composed form (NFC, as the W3C character model asks of
  text on the web): "Café" typed on a Mac (e + combining accent, NFD) and on Windows is
  one name and one external id, found by one search; invisible format characters at
  either end are trimmed as spaces are ("C-17\u200b" pasted from a web page is "C-17");
- an identifier (an external id, a reference to one) holding an invisible character
  inside is refused, naming it: "C-\u200b17" would be a second record that looks like
  C-17;
- the bidirectional controls that reorder the text after them (U+202A-U+202E embeddings
  and overrides, U+2066-U+2069 isolates) are refused, naming the field: an unclosed
  U+202E in a departure reason mirrored the page's own text after it; at either end
  too (trimming it would store other text than was sent). The plain
  direction marks U+200E and U+200F (which Hebrew and Arabic text uses, and which
  reorder nothing beyond themselves) are kept.

Pages isolate what people typed as well (`<bdi>` through the `user_text` filter, see
customers/templatetags/risk.py), so text stored before this rule cannot reorder a page
either. `install()` puts the rule into Django's and DRF's CharField, which every form,
ModelForm, admin form and serializer text field is, and reads a serializer's choice as
the bulk API does; customers/row_values.py applies it to the bulk API and the file
import."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.utils.translation import gettext_lazy, gettext_noop

# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI_MESSAGE_ID = gettext_noop(
    "contains the invisible text-direction control %(code)s, which would reorder the text "
    "shown after it; remove it."
)


INVISIBLE_IN_ID = gettext_noop(
    "contains the invisible character %(code)s, which would make it a different id from the "
    "one it looks like; remove it."
)


# Direction marks are part of right-to-left text, at its ends too ("שלום\u200e").
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")


def _trimmed(character: str) -> bool:
    """Trimmed from either end: spaces and invisible format characters, but not the
    direction marks (part of the text) nor the direction controls (refused wherever they
    stand, at an end too, so what is stored is what was sent)."""
    return character.isspace() or (
        unicodedata.category(character) == "Cf"
        and character not in DIRECTION_MARKS
        and character not in BIDI_CONTROLS
    )


def normalised(text: str) -> str:
    """`text` in NFC, with spaces and invisible format characters (category Cf: zero-width
    space and joiners, the byte-order mark; not the direction marks or controls) trimmed
    from both ends."""
    if text.isascii():  # the common case: already NFC, nothing invisible but spaces
        return text.strip()
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    start, end = 0, len(text)
    while start < end and _trimmed(text[start]):
        start += 1
    while end > start and _trimmed(text[end - 1]):
        end -= 1
    return text[start:end] if (start, end) != (0, len(text)) else text


# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode
# 15.1): code points that show as nothing, whatever category Unicode files them under
# (format characters, but also the combining grapheme joiner, the Hangul fillers,
# variation selectors, Khmer inherent vowels, tags). Python's unicodedata has no
# accessor for it, so the ranges are listed here.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
_ASCII_CONTROL = re.compile("[\\x00-\\x1f\\x7f]")


def _shows_nothing(character: str) -> bool:
    if unicodedata.category(character) in ("Cf", "Cc", "Zl", "Zp"):
        return True  # format and control characters, line and paragraph separators
    point = ord(character)
    return any(first <= point <= last for first, last in _DEFAULT_IGNORABLE)


def invisible_in(text: str) -> str | None:
    """The first character of `text` that shows as nothing, as "U+200B", or None: format
    characters (zero-width space and joiners), control characters (U+0001, DEL, U+0085),
    line and paragraph separators, and every Default_Ignorable_Code_Point (U+034F,
    U+3164, variation selectors, tags). An identifier holding one would be a second
    record that looks like the first."""
    if text.isascii():  # the common case: only the ASCII controls can hide in it
        hidden = _ASCII_CONTROL.search(text)
        return None if hidden is None else f"U+{ord(hidden.group()):04X}"
    for character in text:
        if _shows_nothing(character):
            return f"U+{ord(character):04X}"
    return None


def validate_identifier(value) -> None:
    """Model validator of external ids (forms, the admin, the API's single records): no
    invisible character inside."""
    from django.core.exceptions import ValidationError

    code = invisible_in(value) if isinstance(value, str) else None
    if code:
        raise ValidationError(
            _capital(gettext_lazy(INVISIBLE_IN_ID) % {"code": code}), code="invisible"
        )


NOT_A_REAL_DATE = gettext_noop("%(value)s is not a real date.")


def is_blank(text: str) -> bool:
    """True when nothing would show: only spaces and invisible format characters. Not
    when a direction control is among them: that is refused, not read as nothing."""
    if text.isprintable():  # no format character (Cf) in it: blank when only spaces
        return not text.strip()
    if bidi_control_in(text):
        return False
    return not "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def bidi_control_in(text: str) -> str | None:
    """The first direction control in `text` as "U+202E", or None."""
    if text.isascii():
        return None
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
            if self.strip:  # not a password (strip=False), which is compared as typed
                value = normalised(value)
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
        if isinstance(value, str) and self.trim_whitespace:  # not a password
            value = normalised(value)
        code = bidi_control_in(value) if isinstance(value, str) else None
        if code:
            raise drf_fields.ValidationError(_capital(bidi_message(code)), code="bidi_control")
        return value

    drf_fields.CharField.run_validation = run_validation
    drf_fields.CharField.to_internal_value = to_internal_value

    # A date field of the API's single records reads what the bulk endpoints read
    # (customers/row_values.date): YYYY-MM-DD in ASCII digits, and a well-formed day that
    # does not exist is said to be that, not a "wrong format" (2026-02-30).
    drf_date_to_internal_value = drf_fields.DateField.to_internal_value

    def date_to_internal_value(self, value):
        if isinstance(value, str) and value.strip():
            day = value.strip()
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
                self.fail("invalid", format="YYYY-MM-DD")
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise drf_fields.ValidationError(
                    _capital(gettext_lazy(NOT_A_REAL_DATE) % {"value": repr(day)}),
                    code="invalid",
                ) from None
        return drf_date_to_internal_value(self, value)

    drf_fields.DateField.to_internal_value = date_to_internal_value

    # A choice of the API's single records is read as the bulk endpoints and the files
    # read one (customers/row_values.choice): trimmed and in any case, ASCII letters only.
    drf_choice_to_internal_value = drf_fields.ChoiceField.to_internal_value

    def choice_to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data not in self.choice_strings_to_values:
            wanted = data.strip().casefold()
            for text in self.choice_strings_to_values:
                if text.casefold() == wanted:
                    data = text
                    break
        return drf_choice_to_internal_value(self, data)

    drf_fields.ChoiceField.to_internal_value = choice_to_internal_value

    # An amount with more decimals than its column keeps is refused in the words the bulk
    # API and the file import use ("'10.005' has more than 2 decimals."), in every form and
    # the admin too (Django's DecimalValidator, which the form and model fields run).
    from django.core.validators import DecimalValidator

    DecimalValidator.messages = {
        **DecimalValidator.messages,
        "max_decimal_places": gettext_lazy("'%(value)s' has more than %(max)s decimals."),
    }


def _capital(message) -> str:
    """A form's or serializer's message stands alone under its field: "Contains ..."."""
    text = str(message)
    return text[:1].upper() + text[1:]


# Invisible format characters a stored value may carry at its ends (pasted from web pages
# and spreadsheets), as one PostgreSQL bracket expression: a migration finds the values
# `normalised` would change with it and `IS NOT NFC NORMALIZED`.
_EDGE_INVISIBLE = "[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]"


def normalise_column(connection, table: str, column: str, *, unique: bool) -> int:
    """Store `table.column` as `normalised` gives it (NFC, trimmed of invisible
    characters), for the rows that differ: found by one statement (PostgreSQL with UTF-8
    only; elsewhere nothing is stored from before the rule). A unique value that would
    become another row's is left as it is (the two records are for a person to merge).
    Returns the rows changed."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_encoding")
        if cursor.fetchone()[0].upper() not in ("UTF8", "UTF-8"):
            return 0
        cursor.execute(
            f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND "
            f"({column} IS NOT NFC NORMALIZED OR {column} ~ %s)",
            [f"^{_EDGE_INVISIBLE}|{_EDGE_INVISIBLE}$|^\\s|\\s$"],
        )
        found = [(pk, value, normalised(value)) for pk, value in cursor.fetchall()]
        updates: dict[int, str] = {}
        taken: set[str] = set()
        if unique and found:
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)",
                [[new for _, _, new in found]],
            )
            taken = {value for (value,) in cursor.fetchall()}
        for pk, value, new in found:
            if new == value or not new or (unique and new in taken):
                continue
            taken.add(new)
            updates[pk] = new
        if updates:
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.new "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, new) WHERE t.id = v.id",
                [list(updates), list(updates.values())],
            )
        return len(updates)


def normalise_stored(columns: list[tuple[str, str, bool]]):
    """A migration's RunPython function: each (table, column, unique) of `columns`
    stored as `normalise_column` gives it, so that ids and names stored before the text
    rule ("Café" in either form, an id pasted with a zero-width space) find their
    record."""

    def run(apps, schema_editor) -> None:
        for table, column, unique in columns:
            normalise_column(schema_editor.connection, table, column, unique=unique)

    return run
