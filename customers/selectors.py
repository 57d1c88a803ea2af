"""Reads of the customer record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from customers.models import Contract, Customer, Interaction, RiskScore, ScoringRun
from retention.months import next_month
from retention.paging import capped_count, keyset_filter
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
    contracts = contracts_ending(as_of=as_of, days=days, month=month).filter(
        customer__status=Customer.Status.ACTIVE
    )
    if team_id:
        contracts = contracts.filter(customer__primary_owner__team_id=team_id)
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


def contracts_ending(
    *, as_of: dt.date, days: int = 180, month: dt.date | None = None
) -> QuerySet[Contract]:
    """Contracts in force on `as_of` that end in the next `days` days (in `month`, its
    first day, when given), of any customer, unordered: the renewal calendar's window."""
    contracts = (
        Contract.objects.filter(
            start_date__lte=as_of,
            end_date__gte=as_of,
            end_date__lte=as_of + dt.timedelta(days=days),
        )
        .exclude(status__in=[Contract.Status.CANCELLED, Contract.Status.EXPIRED])
        .order_by()
    )
    if month:
        contracts = contracts.filter(end_date__gte=month, end_date__lt=next_month(month))
    return contracts


def with_renewal_and_alerts(customers: QuerySet[Customer], *, today: dt.date) -> QuerySet[Customer]:
    """Annotate each customer's next contract end (from `today`) and live alert count:
    correlated subqueries on indexes, evaluated only for the rows a page shows."""
    from alerts.models import Alert

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
    return customers.annotate(
        next_renewal=Subquery(next_end), open_alerts=Coalesce(Subquery(live_alerts), 0)
    )


def renewal_within(days: int, *, today: dt.date, ref: str = "pk") -> Exists:
    """ "Next renewal within N days" as an EXISTS on the (customer, end date) index, not a
    filter on an annotated subquery, which would run it for every customer. `ref`: the
    outer query's customer id ("pk" on customers, "customer_id" on their records)."""
    ending = Contract.objects.filter(
        customer_id=OuterRef(ref),
        end_date__gte=today,
        end_date__lte=today + dt.timedelta(days=days),
    ).exclude(status__in=[Contract.Status.CANCELLED, Contract.Status.EXPIRED])
    return Exists(ending)


def name_or_id_matches(search: str, prefix: str = "") -> Q:
    """A search box's words, in any case: the start of the external id ("C0000", "c0000"
    and "X-" find C0000005 and X-17), or part of the name; a search shorter than three
    characters matches the start of the name. Each arm is read from an index (the
    external id's prefix index, the name's trigram index, which serves "contains" from
    three characters and "starts with" from one), never by reading every customer."""
    name = "name__icontains" if len(search) >= NAME_CONTAINS_FROM else "name__istartswith"
    return Q(**{f"{prefix}{name}": search}) | Q(**{f"{prefix}external_id__istartswith": search})


# A trigram index finds "contains" only for three characters or more.
NAME_CONTAINS_FROM = 3


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
    rows = with_current_risk(customers, run)
    if run is not None:
        rows = rows.annotate(risk_annual_value=F("score__annual_value"))
    rows = with_renewal_and_alerts(rows, today=today)
    if tiers and run is not None:
        rows = rows.filter(risk_tier__in=tiers)
    if segment:
        rows = rows.filter(segment=segment)
    if renewal_days is not None:
        rows = rows.filter(renewal_within(renewal_days, today=today))
    if search:
        rows = rows.filter(name_or_id_matches(search))
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
    tiers: list[int] | None = None,
    **filters,
) -> QuerySet[Customer]:
    """The customers list's filters (every role, of the customers it sees): the book's
    (tier, segment, renewal window, search) plus team (of the primary owner), owner
    (primary or secondary), status and handover state, unordered. `customers` is already
    narrowed by staff/access.py. `filters`: those of list_conditions."""
    customers = customers.filter(*list_conditions("", "pk", today=today, **filters))
    if tiers and run is not None:
        in_tiers = RiskScore.objects.current().filter(customer_id=OuterRef("pk"), tier__in=tiers)
        customers = customers.filter(Exists(in_tiers))
    return customers


def list_conditions(
    prefix: str,
    ref: str,
    *,
    today: dt.date,
    team_id: int | None = None,
    owner_id: int | None = None,
    handover: str = "",
    status: str = Customer.Status.ACTIVE,
    segment: str = "",
    renewal_days: int | None = None,
    search: str = "",
) -> list:
    """The customers list's filters on the customer's fields, as conditions on a query of
    customers (`prefix` "", `ref` "pk") or of their records ("customer__", "customer_id"):
    a list sorted by a score filters the scores it walks with them directly, so
    PostgreSQL can stop after a page instead of first finding every matching customer."""
    from handover.models import HandoverPlan, HandoverTask

    conditions: list = []
    if status:
        conditions.append(Q(**{f"{prefix}status": status}))
    if team_id:
        conditions.append(Q(**{f"{prefix}primary_owner__team_id": team_id}))
    if owner_id:
        conditions.append(
            Q(**{f"{prefix}primary_owner_id": owner_id})
            | Q(**{f"{prefix}secondary_owner_id": owner_id})
        )
    if handover:
        open_tasks = HandoverTask.objects.filter(
            customer_id=OuterRef(ref),
            status=HandoverTask.Status.OPEN,
            plan__status=HandoverPlan.Status.OPEN,
        )
        if handover == "no_successor":
            conditions.append(Exists(open_tasks.filter(accepted_at__isnull=True)))
        elif handover == "in_handover":
            conditions.append(Exists(open_tasks))
        elif handover == "not_in_handover":
            conditions.append(~Exists(open_tasks))
    if segment:
        conditions.append(Q(**{f"{prefix}segment": segment}))
    if renewal_days is not None:
        conditions.append(renewal_within(renewal_days, today=today, ref=ref))
    if search:
        conditions.append(name_or_id_matches(search, prefix))
    return conditions


# The list's score sorts and the score column each orders by (highest first).
LIST_SCORE_COLUMNS = {
    "risk": "revenue_at_risk",
    "probability": "probability",
    "value": "annual_value",
}
LIST_SCORE_TYPES = {"risk": Decimal, "value": Decimal}
# Sorts a keyset page can continue: the order is a walk of an index.
KEYSET_SORTS = {*LIST_SCORE_COLUMNS, "name"}


def list_sort(sort: str, run: ScoringRun | None, status: str) -> str:
    """The order the customers list really uses: a score sort needs a scoring run and
    active customers (churned ones have no current score), else it is by name."""
    sort = sort if sort in BOOK_SORTS else "risk"
    if sort in SCORE_SORTS and (run is None or status != Customer.Status.ACTIVE):
        return "name"
    return sort


def list_sort_keys(sort: str) -> tuple[list[str], list[type]]:
    """The ordering of a keyset sort, on the queryset the page walks, and its types.

    By probability, the scores are ordered by tier first: tiers are ranks of the day's
    probabilities (customers/scoring/runs.py), so the order is the same (customers of
    equal probability on a tier boundary aside), and the walk reads the current scores' tier
    index and sorts one tier's scores instead of sorting every score of the day."""
    if sort == "name":
        return ["name", "id"], [str, int]
    if sort == "probability":
        return ["tier", "-probability", "customer__name", "customer_id"], [int, float, str, int]
    column = LIST_SCORE_COLUMNS[sort]
    return [f"-{column}", "customer__name", "customer_id"], [LIST_SCORE_TYPES[sort], str, int]


def owner_choices(teams: set[int] | None) -> QuerySet[Employee]:
    """The owners the customers list can filter by: the account managers and managers in
    the teams whose figures the viewer sees (staff.access.report_team_ids: None for every
    team, an empty set for nobody)."""
    people = Employee.objects.filter(
        role__in=[Employee.Role.ACCOUNT_MANAGER, Employee.Role.MANAGER]
    ).order_by("name", "id")
    return people if teams is None else people.filter(team__in=teams)


def offered_owners(teams: set[int] | None, today: dt.date) -> QuerySet[Employee]:
    """The owners the owner box offers and resolves a typed name among: `owner_choices`,
    less those whose last day has passed and who own nobody any more (the handover moved
    their customers); someone whose handover is not done still owns, and is offered."""
    gone = Q(status=Employee.Status.DEPARTED) | Q(departure_date__lt=today)
    still_owns = Exists(Customer.objects.filter(primary_owner_id=OuterRef("pk")))
    return owner_choices(teams).filter(~gone | still_owns)


def owners_named(people: QuerySet[Employee], typed: str) -> QuerySet[Employee]:
    """The people of `people` whom text typed in the owner box names: their name or their
    e-mail address, in any case, or the "Name (Team)" label a suggestion shows."""
    from retention.email_address import email_key

    typed = typed.strip()
    named = Q(name__iexact=typed) | Q(email_key=email_key(typed))
    if typed.endswith(")") and " (" in typed:
        name, team = typed[:-1].rsplit(" (", 1)
        named |= Q(name__iexact=name.strip(), team__name__iexact=team.strip())
    return people.filter(named)


def shown_customers(
    customers: QuerySet[Customer], run: ScoringRun | None, sort: str
) -> QuerySet[Customer]:
    """The customers the list shows in `sort` (from list_sort): sorted by a score, those
    scored in the run (customers added since wait for the next night, or the name
    sort)."""
    if sort in SCORE_SORTS:
        return customers.filter(
            Exists(RiskScore.objects.current().filter(customer_id=OuterRef("pk")))
        )
    return customers


def _scored(
    customers: QuerySet[Customer],
    run: ScoringRun,
    few: list[int] | None,
    scores: QuerySet[RiskScore] | None = None,
):
    """The run's scores of `customers`: of the ids `few`, when the set was read first;
    `scores` when the caller filtered the current scores themselves (list_conditions)."""
    if few is not None:
        return RiskScore.objects.current().filter(customer_id__in=few)
    if scores is not None:
        return scores
    return RiskScore.objects.current().filter(customer__in=customers)


def customer_list_count(
    customers: QuerySet[Customer],
    run: ScoringRun | None,
    sort: str,
    few: list[int] | None = None,
    scores: QuerySet[RiskScore] | None = None,
):
    """How many customers the list shows: exact up to LIST_EXACT_COUNT_UP_TO."""
    if sort in SCORE_SORTS:
        return capped_count(_scored(customers, run, few, scores))
    return capped_count(customers)


def customer_list_page(
    customers: QuerySet[Customer],
    run: ScoringRun | None,
    *,
    sort: str,
    today: dt.date,
    size: int,
    after: list | None = None,
    before: list | None = None,
    offset: int = 0,
    few: list[int] | None = None,
    scores: QuerySet[RiskScore] | None = None,
) -> tuple[list[Customer], bool]:
    """One page of the customers list in `sort` (from list_sort): the `size` rows after
    the sort values `after` (or before `before`) of a keyset sort, else from `offset`.
    Returns the customers, in order, with their current risk, next renewal and live
    alerts, and whether more rows follow in the direction read. `few`: the ids of
    `customers` when the view read them first (few_customer_ids); `scores`: the current
    scores filtered as the list is (list_conditions), walked when sorted by a score.

    Sorted by a score, the page walks the run's scores in the order of the score index
    and stops after a page; by name, the (name, id) index. Either way a page costs the
    same at a million customers as at a thousand, however deep it is."""
    backwards = before is not None
    if sort in SCORE_SORTS:
        keys = list_sort_keys(sort)[0]
        walked = _scored(customers, run, few, scores)
        id_field = "customer_id"
    elif sort == "name":
        keys = list_sort_keys(sort)[0]
        walked = customers
        id_field = "id"
    else:
        found, more = _by_next_renewal(customers, today=today, size=size, offset=offset)
        return _page_rows(found, run, today=today), more
    if keys and (after is not None or before is not None):
        walked = walked.filter(keyset_filter(keys, after or before, backwards=backwards))
        offset = 0
    order = [_reversed(key) for key in keys] if backwards else keys
    fields = [id_field, *(key.lstrip("-") for key in keys)]
    found = list(walked.order_by(*order).values_list(*fields)[offset : offset + size + 1])
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    return _page_rows(found, run, today=today), more


def _page_rows(found: list[tuple], run: ScoringRun | None, *, today: dt.date) -> list[Customer]:
    """The customers of a page, in the order of `found` ((customer id, *sort values)),
    with their current risk, next renewal and live alerts: three small queries."""
    ids = [row[0] for row in found]
    rows = {
        customer.pk: customer
        for customer in with_renewal_and_alerts(
            Customer.objects.filter(pk__in=ids), today=today
        ).select_related("primary_owner", "secondary_owner")
    }
    scores = {}
    if run is not None:
        scores = {
            score["customer_id"]: score
            for score in RiskScore.objects.current()
            .filter(customer_id__in=ids)
            .values(
                "customer_id", "probability", "tier", "annual_value", "revenue_at_risk", "reasons"
            )
        }
    page = []
    for row in found:
        customer = rows[row[0]]
        score = scores.get(customer.pk, {})
        customer.risk_probability = score.get("probability")
        customer.risk_tier = score.get("tier")
        customer.risk_annual_value = score.get("annual_value")
        customer.revenue_at_risk = score.get("revenue_at_risk")
        customer.risk_reasons = score.get("reasons")
        customer.sort_values = list(row[1:])
        page.append(customer)
    return page


# A viewer who sees at most this many customers has their records read from the
# customers' side (a list of ids on the customer indexes); more, and the records are
# walked in the page's order, testing each record's customer.
FEW_CUSTOMERS = 5_000


def few_customer_ids(
    customers: QuerySet[Customer], *, in_name_order: bool = False
) -> list[int] | None:
    """The ids of `customers` if there are at most FEW_CUSTOMERS of them, else None;
    `in_name_order`: in the list's name order (name, then id).

    A manager sees 1% of a million customers: walking every contract by end date, or
    every score by revenue at risk, and testing each one's customer reads a hundred rows
    per row shown (thousands when a filter narrows further), where reading the
    manager's customers first and sorting their few thousand records is quick. So a
    small set is read first and handed to PostgreSQL as ids; a large one is walked."""
    if not in_name_order:
        few = list(customers.order_by().values_list("pk", flat=True)[: FEW_CUSTOMERS + 1])
        return few if len(few) <= FEW_CUSTOMERS else None
    # The set is cut at FEW_CUSTOMERS + 1 before it is sorted, so PostgreSQL never walks
    # the name index across a million customers looking for a few scattered ones; the
    # outer sort keeps the name column's collation (the order people read).
    inner, params = (
        customers.order_by().values_list("id", "name")[: FEW_CUSTOMERS + 1].query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT few.id FROM ({inner}) few ORDER BY few.name, few.id", params)
        few = [row[0] for row in cursor.fetchall()]
    return few if len(few) <= FEW_CUSTOMERS else None


def within(customers: QuerySet[Customer], field: str = "customer_id") -> Q:
    """Records (through `field`) of `customers`, as ids when they are few."""
    few = few_customer_ids(customers)
    if few is not None:
        return Q(**{f"{field}__in": few})
    return Q(**{f"{field}__in": customers.order_by().values("pk")})


def _by_next_renewal(
    customers: QuerySet[Customer], *, today: dt.date, size: int, offset: int
) -> tuple[list[tuple], bool]:
    """A page of `customers` by next renewal (soonest first, then name; customers with
    no contract to renew last, by name), from `offset`. The next renewal is no column:
    instead of computing it for every customer and sorting, the page walks the contracts
    still to end in the order of the end-date index, keeping each customer's first one
    (no earlier contract of theirs still to end), then the customers with none by the
    (name, id) index. Offsets are bounded by the list's count limit."""
    to_renew = Contract.objects.filter(end_date__gte=today).exclude(
        status__in=[Contract.Status.CANCELLED, Contract.Status.EXPIRED]
    )
    earlier = to_renew.filter(customer_id=OuterRef("customer_id")).filter(
        Q(end_date__lt=OuterRef("end_date"))
        | Q(end_date=OuterRef("end_date"), id__lt=OuterRef("id"))
    )
    firsts = (
        to_renew.filter(within(customers, "customer_id"))
        .filter(~Exists(earlier))
        .order_by("end_date", "customer__name", "customer_id")
    )
    found = list(firsts.values_list("customer_id", "end_date")[offset : offset + size + 1])
    if len(found) > size:
        return found[:size], True
    # The renewing customers end on this page (or before it): the rest follow.
    renewing = offset + len(found) if found else firsts.order_by()[: offset + 1].count()
    start = max(0, offset - renewing)
    rest = (
        customers.filter(~Exists(to_renew.filter(customer_id=OuterRef("pk"))))
        .order_by("name", "id")
        .values_list("id", "name")[start : start + size + 1 - len(found)]
    )
    found += list(rest)
    return found[:size], len(found) > size


def _reversed(term: str) -> str:
    return term[1:] if term.startswith("-") else f"-{term}"


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
