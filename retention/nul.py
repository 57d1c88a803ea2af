"""A NUL character (U+0000) in a page's query string: no search or filter value holds one,
and PostgreSQL refuses it inside any text it is given ("A string literal cannot contain
NUL"), so a search box or an admin list filter handed `?q=%00` answered with a server
error. Every request's query string is checked once, here, before any view reads it: a
400 in the app's frame naming the parameter (JSON in the API's error shape under /api/,
whose filters refuse it as well)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _


class RefuseNulInQuery:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.META.get(
            "QUERY_STRING", ""
        ):
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return self._refused(request, name.replace("\x00", "\\0"))
        return self.get_response(request)

    @staticmethod
    def _refused(request, name: str):
        from retention.api.errors import _api_error

        message = _("%(name)s holds a NUL character (\\0), which no search or filter holds.") % {
            "name": name
        }
        return _api_error(request, 400, "parse_error", message) or render(
            request, "400.html", {"message": message}, status=400
        )
