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
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from customers.models import (
    Contract,
    Customer,
    Interaction,
    OwnerRole,
    OwnershipPeriod,
    RiskScore,
    Segment,
)
from customers.scoring.features import day_start
from retention.bulk import read_frame
from staff.models import Employee

# Churn probability assumed for a customer without a current score.
RISK_WHEN_UNSCORED = 0.05
# Owning a customer is a dependence in itself, even without logged contact.
MIN_DEPENDENCE = 0.1
RELATIONSHIP_DAYS = 180


def plans_with_progress() -> QuerySet:
    """Every handover plan with its leaver and team, and its progress counted the way
    the departures page counts it: steps done of steps not cancelled (one query)."""
    from handover.models import HandoverPlan

    return HandoverPlan.objects.select_related("employee", "employee__team").annotate(
        steps_total=Count("tasks__steps", filter=Q(tasks__steps__cancelled=False)),
        steps_done=Count("tasks__steps", filter=Q(tasks__steps__done_at__isnull=False)),
        customers=Count("tasks", distinct=True),
    )


def plans_seen_by(user, plans: QuerySet) -> QuerySet:
    """`plans` narrowed to those `user` may open: the departures they see
    (staff.access.employee_scope), never their own (a colleague manages it). The plans
    page, the dashboard and the admin read it."""
    from staff.access import employee_of, employee_scope

    scope = employee_scope(user, "employee__")
    if scope is not None:
        plans = plans.filter(scope)
    me = employee_of(user)
    return plans.exclude(employee=me) if me is not None else plans


def open_steps(employee: Employee):
    """The handover steps assigned to `employee` that are still to do."""
    from handover.models import HandoverStep, HandoverTask

    return HandoverStep.objects.filter(
        assignee=employee,
        done_at__isnull=True,
        cancelled=False,
        task__status=HandoverTask.Status.OPEN,
    )


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
        .annotate(value=Sum("annual_value_reporting"))
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
    recommend_successors(employee, proposals, talks=talks, book=book, as_of=as_of)
    return proposals


def successor_pool(leaver: Employee, *, as_of: dt.date) -> pd.DataFrame:
    """Active account managers who could take customers over, with their current book
    (customers as primary owner, by segment, and their annual value)."""
    pool = pd.DataFrame.from_records(
        list(
            # Of the people who may own customers (Employee.may_own_customers: not
            # HR or admins, not leaving, login not disabled), the account managers.
            Employee.objects.filter(
                Employee.may_own_customers(), role=Employee.Role.ACCOUNT_MANAGER
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
    values = (
        Contract.objects.filter(
            customer__status=Customer.Status.ACTIVE,
            customer__primary_owner_id__in=pool.index,
            start_date__lte=as_of,
            end_date__gte=as_of,
        )
        .values("customer__primary_owner_id")
        .annotate(value=Sum("annual_value_reporting"))
        .values_list("customer__primary_owner_id", "value")
    )
    book_value = pd.Series({owner: float(value) for owner, value in values}, dtype="float64")
    pool["book_value"] = book_value.reindex(pool.index, fill_value=0.0)
    return pool


def recommend_successors(
    leaver: Employee,
    proposals: list[Proposal],
    *,
    talks: pd.DataFrame,
    book: list[tuple],
    as_of: dt.date,
) -> None:
    """Pick a successor per customer, most important customer first, counting what each
    successor has already been given so the book is spread. Points, each shown as a
    reason: already the customer's other owner (+5), has dealt with the customer in 180
    days (+4), same team (+3), same region (+1), looks after customers of the segment
    (+1), room in the book (+0..1); over capacity (-5, flagged)."""
    pool = successor_pool(leaver, as_of=as_of)
    if pool.empty:
        return
    capacity = settings.SUCCESSOR_CAPACITY
    candidates = pool.index.to_numpy()
    load = pool["book"].to_numpy(dtype="float64").copy()
    value_load = pool["book_value"].to_numpy(dtype="float64").copy()
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
        reasons.append(
            f"book {int(load[best])} of {capacity} customers, {value_load[best]:,.0f} a year"
        )
        proposal.successor_id = int(chosen)
        proposal.successor_name = pool.at[chosen, "name"]
        proposal.over_capacity = bool(over[best])
        if proposal.over_capacity:
            reasons.append("over capacity")
        proposal.reasons = reasons
        if proposal.role == OwnerRole.PRIMARY:
            load[best] += 1
            value_load[best] += proposal.annual_value


# --- key-person exposure ------------------------------------------------------------------------------


@dataclass
class Exposure:
    employee_id: int
    name: str
    team: str
    status: str
    is_key_employee: bool
    primary_customers: int
    secondary_customers: int
    annual_value: float
    value_share: float
    value_at_risk: float
    single_threaded: int
    one_contact: int

    @property
    def customers(self) -> int:
        return self.primary_customers + self.secondary_customers


def exposure_report(*, as_of: dt.date, employee_ids: list[int] | None = None) -> list[Exposure]:
    """Per employee: the customers they own (primary and secondary), their annual value
    and share of the company's, value at risk (current scores), and how many are
    single-threaded (only one employee talked to them in 180 days, as of the last
    scoring) or have one known contact. Sorted by annual value owned: what could walk
    out with them. Three GROUP BY queries on PostgreSQL, whatever the company size."""
    active = Customer.objects.filter(status=Customer.Status.ACTIVE)
    in_force = Contract.objects.filter(
        customer__status=Customer.Status.ACTIVE, start_date__lte=as_of, end_date__gte=as_of
    )
    scores = RiskScore.objects.current().filter(customer__status=Customer.Status.ACTIVE)
    if connection.vendor == "postgresql":
        table, total_value = _owner_sums_grouped(active, in_force, scores)
    else:
        table, total_value = _owner_sums_by_role(active, in_force, scores)
    people = Employee.objects.filter(pk__in=[int(i) for i in table.index]).select_related("team")
    if employee_ids is not None:
        people = people.filter(pk__in=employee_ids)
    rows = []
    for person in people:
        row = table.loc[person.pk]
        value = float(row["primary_value"]) + float(row["secondary_value"])
        rows.append(
            Exposure(
                employee_id=person.pk,
                name=person.name,
                team=person.team.name if person.team_id else "",
                status=person.get_status_display(),
                is_key_employee=person.is_key_employee,
                primary_customers=int(row["primary_customers"]),
                secondary_customers=int(row["secondary_customers"]),
                annual_value=value,
                value_share=value / total_value if total_value else 0.0,
                value_at_risk=float(row["primary_rar"]) + float(row["secondary_rar"]),
                single_threaded=int(row["primary_single"]) + int(row["secondary_single"]),
                one_contact=int(row["primary_one_contact"]) + int(row["secondary_one_contact"]),
            )
        )
    rows.sort(key=lambda r: (-r.annual_value, r.name))
    return rows


# What the exposure report sums per owner, by source: the fields read (m0, m1, ... in
# the statement) and each measure's aggregate over them.
_OWNER_SOURCES = {
    "customers": (("id",), {"customers": "count(*)"}),
    "contracts": (("annual_value_reporting",), {"value": "sum(m0)"}),
    "scores": (
        ("revenue_at_risk", "single_threaded", "active_contacts"),
        {
            "rar": "sum(m0)",
            "single": "count(*) FILTER (WHERE m1)",
            "one_contact": "count(*) FILTER (WHERE m2 <= 1)",
        },
    ),
}


def _owner_sums_grouped(active, in_force, scores) -> tuple[pd.DataFrame, float]:
    """Each measure of the exposure report per primary and per secondary owner, and the
    company's value in force, with one scan of customers, contracts and current scores
    each (GROUPING SETS: by primary owner, by secondary owner, and the whole) instead of
    one per role and table. Returns what `_owner_sums_by_role` returns: a frame indexed
    by employee id with `primary_*` and `secondary_*` columns, and the total value."""
    querysets = {
        "customers": (active, ("primary_owner_id", "secondary_owner_id")),
        "contracts": (in_force, ("customer__primary_owner_id", "customer__secondary_owner_id")),
        "scores": (scores, ("customer__primary_owner_id", "customer__secondary_owner_id")),
    }
    parts: dict[str, list[pd.DataFrame]] = {"primary": [], "secondary": []}
    total_value = 0.0
    for source, (fields, measures) in _OWNER_SOURCES.items():
        queryset, owners = querysets[source]
        inner, params = queryset.order_by().values_list(*owners, *fields).query.sql_with_params()
        names = ", ".join(f"m{i}" for i in range(len(fields)))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT GROUPING(p, s), coalesce(p, s), {', '.join(measures.values())} "
                f"FROM ({inner}) AS q(p, s, {names}) GROUP BY GROUPING SETS ((p), (s), ())",
                params,
            )
            frame = pd.DataFrame.from_records(
                cursor.fetchall(), columns=["grouping", "employee_id", *measures]
            )
        # GROUPING(p, s): 1 when grouped by the primary owner, 2 by the secondary, 3 the
        # whole company.
        if source == "contracts":
            whole = frame.loc[frame["grouping"] == 3, "value"]
            total_value = float(whole.iloc[0] or 0) if len(whole) else 0.0
        for role, grouping in (("primary", 1), ("secondary", 2)):
            own = frame[(frame["grouping"] == grouping) & frame["employee_id"].notna()]
            parts[role].append(own.drop(columns="grouping").set_index("employee_id"))
    primary, secondary = (
        parts[role][0].join(parts[role][1:], how="outer").add_prefix(f"{role}_")
        for role in ("primary", "secondary")
    )
    return primary.join(secondary, how="outer").fillna(0), total_value


def _owner_sums_by_role(active, in_force, scores) -> tuple[pd.DataFrame, float]:
    """`_owner_sums_grouped` for databases without GROUPING SETS (the embedded one): a
    GROUP BY per owner role and measure."""
    frames = []
    for role in ("primary", "secondary"):
        owner = f"{role}_owner_id"
        counts = active.exclude(**{f"{owner}__isnull": True}).values(owner).annotate(n=Count("id"))
        values = in_force.values(f"customer__{owner}").annotate(v=Sum("annual_value_reporting"))
        risk = scores.values(f"customer__{owner}").annotate(
            rar=Sum("revenue_at_risk"),
            single=Count("id", filter=Q(single_threaded=True)),
            one_contact=Count("id", filter=Q(active_contacts__lte=1)),
        )
        frame = pd.DataFrame.from_records(
            list(counts.values_list(owner, "n")), columns=["employee_id", "customers"]
        ).set_index("employee_id")
        frame = frame.join(
            pd.DataFrame.from_records(
                list(values.values_list(f"customer__{owner}", "v")),
                columns=["employee_id", "value"],
            ).set_index("employee_id"),
            how="outer",
        ).join(
            pd.DataFrame.from_records(
                list(risk.values_list(f"customer__{owner}", "rar", "single", "one_contact")),
                columns=["employee_id", "rar", "single", "one_contact"],
            ).set_index("employee_id"),
            how="outer",
        )
        frames.append(frame.add_prefix(f"{role}_"))
    table = frames[0].join(frames[1], how="outer").fillna(0)
    table = table[table.index.notna()]
    total_value = float(in_force.aggregate(v=Sum("annual_value_reporting"))["v"] or 0)
    return table, total_value


# --- what happened after people left -----------------------------------------------------------------


OUTCOME_WINDOWS = (90, 180)


@dataclass
class DepartureOutcome:
    employee_id: int
    name: str
    last_day: dt.date
    voluntary: bool | None
    is_key_employee: bool
    handed_over: int
    # window days -> (churned, of, baseline churned, baseline of, complete window?)
    windows: dict[int, tuple[int, int, int, int, bool]]

    def rate(self, days: int) -> float | None:
        churned, of, *_ = self.windows[days]
        return churned / of if of else None

    def baseline(self, days: int) -> float | None:
        _, _, churned, of, _ = self.windows[days]
        return churned / of if of else None


def departure_outcomes(*, as_of: dt.date, people: Q | None = None) -> list[DepartureOutcome]:
    """For every departure whose last day has passed: the churn rate of the customers
    the leaver handed over, 90 and 180 days after the last day, against the company's
    baseline churn rate over the same windows (customers active on the last day).
    A window not yet over counts what happened so far and says so. `people` narrows the
    leavers (staff/access.py employee_scope); the baseline stays the company's."""
    leavers = Employee.objects.filter(
        status=Employee.Status.DEPARTED, departure_date__isnull=False, departure_date__lte=as_of
    )
    if people is not None:
        leavers = leavers.filter(people)
    leavers = list(leavers.order_by("-departure_date"))
    if not leavers:
        return []
    # Customers handed over: ownership that ended on (or in the notice period before) the last day.
    periods = pd.DataFrame.from_records(
        list(_handed_over_rows([leaver.pk for leaver in leavers])),
        columns=["employee_id", "customer_id", "ended_on", "churned_on"],
    )
    # The company's baseline for every last day from one read of all customers' start and
    # churn dates (numpy over the arrays, not two counts per departure).
    lifetimes = read_frame(
        Customer.objects.values_list("customer_since", "churned_on"), ["since", "churned_on"]
    )
    since = pd.to_datetime(lifetimes["since"]).to_numpy()
    churned_at = pd.to_datetime(lifetimes["churned_on"]).to_numpy()
    never = np.isnat(churned_at)
    baselines: dict[tuple[dt.date, dt.date], tuple[int, int]] = {}

    def baseline(last_day: dt.date, seen_until: dt.date) -> tuple[int, int]:
        key = (last_day, seen_until)
        if key not in baselines:
            day = np.datetime64(last_day)
            active = (since <= day) & (never | (churned_at > day))
            churned = active & ~never & (churned_at <= np.datetime64(seen_until))
            baselines[key] = (int(churned.sum()), int(active.sum()))
        return baselines[key]

    by_leaver = dict(tuple(periods.groupby("employee_id")))
    results = []
    for leaver in leavers:
        last_day = leaver.departure_date
        notice_start = leaver.departure_announced_on or (last_day - dt.timedelta(days=60))
        theirs = by_leaver.get(leaver.pk, periods.iloc[:0])
        mine = theirs[
            (theirs["ended_on"] >= notice_start) & (theirs["ended_on"] <= last_day)
        ].drop_duplicates("customer_id")
        churned_on = pd.to_datetime(mine["churned_on"])
        on_books = mine[churned_on.isna() | (churned_on > pd.Timestamp(last_day))]
        on_books_churn = pd.to_datetime(on_books["churned_on"])
        windows = {}
        for days in OUTCOME_WINDOWS:
            end = last_day + dt.timedelta(days=days)
            seen_until = min(end, as_of)
            churned = int((on_books_churn <= pd.Timestamp(seen_until)).sum())
            windows[days] = (churned, len(on_books), *baseline(last_day, seen_until), end <= as_of)
        results.append(
            DepartureOutcome(
                employee_id=leaver.pk,
                name=leaver.name,
                last_day=last_day,
                voluntary=leaver.departure_voluntary,
                is_key_employee=leaver.is_key_employee,
                handed_over=len(on_books),
                windows=windows,
            )
        )
    return results


def _handed_over_rows(employee_ids: list[int]):
    return OwnershipPeriod.objects.filter(
        employee_id__in=employee_ids, ended_on__isnull=False
    ).values_list("employee_id", "customer_id", "ended_on", "customer__churned_on")


def outcome_summary(outcomes: list[DepartureOutcome], days: int) -> list[dict]:
    """Pooled churn after departures vs baseline, overall and by voluntary / key."""
    groups = {
        _("All departures"): lambda o: True,
        _("Voluntary"): lambda o: o.voluntary is True,
        _("Involuntary"): lambda o: o.voluntary is False,
        _("Key employees"): lambda o: o.is_key_employee,
        _("Other employees"): lambda o: not o.is_key_employee,
    }
    rows = []
    for label, keep in groups.items():
        chosen = [o for o in outcomes if keep(o) and o.windows[days][4]]
        churned = sum(o.windows[days][0] for o in chosen)
        of = sum(o.windows[days][1] for o in chosen)
        base_churned = sum(o.windows[days][2] for o in chosen)
        base_of = sum(o.windows[days][3] for o in chosen)
        rows.append(
            {
                "group": label,
                "departures": len(chosen),
                "customers": of,
                "churned": churned,
                "rate": churned / of if of else None,
                "baseline": base_churned / base_of if base_of else None,
            }
        )
    return rows
