"""Views that only take a form's POST, and what a GET of them means.

A person whose session ended while a form was open posts it, is sent to the sign-in
page with `?next=` set to the form's target, signs in, and is sent back there with a
GET. Django's `require_POST` answers that with a blank 405 and the form is lost without
a word. `post_only` sends the GET to the page the form lives on instead, saying that
nothing was saved, so the person does it again there."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponseNotAllowed
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _


def post_only(back: str | Callable[..., str]):
    """`require_POST`, but a GET or HEAD is redirected to `back` (a URL name, or a
    function of the request and the view's URL arguments giving a URL) with a warning
    that nothing was saved. Put it below `login_required`/`role_required`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["POST"])
            messages.warning(
                request,
                _(
                    "Nothing was saved: the form was sent after your session had ended. "
                    "Please do it again."
                ),
            )
            target = back(request, *args, **kwargs) if callable(back) else resolve_url(back)
            return redirect(target)

        return wrapped

    return decorator
