"""Reading one value of an imported row (API bulk upsert or CSV): each parser takes the
raw value (JSON or CSV text) and returns the Python value, or raises RowError saying in
words what is wrong with it."""

from __future__ import annotations

import datetime as dt
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
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise RowError(f"{value!r} is not a number.") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise RowError(f"{value!r} must be a number from 0 up to 999,999,999,999.99.")
    return amount.quantize(Decimal("0.01"))


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
    if blank(value):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value.strip()):
        raise RowError(f"{value!r} is not a three-letter ISO currency code, e.g. EUR.")
    return value.strip()
