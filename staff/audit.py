"""The audit trail's recorder. Who is acting travels with the request in a context
variable (set by AuditMiddleware for pages, by the API's authentication for keys), so
model code several calls deep (an owner change, a contract change) can record the actor
and address without being handed the request. Jobs with no request record "system"."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from staff.models import ApiToken, AuditEvent, Employee


@dataclass(frozen=True)
class Actor:
    label: str
    user_id: int | None = None
    employee_id: int | None = None
    token_id: int | None = None
    ip: str | None = None


SYSTEM = Actor("system")
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


def client_ip(request) -> str | None:
    """The client's address: the last PROXY_COUNT hops of X-Forwarded-For are our own."""
    hops = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR") or None


def actor_for(user, token: ApiToken | None, ip: str | None) -> Actor:
    """The actor for a signed-in user (or none) and the API key used (or none)."""
    employee = getattr(user, "employee", None) if user else None
    if token is not None and user is None:
        label = f"API key {token.name} ({token.prefix}…)"
    elif employee is not None:
        label = employee.name
    elif user is not None:
        label = user.get_username()
    else:
        label = "anonymous"
    return Actor(
        label=label,
        user_id=user.pk if user else None,
        employee_id=employee.pk if isinstance(employee, Employee) else None,
        token_id=token.pk if token else None,
        ip=ip,
    )


def actor_from(request) -> Actor:
    user = request.user if getattr(request.user, "pk", None) else None
    return actor_for(user, None, client_ip(request))


def set_actor(actor: Actor) -> contextvars.Token:
    return _current.set(actor)


def current_actor() -> Actor:
    return _current.get()


class AuditMiddleware:
    """Makes the signed-in user (and their address) the actor for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(actor_from(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def record(
    action: str,
    object_type: str,
    object_id="",
    *,
    customer_id: int | None = None,
    rows: int = 1,
    reason: str = "",
    detail: dict | None = None,
    actor: Actor | None = None,
) -> AuditEvent:
    actor = actor or current_actor()
    return AuditEvent.objects.create(
        **_fields(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        customer_id=customer_id,
        rows=rows,
        reason=reason,
        detail=detail or {},
    )


def record_read(
    object_type: str,
    rows: int,
    *,
    object_id="",
    customer_id: int | None = None,
    action: str = AuditEvent.Action.VIEW,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """The one audit of reads: a customer page opened, one API record read, one page of
    an API list (one event with its number of rows, not one per row), an export (action
    "export"). The export watch adds up their rows per person and day."""
    return record(
        action,
        object_type,
        object_id,
        customer_id=customer_id,
        rows=rows,
        reason=reason,
        detail=detail,
    )


def record_many(
    action: str, object_type: str, items: Iterable[tuple[object, int | None, dict]]
) -> int:
    """One event per (object id, customer id, detail), written in one statement."""
    base = _fields(current_actor())
    events = [
        AuditEvent(
            **base,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            customer_id=customer_id,
            detail=detail,
        )
        for object_id, customer_id, detail in items
    ]
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


def _fields(actor: Actor) -> dict:
    return {
        "actor": actor.label[:160],
        "user_id": actor.user_id,
        "employee_id": actor.employee_id,
        "token_id": actor.token_id,
        "ip": actor.ip,
    }
