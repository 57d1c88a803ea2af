"""Retention actions, their outcomes and the save rate (DOMAIN.md sections 2 and 6)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from alerts.models import SIGNAL_CHOICES, Alert, RetentionAction
from customers.models import Contract, Customer, RiskScore, RiskTier
from retention.text_limits import check_length
from staff.models import Employee

SAVED_AFTER_DAYS = 90
REPORT_DIMENSIONS = {
    "play": "play",
    "signal": "signal",
    "tier": "tier",
    "team": "team__name",
    "owner": "owner__name",
}
REPORT_DIMENSION_LABELS = {
    "play": _("Play"),
    "signal": _("Warning sign"),
    "tier": _("Risk tier"),
    "team": _("Team"),
    "owner": _("Owner"),
}


def record_action(
    *,
    customer: Customer,
    kind: str,
    by: Employee | None,
    alert: Alert | None = None,
    notes: str = "",
    taken_on: dt.date | None = None,
) -> RetentionAction:
    """Record what was done; an alert it answers is acknowledged, so only the people it
    is routed to (alerts.services.routed_to) may record an action against it."""
    from alerts.services import routed_to

    if alert is not None and not routed_to(by, alert):
        raise PermissionDenied(_("This alert is not routed to you."))
    if kind not in RetentionAction.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of action %(kind)r.") % {"kind": kind}})
    if alert is not None and alert.customer_id != customer.pk:
        raise ValidationError({"alert": _("This alert belongs to another customer.")})
    check_length(RetentionAction, "notes", notes)
    today = timezone.localdate()
    taken_on = taken_on or today
    # The save rate and the owners' ranking count these: a date outside the customer's
    # life with us would count an action that never happened then.
    if taken_on > today:
        raise ValidationError(
            {"taken_on": _("%(day)s is in the future.") % {"day": date_format(taken_on)}}
        )
    if customer.customer_since and taken_on < customer.customer_since:
        raise ValidationError(
            {
                "taken_on": _("%(day)s is before %(name)s became a customer (%(since)s).")
                % {"day": taken_on, "name": customer.name, "since": customer.customer_since}
            }
        )
    if customer.churned_on and taken_on > customer.churned_on:
        # After the churn the action saves nothing: the save rate could never settle it.
        raise ValidationError(
            {
                "taken_on": _("%(day)s is after %(name)s churned (%(churned)s).")
                % {"day": taken_on, "name": customer.name, "churned": customer.churned_on}
            }
        )
    score = RiskScore.objects.current().filter(customer=customer).first()
    action = RetentionAction.objects.create(
        customer=customer,
        alert=alert,
        kind=kind,
        play=alert.play if alert else "",
        signal=alert.signal if alert else "",
        tier=score.tier if score else None,
        team=by.team if by else None,
        owner=by,
        notes=notes,
        taken_on=taken_on,
    )
    if alert is not None and alert.status == Alert.Status.OPEN:
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.save(update_fields=["status"])
    return action


def settle_actions(*, day: dt.date) -> dict[str, int]:
    """Nightly: pending actions become lost when the customer churned after the action,
    saved when they renewed since or stayed SAVED_AFTER_DAYS. Set-based, idempotent."""
    pending = RetentionAction.objects.filter(outcome=RetentionAction.Outcome.PENDING)
    lost = _settle_lost(pending, day)
    renewal = Contract.objects.filter(
        customer_id=OuterRef("customer_id"),
        renewal_of__isnull=False,
        start_date__gt=OuterRef("taken_on"),
        start_date__lte=day,
    )
    renewed = (
        pending.filter(Exists(renewal))
        .filter(Q(customer__churned_on__isnull=True) | Q(customer__churned_on__gt=day))
        .update(outcome=RetentionAction.Outcome.SAVED, outcome_on=day, outcome_reason="Renewed")
    )
    stayed = pending.filter(
        taken_on__lte=day - dt.timedelta(days=SAVED_AFTER_DAYS),
        customer__status=Customer.Status.ACTIVE,
    ).update(
        outcome=RetentionAction.Outcome.SAVED,
        outcome_on=day,
        outcome_reason=f"Stayed {SAVED_AFTER_DAYS} days",
    )
    return {"lost": lost, "renewed": renewed, "stayed": stayed}


def _settle_lost(pending, day: dt.date) -> int:
    churned = dict(
        pending.filter(customer__churned_on__isnull=False, customer__churned_on__lte=day)
        .filter(customer__churned_on__gte=F("taken_on"))
        .values_list("id", "customer__churned_on")
    )
    # One UPDATE per churn date (a handful), not one per action.
    by_date: dict[dt.date, list[int]] = {}
    for action_id, churned_on in churned.items():
        by_date.setdefault(churned_on, []).append(action_id)
    for churned_on, ids in by_date.items():
        RetentionAction.objects.filter(pk__in=ids).update(
            outcome=RetentionAction.Outcome.LOST,
            outcome_on=churned_on,
            outcome_reason="The customer churned",
        )
    # A churn recorded later with a date before the action (a file, the admin): the
    # customer was already gone when the action was taken; lost on the action's day,
    # rather than pending for ever (neither a churn after it nor an active customer).
    earlier = pending.filter(
        customer__churned_on__isnull=False, customer__churned_on__lt=F("taken_on")
    ).update(
        outcome=RetentionAction.Outcome.LOST,
        outcome_on=F("taken_on"),
        outcome_reason="The customer had churned before the action",
    )
    return len(churned) + earlier


def save_rates(
    *, start: dt.date, end: dt.date, by: str, teams: set[int] | None = None
) -> list[dict]:
    """Of the actions taken in [start, end] that have an outcome: saved / (saved + lost),
    grouped by play, signal, tier, team or owner; of the given teams' actions only."""
    field = REPORT_DIMENSIONS[by]
    actions = RetentionAction.objects.filter(taken_on__gte=start, taken_on__lte=end)
    if teams is not None:
        actions = actions.filter(team_id__in=teams)
    rows = (
        actions.values(field)
        .annotate(
            actions=Count("id"),
            saved=Count("id", filter=Q(outcome=RetentionAction.Outcome.SAVED)),
            lost=Count("id", filter=Q(outcome=RetentionAction.Outcome.LOST)),
        )
        .order_by(field)
    )
    labels = {
        "signal": dict(SIGNAL_CHOICES),
        "tier": dict(RiskTier.choices),
    }.get(by, {})
    return [
        {
            "group": row[field],
            "label": labels.get(row[field], row[field]),
            "actions": row["actions"],
            "saved": row["saved"],
            "lost": row["lost"],
            "pending": row["actions"] - row["saved"] - row["lost"],
            "save_rate": row["saved"] / (row["saved"] + row["lost"])
            if row["saved"] + row["lost"]
            else None,
        }
        for row in rows
    ]


def churn_reasons(*, start: dt.date, end: dt.date, teams: set[int] | None = None) -> list[dict]:
    """Lost customers in [start, end] by churn reason, with their share; of the customers
    whose primary owner is in the given teams only."""
    lost = Customer.objects.filter(churned_on__gte=start, churned_on__lte=end)
    if teams is not None:
        lost = lost.filter(primary_owner__team_id__in=teams)
    rows = list(lost.values("churn_reason").annotate(n=Count("id")).order_by("-n", "churn_reason"))
    total = sum(row["n"] for row in rows)
    labels = dict(Customer._meta.get_field("churn_reason").choices)
    return [
        {
            "reason": labels.get(r["churn_reason"], r["churn_reason"]),
            "customers": r["n"],
            "share": r["n"] / total,
        }
        for r in rows
    ]
