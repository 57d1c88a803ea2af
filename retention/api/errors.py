"""One error shape for every API error:

    {"error": {"status": 400, "code": "invalid", "message": "...",
               "fields": {"name": ["..."]}, "rows": [{"index": 3, "field": "...", "message": "..."}]}}

`fields` is there for a single object's validation errors, `rows` for bulk requests,
`unknown` and `accepted` for a query parameter the endpoint does not know (code
"unknown_parameter")."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
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
