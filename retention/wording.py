"""Messages that can be worded again in another reader's language.

A message is built where it is found (a bad value in a row, a refused file) but may be
read later by someone else: an import's problems are found by a worker and read on the
page by whoever opens it. `Worded` is the message in the active language that keeps its
English source (`code`, marked with `gettext_noop`) and its figures (`params`); what is
stored keeps both next to the sentence (`coded`), and `reword` words it again in the
reader's language. The API builds its messages in the request, so they are already in
the reader's language (Accept-Language)."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext, override


class Worded(str):
    """`code % params` in the active language; `code` and `params` stay readable.
    Figures are plain JSON values (text, numbers), or messages themselves (`Worded`,
    `Joined`), so the message can be stored and worded again whole."""

    code: str
    params: dict

    def __new__(cls, code: str, /, **params) -> Worded:
        text = gettext(code) % params if params else gettext(code)
        self = super().__new__(cls, text)
        self.code, self.params = code, {k: _storable(v) for k, v in params.items()}
        return self

    def __str__(self) -> str:
        # str(message), and str() of an exception carrying it, keep the code and figures.
        return self


class Joined(str):
    """Messages listed in one: each part stays a message of its own."""

    parts: list
    separator: str

    def __new__(cls, parts, separator: str = "; ") -> Joined:
        parts = list(parts)
        self = super().__new__(cls, separator.join(parts))
        self.parts, self.separator = [_storable(p) for p in parts], separator
        return self

    def __str__(self) -> str:
        return self


class Day(str):
    """A day as a message's figure: written as the reader's language writes dates
    ("31 Dec 2026", "2026年12月31日"), stored as its ISO form."""

    iso: str

    def __new__(cls, day: dt.date) -> Day:
        self = super().__new__(cls, date_format(day))
        self.iso = day.isoformat()
        return self

    def __str__(self) -> str:
        return self


class Moment(str):
    """A date and time as a message's figure, as the reader's language writes them
    ("31 Dec 2026, 10:00"); stored as its ISO form. Shown as given (no time-zone shift)."""

    iso: str

    def __new__(cls, moment: dt.datetime) -> Moment:
        self = super().__new__(cls, date_format(moment, "SHORT_DATETIME_FORMAT"))
        self.iso = moment.replace(tzinfo=None).isoformat(timespec="minutes")
        return self

    def __str__(self) -> str:
        return self


def label(choice) -> Worded:
    """A choice's label (e.g. an interaction kind's) as a message's figure, worded in
    each reader's language."""
    with override("en"):
        source = str(choice.label)
    return Worded(source)


def _storable(value):
    if isinstance(value, Day):
        return {"day": value.iso}
    if isinstance(value, Moment):
        return {"moment": value.iso}
    if isinstance(value, Worded):
        return {"code": value.code, "params": value.params}
    if isinstance(value, Joined):
        return {"parts": value.parts, "separator": value.separator}
    return value


def _word(value):
    """A stored figure in the active language: messages worded again, figures as they are."""
    if isinstance(value, dict) and "code" in value:
        code = value["code"]
        params = {k: _word(v) for k, v in (value.get("params") or {}).items()}
        return gettext(code) % params if params else gettext(code)
    if isinstance(value, dict) and "day" in value:
        return Day(dt.date.fromisoformat(value["day"]))
    if isinstance(value, dict) and "moment" in value:
        return Moment(dt.datetime.fromisoformat(value["moment"]))
    if isinstance(value, dict) and "parts" in value:
        return value.get("separator", "; ").join(str(_word(p)) for p in value["parts"])
    return value


def coded(message: str) -> dict:
    """What to store beside the sentence so it can be worded again: {} for plain text."""
    if isinstance(message, Worded):
        return {"code": message.code, "params": message.params}
    if isinstance(message, Joined):
        return {"code": "%(parts)s", "params": {"parts": _storable(message)}}
    return {}


def reword(entry: dict, key: str = "message") -> str:
    """A stored message in the active language: from its code and figures when stored
    with them, else its sentence as it was stored."""
    code = entry.get("code")
    if not code:
        return entry.get(key) or ""
    try:
        return _word({"code": code, "params": entry.get("params")})
    except (KeyError, TypeError, ValueError):
        return entry.get(key) or ""
