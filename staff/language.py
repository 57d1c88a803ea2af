"""Each person's language: the one they chose (Employee.language), otherwise what the
browser asks for (Accept-Language, through Django's LocaleMiddleware). The API keeps the
caller's Accept-Language, so its error messages follow the request, not the key's user."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from retention.post_only import post_only
from staff.access import employee_of


def language_of(employee) -> str:
    """The language to write to this person in (e-mails): theirs, or the site's."""
    return getattr(employee, "language", "") or settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """After authentication: switch to the signed-in person's chosen language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = self.chosen_language(request)
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

    @staticmethod
    def chosen_language(request) -> str:
        if request.path.startswith("/api/"):
            return ""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        employee = employee_of(user)
        return employee.language if employee is not None else ""


@login_required
@post_only("home")
def choose_language(request: HttpRequest) -> HttpResponse:
    """Store the person's language (empty: follow the browser) and go back."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = ""
    employee = employee_of(request.user)
    if employee is not None:
        employee.language = language
        employee.save(update_fields=["language", "updated_at"])
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = redirect(back)
    # Also for people without an employee record (the cookie LocaleMiddleware reads).
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
