"""Reads for handovers: what a departure would put at risk, and who could take over.

Everything is computed for a whole book at once (one aggregate query per table, pandas
for the arithmetic), so the same functions serve the "what if they leave" preview, the
exposure report and the raising of handover tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Count, Q, Sum

from customers.models import Contract, Customer, Interaction, OwnerRole, RiskScore, Segment
from customers.scoring.features import day_start
from staff.models import Employee

# Churn probability assumed for a customer without a current score.
RISK_WHEN_UNSCORED = 0.05
# Owning a customer is a dependence in itself, even without logged contact.
MIN_DEPENDENCE = 0.1
RELATIONSHIP_DAYS = 180


@dataclass
class Proposal:
    """A customer of the leaver, how much is at stake, and who should take it over."""

    customer_id: int
    customer_name: str
    segment: str
    role: str
    annual_value: float
    risk: float
    interaction_share: float
    exclusive_contacts: int
    dependence: float
    priority: float
    successor_id: int | None = None
    successor_name: str = ""
    over_capacity: bool = False
    reasons: list[str] = field(default_factory=list)


def customer_values(customer_ids: list[int], as_of: dt.date) -> pd.Series:
    """Annual value of the contracts in force on `as_of`, per customer."""
    rows = (
        Contract.objects.filter(
            customer_id__in=customer_ids, start_date__lte=as_of, end_date__gte=as_of
        )
        .values("customer_id")
        .annotate(value=Sum("annual_value"))
        .values_list("customer_id", "value")
    )
    return pd.Series({c: float(v) for c, v in rows}, dtype="float64")


def current_risk(customer_ids: list[int]) -> pd.Series:
    rows = RiskScore.objects.current().filter(customer_id__in=customer_ids)
    return pd.Series(dict(rows.values_list("customer_id", "probability")), dtype="float64")


def handover_proposals(employee: Employee, *, as_of: dt.date) -> list[Proposal]:
    """The leaver's active customers by priority = value x risk x dependence, each with
    a recommended successor (see `recommend_successors`). Writes nothing."""
    book = list(
        Customer.objects.filter(status=Customer.Status.ACTIVE)
        .filter(Q(primary_owner=employee) | Q(secondary_owner=employee))
        .values_list("id", "name", "segment", "primary_owner_id", "secondary_owner_id")
    )
    if not book:
        return []
    ids = [row[0] for row in book]
    value = customer_values(ids, as_of)
    risk = current_risk(ids)
    since = day_start(as_of - dt.timedelta(days=RELATIONSHIP_DAYS - 1))
    talks = pd.DataFrame.from_records(
        list(
            Interaction.objects.filter(customer_id__in=ids, happened_at__gte=since)
            .exclude(employee__isnull=True)
            .values("customer_id", "employee_id")
            .annotate(n=Count("id"))
            .values_list("customer_id", "employee_id", "n")
        ),
        columns=["customer_id", "employee_id", "n"],
    )
    # Contacts the leaver dealt with, and those nobody else dealt with.
    contact_people = pd.DataFrame.from_records(
        list(
            Interaction.objects.filter(
                customer_id__in=ids, happened_at__gte=since, contact__isnull=False
            )
            .exclude(employee__isnull=True)
            .values("customer_id", "contact_id")
            .annotate(
                people=Count("employee_id", distinct=True),
                by_leaver=Count("id", filter=Q(employee=employee)),
            )
            .values_list("customer_id", "contact_id", "people", "by_leaver")
        ),
        columns=["customer_id", "contact_id", "people", "by_leaver"],
    )
    total = talks.groupby("customer_id")["n"].sum()
    mine = talks[talks["employee_id"] == employee.pk].set_index("customer_id")["n"]
    share = (mine / total).reindex(ids).fillna(0.0)
    exclusive = (
        contact_people[(contact_people["people"] == 1) & (contact_people["by_leaver"] > 0)]
        .groupby("customer_id")
        .size()
        .reindex(ids, fill_value=0)
    )
    contacts_dealt = contact_people.groupby("customer_id").size().reindex(ids, fill_value=0)
    exclusive_share = (exclusive / contacts_dealt.where(contacts_dealt > 0)).fillna(0.0)

    proposals = []
    for customer_id, name, segment, primary_id, _secondary_id in book:
        dependence = max(MIN_DEPENDENCE, share[customer_id], exclusive_share[customer_id])
        customer_value = float(value.get(customer_id, 0.0))
        customer_risk = float(risk.get(customer_id, RISK_WHEN_UNSCORED))
        proposals.append(
            Proposal(
                customer_id=customer_id,
                customer_name=name,
                segment=segment,
                role=OwnerRole.PRIMARY if primary_id == employee.pk else OwnerRole.SECONDARY,
                annual_value=customer_value,
                risk=customer_risk,
                interaction_share=round(float(share[customer_id]), 4),
                exclusive_contacts=int(exclusive[customer_id]),
                dependence=round(float(dependence), 4),
                priority=round(customer_value * customer_risk * float(dependence), 2),
            )
        )
    proposals.sort(key=lambda p: (-p.priority, -p.annual_value, p.customer_id))
    recommend_successors(employee, proposals, talks=talks, book=book)
    return proposals


def successor_pool(leaver: Employee) -> pd.DataFrame:
    """Active account managers who could take customers over, with their current book."""
    pool = pd.DataFrame.from_records(
        list(
            Employee.objects.filter(
                status=Employee.Status.ACTIVE, role=Employee.Role.ACCOUNT_MANAGER
            )
            .exclude(pk=leaver.pk)
            .values_list("id", "name", "team_id", "team__region")
        ),
        columns=["employee_id", "name", "team_id", "region"],
    ).set_index("employee_id")
    books = (
        Customer.objects.filter(status=Customer.Status.ACTIVE, primary_owner_id__in=pool.index)
        .values("primary_owner_id", "segment")
        .annotate(n=Count("id"))
        .values_list("primary_owner_id", "segment", "n")
    )
    counts = pd.DataFrame.from_records(list(books), columns=["employee_id", "segment", "n"])
    by_segment = counts.pivot_table(
        index="employee_id", columns="segment", values="n", aggfunc="sum", fill_value=0
    )
    for segment in Segment.values:
        pool[f"book_{segment}"] = by_segment.get(segment, pd.Series(dtype="int64")).reindex(
            pool.index, fill_value=0
        )
    pool["book"] = pool[[f"book_{s}" for s in Segment.values]].sum(axis=1)
    return pool


def recommend_successors(
    leaver: Employee, proposals: list[Proposal], *, talks: pd.DataFrame, book: list[tuple]
) -> None:
    """Pick a successor per customer, most important customer first, counting what each
    successor has already been given so the book is spread. Points, each shown as a
    reason: already the customer's other owner (+5), has dealt with the customer in 180
    days (+4), same team (+3), same region (+1), looks after customers of the segment
    (+1), room in the book (+0..1); over capacity (-5, flagged)."""
    pool = successor_pool(leaver)
    if pool.empty:
        return
    capacity = settings.SUCCESSOR_CAPACITY
    candidates = pool.index.to_numpy()
    load = pool["book"].to_numpy(dtype="float64").copy()
    same_team = (pool["team_id"] == leaver.team_id).to_numpy() & (leaver.team_id is not None)
    region = leaver.team.region if leaver.team_id else ""
    same_region = (pool["region"] == region).to_numpy() & bool(region)
    other_owner = {
        row[0]: (row[4] if row[3] == leaver.pk else row[3]) for row in book
    }  # customer -> the other owner
    dealt = talks[talks["employee_id"] != leaver.pk].pivot_table(
        index="customer_id", columns="employee_id", values="n", aggfunc="sum", fill_value=0
    )
    for proposal in proposals:
        segment_book = pool[f"book_{proposal.segment}"].to_numpy()
        contacts = np.zeros(len(candidates))
        if proposal.customer_id in dealt.index:
            row = dealt.loc[proposal.customer_id]
            contacts = row.reindex(candidates, fill_value=0).to_numpy()
        is_other_owner = candidates == other_owner.get(proposal.customer_id)
        over = load + 1 > capacity
        points = (
            5.0 * is_other_owner
            + 4.0 * (contacts > 0)
            + 3.0 * same_team
            + 1.0 * same_region
            + 1.0 * (segment_book > 0)
            + np.clip((capacity - load) / capacity, 0, 1)
            - 5.0 * over
        )
        best = int(np.argmax(points))
        chosen = candidates[best]
        reasons = []
        if is_other_owner[best]:
            reasons.append("already their other owner")
        if contacts[best] > 0:
            reasons.append(f"has dealt with them ({int(contacts[best])} interactions in 180 days)")
        if same_team[best]:
            reasons.append("same team")
        elif same_region[best]:
            reasons.append(f"same region ({region})")
        if segment_book[best] > 0:
            reasons.append(f"looks after {int(segment_book[best])} {proposal.segment} customers")
        reasons.append(f"book {int(load[best])} of {capacity} customers")
        proposal.successor_id = int(chosen)
        proposal.successor_name = pool.at[chosen, "name"]
        proposal.over_capacity = bool(over[best])
        if proposal.over_capacity:
            reasons.append("over capacity")
        proposal.reasons = reasons
        if proposal.role == OwnerRole.PRIMARY:
            load[best] += 1
