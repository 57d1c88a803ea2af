"""Raising, routing and closing alerts. Safe to run again for the same day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from alerts.models import Alert, DigestSent, SignalRule, TierPlay
from alerts.webhooks import queue_alert_event
from customers.models import RiskScore, RiskTier, ScoringRun
from staff.models import Employee


@dataclass
class AlertRun:
    opened: int = 0
    refreshed: int = 0
    reopened: int = 0
    cleared: int = 0


def raise_alerts(*, day: dt.date) -> AlertRun:
    """Compare the warning signs of the day's scores with the live alerts: open what is
    new, refresh what persists (snoozes past their date wake up), close what cleared."""
    result = AlertRun()
    run = ScoringRun.objects.filter(day=day, status=ScoringRun.Status.COMPLETE).first()
    if run is None:
        return result
    rules = SignalRule.ensure_defaults()
    enabled = {code for code, rule in rules.items() if rule.enabled}
    rows = [
        (
            customer_id,
            item["signal"],
            item["text"],
            probability,
            tier,
            value,
            at_risk,
            owner,
            manager,
            segment,
        )
        for customer_id, fired, probability, tier, value, at_risk, owner, manager, segment in RiskScore.objects.filter(
            day=day
        )
        .exclude(signals=[])
        .values_list(
            "customer_id",
            "signals",
            "probability",
            "tier",
            "annual_value",
            "revenue_at_risk",
            "customer__primary_owner_id",
            "customer__primary_owner__team__manager_id",
            "customer__segment",
        )
        .iterator(chunk_size=5000)
        for item in fired
        if item["signal"] in enabled
    ]
    if "tier_jump" in enabled:
        rows.extend(_tier_jumps(day, tiers=int(rules["tier_jump"].thresholds.get("tiers", 2))))
    firing = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "signal",
            "text",
            "probability",
            "tier",
            "value",
            "at_risk",
            "owner",
            "manager",
            "segment",
        ],
    ).set_index(["customer_id", "signal"])
    tier_plays = TierPlay.lookup()
    live = {
        (a.customer_id, a.signal): a
        for a in Alert.objects.filter(status__in=Alert.LIVE).only(
            "id", "customer_id", "signal", "status", "snoozed_until"
        )
    }
    threshold = settings.ALERT_MANAGER_REVENUE_AT_RISK
    new, refreshed, cleared = [], [], []
    for key, row in firing.iterrows():
        escalate = row["tier"] == RiskTier.VERY_HIGH or float(row["at_risk"]) >= threshold
        figures = dict(
            text=row["text"][:300],
            probability=row["probability"],
            annual_value=row["value"],
            revenue_at_risk=row["at_risk"],
            owner_id=row["owner"] if pd.notna(row["owner"]) else None,
            manager_id=row["manager"] if escalate and pd.notna(row["manager"]) else None,
            last_seen_on=day,
        )
        alert = live.pop(key, None)
        if alert is None:
            new.append(
                Alert(
                    customer_id=key[0],
                    signal=key[1],
                    play=" ".join(
                        part
                        for part in (
                            tier_plays.get((row["tier"], row["segment"]))
                            or tier_plays.get((row["tier"], ""), ""),
                            rules[key[1]].play,
                        )
                        if part
                    ),
                    opened_on=day,
                    **figures,
                )
            )
            continue
        for field, value in figures.items():
            setattr(alert, field, value)
        if (
            alert.status == Alert.Status.SNOOZED
            and alert.snoozed_until
            and alert.snoozed_until <= day
        ):
            alert.status, alert.snoozed_until = Alert.Status.OPEN, None
            result.reopened += 1
        refreshed.append(alert)
    for alert in live.values():  # live alerts whose sign no longer fires (or was switched off)
        alert.status, alert.closed_on = Alert.Status.CLEARED, day
        alert.note = f"Closed automatically on {day}: the warning sign no longer applies."
        cleared.append(alert)
    with transaction.atomic():
        Alert.objects.bulk_create(new, batch_size=2000)
        Alert.objects.bulk_update(
            refreshed,
            [
                "text",
                "probability",
                "annual_value",
                "revenue_at_risk",
                "owner",
                "manager",
                "last_seen_on",
                "status",
                "snoozed_until",
            ],
            batch_size=2000,
        )
        Alert.objects.bulk_update(cleared, ["status", "closed_on", "note"], batch_size=2000)
        queue_alert_event("alerts.opened", new, day=day)
        queue_alert_event("alerts.cleared", cleared, day=day)
    result.opened, result.refreshed, result.cleared = len(new), len(refreshed), len(cleared)
    return result


def _tier_jumps(day: dt.date, *, tiers: int) -> list[tuple]:
    """Customers whose tier is at least `tiers` tiers riskier than a week before."""
    week_ago = day - dt.timedelta(days=7)
    before = RiskScore.objects.filter(customer_id=OuterRef("customer_id"), day=week_ago)
    jumped = (
        RiskScore.objects.filter(day=day)
        .annotate(tier_before=Subquery(before.values("tier")[:1]))
        .filter(tier_before__gte=F("tier") + tiers)
        .values_list(
            "customer_id",
            "tier_before",
            "probability",
            "tier",
            "annual_value",
            "revenue_at_risk",
            "customer__primary_owner_id",
            "customer__primary_owner__team__manager_id",
            "customer__segment",
        )
    )
    return [
        (
            customer_id,
            "tier_jump",
            f"Risk tier rose from {RiskTier(was).label} to {RiskTier(tier).label} since {week_ago}",
            probability,
            tier,
            value,
            at_risk,
            owner,
            manager,
            segment,
        )
        for customer_id, was, probability, tier, value, at_risk, owner, manager, segment in jumped
    ]


def send_digests(*, day: dt.date, limit: int = 20) -> int:
    """One e-mail per person with open alerts: how many, and the ones with the most
    revenue at risk. Sent once per person and day."""
    open_alerts = Alert.objects.filter(status=Alert.Status.OPEN).select_related("customer")
    by_person: dict[int, list[Alert]] = {}
    for alert in open_alerts.order_by("-revenue_at_risk"):
        for person in {alert.owner_id, alert.manager_id} - {None}:
            by_person.setdefault(person, []).append(alert)
    already = set(DigestSent.objects.filter(day=day).values_list("employee_id", flat=True))
    sent = 0
    for employee in Employee.objects.filter(pk__in=set(by_person) - already).exclude(email=""):
        alerts = by_person[employee.pk]
        lines = "\n".join(
            f"- {a.customer.name}: {a.text} ({a.revenue_at_risk:,.0f} at risk). {a.play}"
            for a in alerts[:limit]
        )
        more = f"\n... and {len(alerts) - limit} more." if len(alerts) > limit else ""
        with transaction.atomic():
            DigestSent.objects.create(employee=employee, day=day, alerts=len(alerts))
            send_mail(
                f"{len(alerts)} open alert(s) on your customers, {day}",
                f"Most revenue at risk first:\n{lines}{more}\n",
                None,
                [employee.email],
            )
        sent += 1
    return sent


def act_on_alert(
    *, alert: Alert, action: str, until: dt.date | None = None, note: str = ""
) -> Alert:
    """acknowledge, snooze (until a later day) or resolve (with a note)."""
    if alert.status not in Alert.LIVE:
        raise ValidationError({"alert": "This alert is already closed."})
    today = timezone.localdate()
    if action == "acknowledge":
        alert.status = Alert.Status.ACKNOWLEDGED
    elif action == "snooze":
        if until is None or until <= today:
            raise ValidationError({"until": "Snooze until a day after today."})
        alert.status, alert.snoozed_until = Alert.Status.SNOOZED, until
    elif action == "resolve":
        if not note.strip():
            raise ValidationError({"note": "Say what was done when resolving an alert."})
        alert.status, alert.closed_on, alert.note = Alert.Status.RESOLVED, today, note
    else:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    alert.save()
    return alert
