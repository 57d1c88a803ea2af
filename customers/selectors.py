"""Reads of the customer record."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from customers.models import Contract, Customer, Interaction, RiskScore, ScoringRun
from retention.months import next_month
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
            score=FilteredRelation(
                "risk_scores", condition=Q(risk_scores__valid_until__isnull=True)
            )
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
    *,
    as_of: dt.date,
    days: int = 180,
    team_id: int | None = None,
    month: dt.date | None = None,
    order: tuple[str, ...] = ("end_date", "customer__name"),
) -> QuerySet[Contract]:
    """Contracts in force that end in the next `days` days, soonest first, with the
    customer's current risk tier and probability, revenue at risk, the last renewal
    talk and the state of the customer's live contract-ending alert. `month` (its first
    day) narrows to contracts ending that month; `team_id` to customers whose primary
    owner is in that team. `order` ("end_date", "id") lets PostgreSQL walk the contracts
    by end date and stop at a page's worth, instead of sorting every match by name."""
    contracts = Contract.objects.filter(
        customer__status=Customer.Status.ACTIVE,
        start_date__lte=as_of,
        end_date__gte=as_of,
        end_date__lte=as_of + dt.timedelta(days=days),
    ).exclude(status__in=[Contract.Status.CANCELLED, Contract.Status.EXPIRED])
    if team_id:
        contracts = contracts.filter(customer__primary_owner__team_id=team_id)
    if month:
        contracts = contracts.filter(end_date__gte=month, end_date__lt=next_month(month))
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
        score = RiskScore.objects.current().filter(customer_id=OuterRef("customer_id"))
        contracts = contracts.annotate(
            risk_tier=Subquery(score.values("tier")[:1]),
            risk_probability=Subquery(score.values("probability")[:1]),
            revenue_at_risk=Subquery(score.values("revenue_at_risk")[:1]),
        )
    return contracts.select_related("customer", "customer__primary_owner").order_by(*order)


BOOK_SORTS = {
    "risk": (_("Revenue at risk"), [F("revenue_at_risk").desc(nulls_last=True), "name", "pk"]),
    "probability": (
        _("Churn probability"),
        [F("risk_probability").desc(nulls_last=True), "name", "pk"],
    ),
    "value": (_("Annual value"), [F("risk_annual_value").desc(nulls_last=True), "name", "pk"]),
    "renewal": (_("Next renewal"), [F("next_renewal").asc(nulls_last=True), "name", "pk"]),
    "name": (_("Name"), ["name", "pk"]),
}


def book_rows(
    customers: QuerySet[Customer],
    run: ScoringRun | None,
    *,
    today: dt.date,
    tiers: list[int] | None = None,
    segment: str = "",
    renewal_days: int | None = None,
    search: str = "",
    sort: str = "risk",
) -> QuerySet[Customer]:
    """A book of customers for one page of the list: current risk (with the score's annual
    value), the next contract end, and the live alert count, filtered and sorted. Every
    figure is a join or a correlated subquery on an index, so a page costs the same
    however large the company is."""
    from alerts.models import Alert

    rows = with_current_risk(customers, run)
    if run is not None:
        rows = rows.annotate(risk_annual_value=F("score__annual_value"))
    next_end = (
        Contract.objects.filter(customer_id=OuterRef("pk"), end_date__gte=today)
        .exclude(status__in=[Contract.Status.CANCELLED, Contract.Status.EXPIRED])
        .order_by("end_date")
        .values("end_date")[:1]
    )
    live_alerts = (
        Alert.objects.filter(customer_id=OuterRef("pk"), status__in=Alert.LIVE)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = rows.annotate(
        next_renewal=Subquery(next_end),
        open_alerts=Coalesce(Subquery(live_alerts), 0),
    )
    if tiers and run is not None:
        rows = rows.filter(risk_tier__in=tiers)
    if segment:
        rows = rows.filter(segment=segment)
    if renewal_days is not None:
        # "Next renewal within N days" as an EXISTS on the (customer, end date) index, not
        # a filter on the annotated subquery, which would run it for every customer.
        ending = Contract.objects.filter(
            customer_id=OuterRef("pk"),
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=renewal_days),
        ).exclude(status__in=[Contract.Status.CANCELLED, Contract.Status.EXPIRED])
        rows = rows.filter(Exists(ending))
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(external_id__iexact=search))
    sort = sort if sort in BOOK_SORTS else "risk"
    if run is None and sort in ("risk", "probability", "value"):
        sort = "name"
    return rows.order_by(*BOOK_SORTS[sort][1])


SCORE_SORTS = {"risk", "probability", "value"}
HANDOVER_STATES = {
    "in_handover": _("In a handover in progress"),
    "no_successor": _("In a handover, no accepted successor"),
    "not_in_handover": _("Not in a handover"),
}


def customer_list_rows(
    customers: QuerySet[Customer],
    run: ScoringRun | None,
    *,
    today: dt.date,
    team_id: int | None = None,
    owner_id: int | None = None,
    handover: str = "",
    status: str = Customer.Status.ACTIVE,
    **book_filters,
) -> QuerySet[Customer]:
    """The customers list (every role, of the customers it sees): the book's columns,
    filters and sorts, plus team (of the primary owner), owner (primary or secondary),
    status and handover state. `customers` is already narrowed by staff/access.py."""
    from handover.models import HandoverPlan, HandoverTask

    if status:
        customers = customers.filter(status=status)
    if team_id:
        customers = customers.filter(primary_owner__team_id=team_id)
    if owner_id:
        customers = customers.filter(Q(primary_owner_id=owner_id) | Q(secondary_owner_id=owner_id))
    if handover:
        open_tasks = HandoverTask.objects.filter(
            customer_id=OuterRef("pk"),
            status=HandoverTask.Status.OPEN,
            plan__status=HandoverPlan.Status.OPEN,
        )
        if handover == "no_successor":
            customers = customers.filter(Exists(open_tasks.filter(accepted_at__isnull=True)))
        elif handover == "in_handover":
            customers = customers.filter(Exists(open_tasks))
        elif handover == "not_in_handover":
            customers = customers.filter(~Exists(open_tasks))
    sort = book_filters.get("sort") or "risk"
    rows = book_rows(customers, run, today=today, **book_filters)
    if run is not None and sort in SCORE_SORTS:
        if status != Customer.Status.ACTIVE:
            # Churned customers have no current score: by name instead.
            return rows.order_by(*BOOK_SORTS["name"][1])
        # The customers scored in the run, walked in the order of the current scores'
        # revenue at risk index: a page costs the same at a million customers. Customers added
        # since the run are listed by name until the next night scores them.
        column = {"risk": "revenue_at_risk", "probability": "risk_probability"}.get(
            sort, "risk_annual_value"
        )
        rows = rows.filter(**{f"{column}__isnull": False}).order_by(F(column).desc(), "name", "pk")
    return rows


def risk_histories(
    customer_ids: list[int], *, until: dt.date, days: int = 90
) -> dict[int, list[tuple[dt.date, float]]]:
    """Each customer's churn probability on every scored day of the `days` up to `until`,
    oldest first. A score row holds over a span of days (it is written when the score
    changes), so the points are the days of the complete scoring runs in the window and
    the days a row began, each with the row that held on it: two queries for a whole
    page of customers."""
    since = until - dt.timedelta(days=days)
    histories: dict[int, list[tuple[dt.date, float]]] = {pk: [] for pk in customer_ids}
    rows = (
        RiskScore.objects.filter(customer_id__in=customer_ids, day__lte=until)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=since + dt.timedelta(days=1)))
        .order_by("customer_id", "day")
        .values_list("customer_id", "day", "valid_until", "probability")
    )
    run_days = list(
        ScoringRun.objects.filter(
            status=ScoringRun.Status.COMPLETE, day__gt=since, day__lte=until
        ).values_list("day", flat=True)
    )
    for customer_id, began, ended, probability in rows:
        first = max(began, since + dt.timedelta(days=1))
        held = {day for day in run_days if first <= day and (ended is None or day < ended)}
        if began > since:
            held.add(began)
        histories[customer_id].extend((day, probability) for day in sorted(held))
    return histories


def needs_attention(employee: Employee, *, today: dt.date, limit: int = 5) -> dict:
    """What an account manager should do today: new (not yet acknowledged) alerts on their
    customers, most revenue at risk first, and handover steps due within a week."""
    from alerts.models import Alert
    from handover.selectors import open_steps

    alerts = (
        Alert.objects.filter(owner=employee, status=Alert.Status.OPEN)
        .select_related("customer")
        .order_by("-revenue_at_risk", "id")
    )
    steps = (
        open_steps(employee)
        .filter(due_on__lte=today + dt.timedelta(days=7))
        .select_related("task__customer")
        .order_by("due_on", "id")
    )
    return {
        "alerts": list(alerts[:limit]),
        "alert_count": alerts.count(),
        "steps": list(steps[:limit]),
        "step_count": steps.count(),
    }
