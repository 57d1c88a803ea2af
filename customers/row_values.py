"""Reading one value of an imported row (API bulk upsert or CSV): each parser takes the
raw value (JSON or CSV text) and returns the Python value, or raises RowError saying in
words what is wrong with it."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


class RowError(ValueError):
    """A value that cannot be taken; the message says why."""


# --- parsers: raw value -> Python value, or RowError ---------------------------------------


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def storable(value: str) -> str:
    """Text the database can hold: no NUL character, valid Unicode."""
    if "\x00" in value:
        raise RowError("contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RowError("contains characters that are not valid Unicode.") from None
    return value


def text(max_length: int) -> Callable:
    def parse(value):
        if blank(value):
            return ""
        if not isinstance(value, str | int):
            raise RowError("must be text.")
        value = str(value).strip()
        if len(value) > max_length:
            raise RowError(f"is {len(value)} characters long; at most {max_length}.")
        return storable(value)

    return parse


def choice(choices: Iterable[str]) -> Callable:
    allowed = list(choices)

    def parse(value):
        if blank(value):
            return ""
        if value not in allowed:
            raise RowError(f"{value!r} is not one of {', '.join(allowed)}.")
        return value

    return parse


def date(value):
    if blank(value):
        return None
    try:
        parsed = parse_date(value.strip()) if isinstance(value, str) else None
    except ValueError:  # well formed but impossible, e.g. month 13
        raise RowError(f"{value!r} is not a real date.") from None
    if parsed is None:
        raise RowError(f"{value!r} is not a date (YYYY-MM-DD).")
    return parsed


def moment(value):
    if blank(value):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowError(f"{value!r} is not a date and time (ISO 8601, e.g. 2026-05-01T14:30:00Z).")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    try:
        return parsed.astimezone(dt.UTC)  # the database refuses far-off offsets
    except OverflowError:
        raise RowError(f"{value!r} is out of range.") from None


def money(value):
    if blank(value):
        return None
    if isinstance(value, float):
        value = repr(value)  # a JSON or spreadsheet number: its shortest exact spelling
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise RowError(f"{value!r} is not a number.") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise RowError(f"{value!r} must be a number from 0 up to 999,999,999,999.99.")
    return amount.quantize(Decimal("0.01"))


def rate(value):
    """An exchange rate: a positive number, up to 10 decimals."""
    if blank(value):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RowError(f"{value!r} is not a number.") from None
    if not number.is_finite() or number <= 0 or number >= Decimal("1e10"):
        raise RowError(f"{value!r} must be a positive number below 10,000,000,000.")
    return number.quantize(Decimal("1e-10"))


def flag(value):
    if blank(value):
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"true", "1", "yes", "y"}:
        return True
    if lowered in {"false", "0", "no", "n"}:
        return False
    raise RowError(f"{value!r} is not true or false.")


def score(value):
    if blank(value):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RowError(f"{value!r} is not a whole number.") from None
    if not 1 <= number <= 10:
        raise RowError(f"{number} is outside 1 to 10.")
    return number


def currency(value):
    """A currency code as ISO 4217 writes it: "jpy" and " JPY " are JPY; a code that is
    not a currency (ZZZ) is refused."""
    if blank(value):
        return None
    if not isinstance(value, str):
        raise RowError(f"{value!r} is not a three-letter ISO currency code, e.g. EUR.")
    return currency_code(value)


def currency_code(value: str) -> str:
    """The one rule for a currency code at every door (API, file import, admin): trimmed,
    in capitals, three letters and a currency of ISO 4217; RowError says what is wrong."""
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise RowError(f"{value!r} is not a three-letter ISO currency code, e.g. EUR.")
    if code not in _iso_currencies():
        raise RowError(f"{code} is not an ISO 4217 currency code.")
    return code


@functools.cache
def _iso_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def email(max_length: int = 254) -> Callable:
    """An e-mail address, internationalised ones included (RFC 6531), trimmed."""
    read_text = text(max_length)

    def parse(value):
        value = read_text(value)
        if not value:
            return ""
        from retention.email_address import EmailInvalid, normalise_email

        try:
            return normalise_email(value)
        except EmailInvalid as problem:
            raise RowError(str(problem)) from None

    return parse


# --- numbers written by people: the file's decimal mark, or refused as ambiguous --------

DECIMAL_MARKS = {".": "point (1,234.56)", ",": "comma (1.234,56)"}


def number_text(value: str, decimal_mark: str | None) -> str:
    """A number as a person typed it in a file ("1.234,50", "12.000", "1 500") turned into
    plain "1234.50", by the file's decimal mark; with no known mark, a number that reads
    two ways ("12.000": twelve or twelve thousand) is refused rather than guessed."""
    raw = value.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not raw:
        return raw
    sign = ""
    if raw[0] in "+-":
        sign, raw = raw[0], raw[1:]
    compact = raw.replace(" ", "").replace("'", "")
    if not re.fullmatch(r"[0-9.,]+", compact):
        return value.strip()  # not written like a number: the parser says why
    marks = [c for c in compact if c in ".,"]
    if not marks:
        return sign + compact
    if decimal_mark is None:
        last = marks[-1]
        if len(set(marks)) == 2:
            decimal_mark = last  # "1.234,56" and "1,234.56" say which one is decimal
        elif len(marks) > 1:
            decimal_mark = "," if last == "." else "."  # "1.234.567": grouping only
        elif re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", compact):
            raise RowError(
                f"{value.strip()!r} reads two ways (decimal {last!r} or thousands "
                "separator); choose the file's decimal mark or write it without grouping."
            )
        else:
            decimal_mark = last
    group = "," if decimal_mark == "." else "."
    whole, _, fraction = compact.partition(decimal_mark)
    if decimal_mark in fraction or group in fraction:
        raise RowError(f"{value.strip()!r} is not a number with decimal mark {decimal_mark!r}.")
    if group in whole and not re.fullmatch(
        r"[0-9]{1,3}(" + re.escape(group) + r"[0-9]{3})+", whole
    ):
        raise RowError(
            f"{value.strip()!r} is not a number with decimal mark {decimal_mark!r} "
            f"(thousands are grouped by three)."
        )
    whole = whole.replace(group, "")
    return sign + (whole or "0") + ("." + fraction if fraction else "")


# --- spreadsheet formulas: an exported cell never runs, an imported one comes back -------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _needs_guard(value: str) -> bool:
    """A spreadsheet runs a cell that starts with a formula character, also after
    leading spaces (" =1+1"), so those are guarded too."""
    if value[:1] in FORMULA_STARTS or value.lstrip()[:1] in FORMULA_STARTS:
        return True
    return value[:1] == "'" and _needs_guard(value[1:])


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula (OWASP "CSV
    injection"): one apostrophe before a leading = + - @ tab or carriage return (or
    spaces and then one of them). Read back with `from_spreadsheet`, the value is the
    same."""
    return "'" + value if value and _needs_guard(value) else value


def from_spreadsheet(value: str) -> str:
    """The inverse of spreadsheet_safe."""
    if value[:1] == "'" and _needs_guard(value[1:]):
        return value[1:]
    return value
