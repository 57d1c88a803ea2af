"""May this person act now? One rule, asked by every way in: the session on every request
(the authentication backend's get_user), the sign-in form, the admin (the same session
and sign-in) and API keys (retention/api/auth.py).

Access ends the moment someone is marked departed, and in any case from the start of the
day after their last working day, whether or not the last-day job has run. A deactivated
login has no access either. Sign-in attempts are also limited per address (one password
tried against many usernames), in the shared cache (Redis in production)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from staff.models import Employee


def access_refused(user, today: dt.date | None = None) -> str | None:
    """Why `user` may not act now, or None if they may."""
    if user is None or not getattr(user, "pk", None):
        return None
    if not user.is_active:
        return gettext("This login has been deactivated.")
    try:
        employee = user.employee
    except Employee.DoesNotExist:
        return None
    if employee is None:
        return None
    return employee_access_refused(employee, today)


def employee_access_refused(employee: Employee, today: dt.date | None = None) -> str | None:
    today = today or timezone.localdate()
    if employee.status == Employee.Status.DEPARTED:
        return gettext("Your access ended when you left the company.")
    if employee.departure_date is not None and employee.departure_date < today:
        return gettext("Your access ended after your last day, %(day)s.") % {
            "day": date_format(employee.departure_date)
        }
    return None


class EmployeeBackend(ModelBackend):
    """ModelBackend that asks access_refused: a refused user cannot sign in, and a session
    of theirs is no longer recognised on the next request (the request is anonymous)."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and access_refused(user) is None

    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("employee").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class EndRefusedSessions:
    """After AuthenticationMiddleware: a session whose user may no longer act is flushed,
    so nothing of it is left to come back to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get("_auth_user_id")
            and not request.user.is_authenticated
        ):
            session.flush()
        return self.get_response(request)


# --- sign-in ----------------------------------------------------------------------------------


def _address_key(address: str | None) -> str:
    return f"sign-in-failures:{address or 'unknown'}"


def address_locked(address: str | None) -> bool:
    return cache.get(_address_key(address), 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


@receiver(user_login_failed)
def _count_failure_by_address(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    from staff.audit import client_ip

    key = _address_key(client_ip(request))
    timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if cache.add(key, 1, timeout=timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)


class SignInChecks:
    """For a sign-in form: refuses an address with too many recent failures (any
    usernames), and tells a person whose access has ended why, once their password was
    right (a wrong password learns nothing)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "address_locked": gettext_lazy(
            "Too many failed sign-ins from your address; try again later."
        ),
    }

    def clean(self):
        from staff.audit import client_ip

        if self.request is not None and address_locked(client_ip(self.request)):
            raise forms.ValidationError(
                self.error_messages["address_locked"], code="address_locked"
            )
        try:
            return super().clean()
        except forms.ValidationError:
            refused = self._refusal_for_right_password()
            if refused:
                raise forms.ValidationError(refused, code="access_ended") from None
            raise

    def _refusal_for_right_password(self) -> str | None:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return None
        user = (
            get_user_model()
            ._default_manager.select_related("employee")
            .filter(**{get_user_model().USERNAME_FIELD: username})
            .first()
        )
        if user is None or not user.check_password(password):
            return None
        return access_refused(user)


class SignInForm(SignInChecks, AuthenticationForm):
    """The app's sign-in form."""


class AdminSignInForm(SignInChecks, AdminAuthenticationForm):
    """The admin's sign-in form, with the same checks."""

    error_messages = {**SignInChecks.error_messages, **AdminAuthenticationForm.error_messages}
