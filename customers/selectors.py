"""Reads of the customer record."""

from __future__ import annotations

from django.db.models import F, FilteredRelation, Q, QuerySet

from customers.models import Customer, ScoringRun
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
