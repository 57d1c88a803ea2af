"""The API's JSON reader (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): a body is refused
with a message that names what is wrong with it, never read as something it is not.

Kept apart from retention.api.errors, whose module imports rest_framework.views: that
import resolves the parser setting, so the parser cannot live in a module it loads."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.parsers import get_encoding
from rest_framework.utils import json as drf_json


class JsonNumber(float):
    """A JSON number with a fraction or exponent, as a float that keeps the spelling it was
    sent in (`as_sent`), so an amount sent as 1E5 can be refused as written, not read as
    the 100000.0 a JSON reader makes of it (customers.row_values.plain_number)."""

    as_sent: str

    def __new__(cls, spelling: str):
        number = super().__new__(cls, spelling)
        number.as_sent = spelling
        return number


class _RepeatedNames(dict):
    """A JSON object that names a field more than once (Python's reader keeps the last
    value and drops the others without a word): the names given more than once."""

    repeated: list[str]


def _object_reader(found: list) -> Callable[[list], dict]:
    """json's object_pairs_hook: a dict of the pairs, a _RepeatedNames (also appended to
    `found`) when a name repeats."""

    def read(pairs: list[tuple[str, object]]) -> dict:
        record = dict(pairs)
        if len(record) == len(pairs):
            return record
        repeated = _RepeatedNames(record)
        names = [name for name, _ in pairs]
        repeated.repeated = sorted({name for name in names if names.count(name) > 1})
        found.append(repeated)
        return repeated

    return read


def _first_repeated(value, path: str = "") -> tuple[str, str] | None:
    """(where, field) of the first object in `value` that names a field twice."""
    if isinstance(value, _RepeatedNames):
        return path, value.repeated[0]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first_repeated(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}")
        if found:
            return found
    return None


def _not_in_encoding(raw: bytes, error: UnicodeDecodeError, encoding: str) -> str:
    """The message for a body that is not in its declared encoding (UTF-8 unless the
    Content-Type names a charset): the first byte that cannot be read, in hex, with its
    line and column (1-based, counted in bytes on that line), as a spreadsheet saved as
    Windows-1252 and sent as JSON would show it (`caf\\xe9` -> byte 0xE9)."""
    start = error.start
    line = raw.count(b"\n", 0, start) + 1
    column = start - (raw.rfind(b"\n", 0, start) + 1) + 1
    return _(
        "The body is not %(encoding)s: line %(line)s, column %(column)s holds the byte "
        "0x%(byte)s, which %(encoding)s cannot read. Send the JSON as %(encoding)s (a file "
        "saved as Windows-1252 or Latin-1 has to be converted first)."
    ) % {
        "encoding": encoding.upper().replace("UTF8", "UTF-8"),
        "line": line,
        "column": column,
        "byte": f"{raw[start]:02X}",
    }


# Codecs Python counts as text encodings that are no character set of a body: they
# rewrite text (escapes, domain names), so a body read with them is not what was sent.
_NOT_CHARSETS = {"punycode", "idna", "unicode-escape", "raw-unicode-escape"}


def _character_encoding(name: str) -> bool:
    """Whether a declared charset is a character encoding the body can be read in."""
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return False
    return codec._is_text_encoding and codec.name not in _NOT_CHARSETS


class JSONParser(parsers.JSONParser):
    """JSON nested too deeply for Python's parser is a 400, not a server error; a body
    that is not JSON is named by line and column in the reader's language (the parser's
    own text is English); an object that names a field twice (`{"phone": "1", "phone":
    ""}`, whose first value a JSON reader drops) is refused, naming the object by its
    place in the body (`rows[3]`) and the field, as the file import refuses a header
    that names a column twice. A body that is not in its encoding (UTF-8 unless the
    Content-Type names another charset) is refused naming the first unreadable byte by
    line and column."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        request = (parser_context or {}).get("request")
        compressed = request.META.get("HTTP_CONTENT_ENCODING", "") if request else ""
        if compressed.strip().lower() not in ("", "identity"):
            raise exceptions.ParseError(
                _(
                    "The body is sent with Content-Encoding %(encoding)s, which the API does not "
                    "read; send it uncompressed."
                )
                % {"encoding": repr(compressed)}
            )
        raw = stream.read() if stream is not None else b""
        if encoding.lower().replace("-", "") == "utf8" and b"\x00" in raw[:4]:
            # JSON text has no NUL: a body whose first characters are each followed (or
            # preceded) by a zero byte is UTF-16 or UTF-32, saved so by a Windows tool.
            raise exceptions.ParseError(
                _(
                    "The body looks like UTF-16 or UTF-32 (zero bytes between its characters); "
                    "send the JSON as UTF-8."
                )
            )
        if not _character_encoding(encoding):
            raise exceptions.ParseError(
                _("The charset %(charset)s is not a character encoding the API reads; send UTF-8.")
                % {"charset": repr(encoding)}
            )
        try:
            text = codecs.decode(raw, encoding)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(_not_in_encoding(raw, error, encoding)) from None
        except UnicodeError:  # a decoder's own refusal without a position
            raise exceptions.ParseError(
                _("The body is not %(encoding)s; send the JSON as UTF-8.")
                % {"encoding": encoding.upper()}
            ) from None
        # A byte order mark, as Windows tools write before UTF-8 (RFC 8259 section 8.1
        # lets a reader ignore it), is not part of the JSON.
        text = text.removeprefix("\ufeff")
        try:
            try:
                repeated: list = []
                data = json.loads(
                    text,
                    parse_constant=drf_json.strict_constant,
                    parse_float=JsonNumber,
                    object_pairs_hook=_object_reader(repeated),
                )
            except ValueError as error:
                raise exceptions.ParseError(f"JSON parse error - {error}") from error
        except RecursionError:
            raise exceptions.ParseError(_("The JSON is nested too deeply to read.")) from None
        except exceptions.ParseError as error:
            cause = error.__context__
            if isinstance(cause, json.JSONDecodeError):
                raise exceptions.ParseError(
                    _("The body is not valid JSON (line %(line)s, column %(column)s).")
                    % {"line": cause.lineno, "column": cause.colno}
                ) from None
            if isinstance(cause, ValueError) and "digits" in str(cause):
                # Python reads whole numbers of at most 4,300 digits (int_max_str_digits).
                raise exceptions.ParseError(
                    _("The body holds a number of more than 4,300 digits; send it as text.")
                ) from None
            if isinstance(cause, ValueError):  # a number JSON has not
                raise exceptions.ParseError(_("The body is not valid JSON.")) from None
            raise
        found = repeated and _first_repeated(data)
        if found:
            where, field = found
            raise exceptions.ParseError(
                _("%(where)s names the field %(field)s more than once; send it once.")
                % {"where": where.lstrip(".") or _("The body"), "field": repr(field)}
            )
        return data
