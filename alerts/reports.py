"""Monthly reports per account owner (DOMAIN.md section 6): the churn report with a
ranking, owners at the bottom three months running, and the churn-warning list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from customers.models import Customer, OwnerRole, OwnershipPeriod, RiskScore, RiskTier
from retention.bulk import read_frame
from retention.months import next_month, previous_month
from staff.models import Employee

MIN_CUSTOMERS = 5  # owners with fewer customers are listed but not ranked
# "The bottom": the worst quarter of the ranked owners (at least one), counting only those
# whose churn rate is worse than the company's that month.
BOTTOM_SHARE = 0.25


@dataclass
class OwnerMonth:
    employee_id: int
    name: str
    customers: int
    churned: int
    rate: float
    rank: int | None  # 1 = lowest churn rate
    bottom: bool
    bottom_three_months: bool = False


def owner_churn(first: dt.date) -> list[OwnerMonth]:
    """Customers each owner had on the first of the month (primary ownership then) and
    how many churned during the month, ranked by churn rate, lowest first."""
    end = next_month(first)
    owners = read_frame(
        OwnershipPeriod.objects.filter(role=OwnerRole.PRIMARY, started_on__lte=first)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=first))
        .filter(customer__customer_since__lte=first)
        .filter(Q(customer__churned_on__isnull=True) | Q(customer__churned_on__gte=first))
        .values_list("customer_id", "employee_id", "customer__churned_on"),
        ["customer_id", "employee_id", "churned_on"],
    ).drop_duplicates("customer_id")
    if owners.empty:
        return []
    churned_on = pd.to_datetime(owners["churned_on"])
    owners["churned"] = churned_on.notna() & (churned_on < pd.Timestamp(end))
    table = owners.groupby("employee_id").agg(
        customers=("customer_id", "size"), churned=("churned", "sum")
    )
    table["rate"] = table["churned"] / table["customers"]
    ranked = table[table["customers"] >= MIN_CUSTOMERS].sort_values(
        ["rate", "customers"], ascending=[True, False]
    )
    rank = {employee: position + 1 for position, employee in enumerate(ranked.index)}
    bottom_count = max(1, round(len(ranked) * BOTTOM_SHARE)) if len(ranked) else 0
    company_rate = table["churned"].sum() / table["customers"].sum()
    # The bottom: the worst quarter, and only those worse than the company as a whole.
    bottom = {
        employee
        for employee in ranked.index[len(ranked) - bottom_count :]
        if ranked.at[employee, "rate"] > company_rate
    }
    names = dict(Employee.objects.filter(pk__in=table.index.tolist()).values_list("id", "name"))
    rows = [
        OwnerMonth(
            employee_id=int(employee),
            name=names.get(employee, "?"),
            customers=int(row["customers"]),
            churned=int(row["churned"]),
            rate=float(row["rate"]),
            rank=rank.get(employee),
            bottom=employee in bottom,
        )
        for employee, row in table.iterrows()
    ]
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.name))


def owner_churn_report(first: dt.date) -> list[OwnerMonth]:
    """The month's ranking, with owners who were at the bottom this month and the two
    months before flagged."""
    this = owner_churn(first)
    before = owner_churn(previous_month(first))
    two_before = owner_churn(previous_month(previous_month(first)))
    bottom_before = {r.employee_id for r in before if r.bottom}
    bottom_two_before = {r.employee_id for r in two_before if r.bottom}
    for row in this:
        row.bottom_three_months = (
            row.bottom and row.employee_id in bottom_before and row.employee_id in bottom_two_before
        )
    return this


WARNING_TIERS = (RiskTier.VERY_HIGH, RiskTier.HIGH)


def _warning_scores(scope: Q | None) -> QuerySet[RiskScore]:
    scores = RiskScore.objects.current().filter(
        tier__in=WARNING_TIERS, customer__status=Customer.Status.ACTIVE
    )
    return scores if scope is None else scores.filter(scope)


def churn_warning_owners(scope: Q | None = None) -> QuerySet:
    """One row per owner with customers scored very high or high today: owner id and
    name, how many, and their revenue at risk; by name (no owner last). Page through it.
    `scope`: the scores of the customers the reader sees (staff.access.customer_scope
    through "customer__"); None: every customer's."""
    return (
        _warning_scores(scope)
        .values(owner_id=F("customer__primary_owner_id"), owner=F("customer__primary_owner__name"))
        .annotate(customers=Count("id"), revenue_at_risk=Sum("revenue_at_risk"))
        .order_by(F("owner").asc(nulls_last=True), "owner_id")
    )


def churn_warning_list(
    owner_ids: list[int | None], *, scope: Q | None = None, limit_per_owner: int = 25
) -> dict[int | None, list[RiskScore]]:
    """The month's churn-warning list for these owners (None: customers without one):
    each owner's customers scored very high or high today, most revenue at risk first,
    at most `limit_per_owner` each. The limit is applied in the database."""
    owned = Q(customer__primary_owner_id__in=[o for o in owner_ids if o is not None])
    if None in owner_ids:
        owned |= Q(customer__primary_owner__isnull=True)
    ranked = (
        _warning_scores(scope)
        .filter(owned)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("customer__primary_owner_id")],
                order_by=[F("revenue_at_risk").desc(), F("customer_id").asc()],
            )
        )
        .filter(rank__lte=limit_per_owner)
        .select_related("customer")
        .order_by("customer__primary_owner_id", "rank")
    )
    by_owner: dict[int | None, list[RiskScore]] = {owner: [] for owner in owner_ids}
    for score in ranked:
        by_owner[score.customer.primary_owner_id].append(score)
    return by_owner
