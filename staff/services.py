"""Writes about people's access. Grants are made here only (the customer page's form
calls it; the admin cannot add or edit one): capped, and recorded in the audit trail."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from staff import audit
from staff.models import AccessGrant, AuditEvent, Employee

GRANT_MAX_DAYS = 90


def grant_access(
    *, customer, grantee: Employee, until: dt.date, reason: str, by: Employee | None
) -> AccessGrant:
    """Let `grantee` (an active account manager who does not own the customer) see
    `customer` in full until `until`, at most GRANT_MAX_DAYS ahead."""
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if grantee.role != Employee.Role.ACCOUNT_MANAGER:
        errors["grantee"] = _("%(name)s is not an account manager.") % {"name": grantee.name}
    elif grantee.status != Employee.Status.ACTIVE:
        # Leaving or gone; said without naming a departure the manager may not know of.
        errors["grantee"] = _("%(name)s cannot be given access to customers at the moment.") % {
            "name": grantee.name
        }
    elif grantee.pk in (customer.primary_owner_id, customer.secondary_owner_id):
        errors["grantee"] = _("%(name)s already owns %(customer)s.") % {
            "name": grantee.name,
            "customer": customer.name,
        }
    if until < today:
        errors["until"] = _("The last day cannot be in the past.")
    elif until > today + dt.timedelta(days=GRANT_MAX_DAYS):
        errors["until"] = _("Access is granted for at most %(days)s days.") % {
            "days": GRANT_MAX_DAYS
        }
    if not reason.strip():
        errors["reason"] = _("Say why the access is needed.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        grant = AccessGrant.objects.create(
            customer=customer, grantee=grantee, until=until, reason=reason.strip(), granted_by=by
        )
        audit.record(
            AuditEvent.Action.ACCESS_GRANT,
            "customer",
            customer.pk,
            customer_id=customer.pk,
            reason=grant.reason,
            detail={"grantee": grant.grantee_id, "until": grant.until.isoformat()},
        )
    return grant
