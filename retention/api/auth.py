"""API tokens (Authorization: Bearer <key>) and the role a request acts with."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings

from staff import audit
from staff.auth import access_refused
from staff.models import ApiToken, Employee

LAST_USED_EVERY = dt.timedelta(minutes=1)  # write last_used_at at most this often


class IntegrationIdentity:
    """request.user for a token that belongs to an integration, not a person."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    pk = id = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.username = f"integration:{token.name}"

    def __str__(self) -> str:
        return self.username


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise AuthenticationFailed(_("Send the key as: Authorization: Bearer <key>."))
        try:
            key = header[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("The API key is not valid.")) from None
        token = (
            ApiToken.objects.select_related("user", "user__employee")
            .filter(key_hash=ApiToken.hash(key))
            .first()
        )
        if token is None:
            raise AuthenticationFailed(_("The API key is not valid."))
        if token.is_revoked:
            raise AuthenticationFailed(
                _("This API key was revoked on %(day)s.") % {"day": f"{token.revoked_at:%Y-%m-%d}"}
            )
        user = token.user
        if user is not None:
            refused = access_refused(user)  # the one rule every way in asks (staff/auth.py)
            if refused:
                raise AuthenticationFailed(
                    _("The user this API key belongs to has no access: %(reason)s")
                    % {"reason": refused}
                )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # The rest of this request is done by this key's holder.
        audit.set_actor(audit.actor_for(user, token, audit.client_ip(request._request)))
        return (user or IntegrationIdentity(token), token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def api_role(request) -> str | None:
    """The role a request acts with: an integration token's own role, else the user's."""
    token = request.auth if isinstance(request.auth, ApiToken) else None
    if token is not None and token.user is None:
        return token.role
    user = request.user
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Employee.Role.ADMIN
    employee = getattr(user, "employee", None)
    return employee.role if employee is not None else None


def api_employee(request) -> Employee | None:
    user = request.user
    return getattr(user, "employee", None) if getattr(user, "pk", None) else None


IMPORTERS = {"integration", "admin"}
DEPARTURES = {"integration", "hr", "admin"}


def role_in(*roles: str) -> type[permissions.BasePermission]:
    """A DRF permission: the request's role is one of these."""
    allowed = set(roles)

    class RoleIn(permissions.BasePermission):
        message = _("Your role does not allow this.")

        def has_permission(self, request, view) -> bool:
            return api_role(request) in allowed

    RoleIn.__name__ = "RoleIn_" + "_".join(sorted(allowed))
    return RoleIn


class HasRole(permissions.BasePermission):
    """Any request that acts with a role (employees, admins, integrations)."""

    message = _("Your account has no role in the CRM.")

    def has_permission(self, request, view) -> bool:
        return api_role(request) is not None


class PerTokenThrottle(throttling.SimpleRateThrottle):
    """API_RATE_LIMIT requests per token (or per signed-in user, or per address)."""

    scope = "api"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # read now, not at import

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif getattr(request.user, "pk", None):
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerAddressThrottle(throttling.SimpleRateThrottle):
    """API_ADDRESS_RATE_LIMIT requests per client address, signed in or not."""

    scope = "address"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": audit.client_ip(request)}


class AddressRateLimit:
    """Middleware: every request to /api/ counts against its address's limit before any
    authentication, so unauthenticated floods and key guessing are limited too. The
    counts live in the shared cache (Redis), so all server processes share them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            throttle = PerAddressThrottle()
            if not throttle.allow_request(request, None):
                from django.http import JsonResponse

                wait = throttle.wait()
                response = JsonResponse(
                    {
                        "error": {
                            "status": 429,
                            "code": "throttled",
                            "message": str(_("Too many requests from your address; slow down.")),
                        }
                    },
                    status=429,
                )
                if wait is not None:
                    response["Retry-After"] = str(max(1, round(wait)))
                return response
        return self.get_response(request)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token authentication in the OpenAPI schema."""

    target_class = "retention.api.auth.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _("An API key made by an admin."),
        }
