"""Under /api/ every error answers in the API's one error shape (retention/api/errors.py),
whatever DEBUG says. A module of its own: errors.py imports DRF, whose settings import
errors.py, too early for the middleware list."""

from __future__ import annotations

from django.http import JsonResponse

_DJANGO_ERRORS = {
    400: ("parse_error", "The request could not be read."),
    403: ("permission_denied", "You may not do this."),
    404: ("not_found", "Not found."),
    500: ("error", "Server error; it has been logged."),
}


class ApiErrorsAsJson:
    """With DEBUG on, Django answers an unknown URL and an uncaught exception with its
    technical HTML pages instead of the handlers of api/errors.py; under /api/ a client gets the
    one JSON error shape whatever the settings (the exception is logged as usual)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status_code = response.status_code
        if (
            (status_code in _DJANGO_ERRORS or status_code >= 500)
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = _DJANGO_ERRORS.get(status_code, _DJANGO_ERRORS[500])
            body = {"status": status_code, "code": code, "message": message}
            return JsonResponse({"error": body}, status=status_code)
        return response
