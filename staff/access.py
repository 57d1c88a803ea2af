"""Role gates for pages. The full visibility rules (who sees which customer) arrive with
the permissions capability; until then pages check the user's role here, in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from staff.models import Employee

Role = Employee.Role
HR_ROLES = (Role.HR, Role.ADMIN)
MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
PEOPLE_ROLES = (Role.HR, Role.MANAGER, Role.ADMIN)


def employee_of(user) -> Employee | None:
    return getattr(user, "employee", None) if user.is_authenticated else None


def has_role(user, roles: tuple[str, ...]) -> bool:
    if user.is_superuser:
        return True
    employee = employee_of(user)
    return employee is not None and employee.role in roles


def role_required(*roles: str) -> Callable:
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
