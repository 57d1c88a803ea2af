"""Reads of the customer record."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery

from customers.models import Contract, Customer, Interaction, RiskScore, ScoringRun
from staff.models import Employee


def book_for(employee: Employee) -> QuerySet[Customer]:
    """The customers an employee owns, as primary or secondary owner."""
    return Customer.objects.filter(Q(primary_owner=employee) | Q(secondary_owner=employee))


def latest_scoring_run() -> ScoringRun | None:
    """The newest complete run: its scores are every customer's current risk."""
    return (
        ScoringRun.objects.filter(status=ScoringRun.Status.COMPLETE)
        .select_related("model")
        .order_by("-day")
        .first()
    )


def with_current_risk(customers: QuerySet[Customer], run: ScoringRun | None) -> QuerySet[Customer]:
    """Annotate the run's risk (probability, tier, revenue at risk, reasons) and order by
    revenue at risk, highest first; customers without a score come last."""
    if run is None:
        return customers.order_by("name")
    return (
        customers.annotate(
            score=FilteredRelation("risk_scores", condition=Q(risk_scores__day=run.day))
        )
        .annotate(
            risk_probability=F("score__probability"),
            risk_tier=F("score__tier"),
            revenue_at_risk=F("score__revenue_at_risk"),
            risk_reasons=F("score__reasons"),
        )
        .order_by(F("revenue_at_risk").desc(nulls_last=True), "name")
    )


def renewal_calendar(
    *, as_of: dt.date, days: int = 180, team_id: int | None = None, month: dt.date | None = None
) -> QuerySet[Contract]:
    """Contracts in force that end in the next `days` days, soonest first, with the
    customer's current risk tier and probability, revenue at risk, the last renewal
    talk and the state of the customer's live contract-ending alert. `month` (its first day) narrows to contracts ending that month; `team_id` to
    customers whose primary owner is in that team."""
    contracts = Contract.objects.filter(
        customer__status=Customer.Status.ACTIVE,
        start_date__lte=as_of,
        end_date__gte=as_of,
        end_date__lte=as_of + dt.timedelta(days=days),
    ).exclude(status__in=[Contract.Status.CANCELLED, Contract.Status.EXPIRED])
    if team_id:
        contracts = contracts.filter(customer__primary_owner__team_id=team_id)
    if month:
        next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        contracts = contracts.filter(end_date__gte=month, end_date__lt=next_month)
    run = latest_scoring_run()
    last_talk = (
        Interaction.objects.filter(
            customer_id=OuterRef("customer_id"), kind=Interaction.Kind.RENEWAL_TALK
        )
        .order_by("-happened_at")
        .values("happened_at")[:1]
    )
    contracts = contracts.annotate(last_renewal_talk=Subquery(last_talk))
    # The live "contract ending" alert on the customer, if any: what is being done about it.
    from alerts.models import Alert

    renewal_alert = Alert.objects.filter(
        customer_id=OuterRef("customer_id"),
        status__in=Alert.LIVE,
        signal__in=["contract_ending_90", "contract_ending_180"],
    ).order_by("signal")
    contracts = contracts.annotate(
        renewal_alert_status=Subquery(renewal_alert.values("status")[:1]),
        renewal_alert_until=Subquery(renewal_alert.values("snoozed_until")[:1]),
    )
    if run is not None:
        score = RiskScore.objects.filter(customer_id=OuterRef("customer_id"), day=run.day)
        contracts = contracts.annotate(
            risk_tier=Subquery(score.values("tier")[:1]),
            risk_probability=Subquery(score.values("probability")[:1]),
            revenue_at_risk=Subquery(score.values("revenue_at_risk")[:1]),
        )
    return contracts.select_related("customer", "customer__primary_owner").order_by(
        "end_date", "customer__name"
    )
