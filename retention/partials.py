"""Parts of pages sent by htmx (the interaction log on the customer page, import
progress) when the session has ended: Django's answer is a redirect to the sign-in page,
which htmx follows and would swap into the form, losing what was typed. Such a request is
answered 401 with a sentence instead; static/app/forms.js shows it above the form and
leaves the form as it was."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _


class SignInAgainForPartials:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.headers.get("HX-Request") == "true"
            and response.status_code in (301, 302, 303)
            and urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)
        ):
            return HttpResponse(
                _(
                    "Your session has ended, so nothing was saved. Sign in again in another "
                    "tab, then send this again: what you typed here is kept."
                ),
                status=401,
                content_type="text/plain; charset=utf-8",
            )
        return response
