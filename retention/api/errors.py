"""One error shape for every API error:

    {"error": {"status": 400, "code": "invalid", "message": "...",
               "fields": {"name": ["..."]}, "rows": [{"index": 3, "field": "...", "message": "..."}]}}

`fields` is there for a single object's validation errors, `rows` for bulk requests,
`unknown` and `accepted` for a query parameter the endpoint does not know (code
"unknown_parameter")."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import defaults
from rest_framework import exceptions, parsers, status
from rest_framework.parsers import get_encoding
from rest_framework.serializers import as_serializer_error
from rest_framework.utils import json as drf_json
from rest_framework.views import exception_handler


class BulkRowsInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_rows"

    def __init__(self, rows: list[dict]):
        self.rows = rows
        super().__init__(
            ngettext(
                "%(count)d problem found; nothing was written.",
                "%(count)d problems found; nothing was written.",
                len(rows),
            )
            % {"count": len(rows)}
        )


def _first_message(data) -> str:
    if isinstance(data, dict):
        for value in data.values():
            return _first_message(value)
    if isinstance(data, list) and data:
        return _first_message(data[0])
    return str(data)


def handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = exceptions.ParseError(
            _(
                "The request body is larger than the %(limit)s bytes one request may carry; "
                "send fewer rows per request."
            )
            % {"limit": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"}
        )
    elif isinstance(exc, SuspiciousOperation):  # Django's English text stays in the log
        exc = exceptions.ParseError(_("The request could not be read."))
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = {"status": response.status_code, "code": "error", "message": ""}
    if isinstance(exc, BulkRowsInvalid):
        body |= {"code": exc.default_code, "message": str(exc.detail), "rows": exc.rows}
    elif isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body |= {"code": "invalid", "message": _first_message(detail), "fields": detail}
    elif hasattr(exc, "accepted"):  # retention/api/params.py: an unknown query parameter
        body |= {
            "code": exc.default_code,
            "message": str(exc.detail),
            "unknown": exc.unknown,
            "accepted": exc.accepted,
        }
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body |= {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(getattr(exc, "detail", exc)),
        }
    response.data = {"error": body}
    return response


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


# --- Django's own error views: JSON in the one shape under /api/, the usual pages elsewhere --


def _api_error(request, status_code: int, code: str, message: str):
    if request.path.startswith("/api/"):
        body = {"status": status_code, "code": code, "message": message}
        return JsonResponse({"error": body}, status=status_code)
    return None


def bad_request(request, exception=None):
    return _api_error(request, 400, "parse_error", _("The request could not be read.")) or (
        defaults.bad_request(request, exception)
    )


def permission_denied(request, exception=None):
    return _api_error(request, 403, "permission_denied", _("You may not do this.")) or (
        defaults.permission_denied(request, exception)
    )


def page_not_found(request, exception=None):
    return _api_error(request, 404, "not_found", _("Not found.")) or (
        defaults.page_not_found(request, exception)
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from a page that is out of date (its user signed
    out and in again in another tab, or its session ended): the app's own 403 page, in
    the reader's language, saying nothing was saved and how to go on, with a link back
    to the page it came from (on this site only). JSON in the one shape under /api/."""
    from django.shortcuts import render
    from django.utils.http import url_has_allowed_host_and_scheme

    message = _("This form was out of date, so nothing was saved. Reload the page and try again.")
    refused = _api_error(request, 403, "csrf_failed", message)
    if refused is not None:
        return refused
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    return render(request, "403_csrf.html", {"message": message, "back": back}, status=403)


def server_error(request):
    return _api_error(request, 500, "error", _("Server error; it has been logged.")) or (
        defaults.server_error(request)
    )
