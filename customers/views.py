from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from customers import page as customer_page
from customers.forms import (
    AccessGrantForm,
    BookFilterForm,
    CustomerListFilterForm,
    QuickInteractionForm,
    RenewalFilterForm,
)
from customers.list_pages import few_customer_page, scored_list_query
from customers.models import ChurnFigure, Customer, Interaction
from customers.renewals import renewal_page
from customers.selectors import (
    KEYSET_SORTS,
    SCORE_SORTS,
    book_for,
    book_rows,
    customer_list_count,
    customer_list_page,
    customer_list_rows,
    few_customer_ids,
    latest_scoring_run,
    list_sort,
    list_sort_keys,
    needs_attention,
    offered_owners,
    renewal_calendar,
    risk_histories,
    shown_customers,
)
from retention.paging import decode_cursor, encode_cursor, exact_count_limit
from retention.post_only import post_only
from staff import audit
from staff.access import (
    MANAGER_ROLES,
    customer_scope,
    employee_of,
    has_role,
    report_team_ids,
    role_of,
    role_required,
    sees_departure_of,
    sees_records,
    visible_to,
)
from staff.models import AccessGrant, Employee, Team

BOOK_PAGE_SIZE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My book: the customers I own with their risk, what needs attention today on top.
    HR owns no customers (Employee.cannot_own_customers): their start is the HR page."""
    if role_of(request.user) == Employee.Role.HR:
        return redirect("hr")
    employee = employee_of(request.user)
    run = latest_scoring_run()
    today = timezone.localdate()
    form = BookFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    context = {"employee": employee, "run": run, "form": form, "page": None, "today": today}
    if employee is not None:
        rows = book_rows(
            book_for(employee).filter(status=Customer.Status.ACTIVE),
            run,
            today=today,
            tiers=filters.get("tier"),
            segment=filters.get("segment", ""),
            renewal_days=filters.get("renewal"),
            search=(filters.get("q") or "").strip(),
            sort=filters.get("sort") or "risk",
        ).select_related("primary_owner")
        page = Paginator(rows, BOOK_PAGE_SIZE).get_page(request.GET.get("page"))
        customers = list(page.object_list)
        histories = risk_histories([c.pk for c in customers], until=run.day) if run else {}
        for customer in customers:
            customer.history = histories.get(customer.pk, [])
        query = request.GET.copy()
        query.pop("page", None)
        context |= {
            "page": page,
            "customers": customers,
            "query": query.urlencode(),
            "filtered": any(filters.get(key) for key in ("q", "tier", "segment", "renewal")),
            "attention": needs_attention(employee, today=today),
        }
    return render(request, "home.html", context)


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Every customer the user may see (staff/access.py), 25 a page: search, filters by
    team, owner, tier, segment, renewal window and handover state, sort, export.

    Sorted by a score or by name, "Next" and "Previous" continue after the last (before
    the first) row shown, so a page deep in the list costs what the first one does; the
    count stops at LIST_EXACT_COUNT_UP_TO ("More than 1,000 customers")."""
    run = latest_scoring_run()
    today = timezone.localdate()
    sees_risk = sees_records(role_of(request.user), "riskscore")
    form = CustomerListFilterForm(
        request.GET or None, teams=report_team_ids(request.user), sees_risk=sees_risk
    )
    filters = form.cleaned_data if form.is_valid() else {}
    default_sort = "risk" if sees_risk else "name"
    sort = list_sort(filters.get("sort") or default_sort, run, _list_status(filters))
    rows = customer_list_query(request.user, form, run, today, scored_only=False)
    # A viewer who sees part of the company (or a team's or an owner's customers) sees a
    # few thousand at most: read them first (in name order) and sort them. Everyone
    # else's list is walked in the index's order (reading ids first would read thousands
    # for nothing). customers/list_pages.py says how each is read.
    narrowed = customer_scope(role_of(request.user), employee_of(request.user)) is not None
    few = None
    if form.is_bound and not form.is_valid():
        # A filter it cannot use (an owner out of reach, a team not the viewer's) shows
        # no customers and says why, never the whole list unfiltered.
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[name].label}: {error}")
        few = []
    elif narrowed or filters.get("team") or filters.get("owner"):
        few = few_customer_ids(rows, in_name_order=True)
    if few is not None:
        rows = Customer.objects.filter(pk__in=few)
    size = BOOK_PAGE_SIZE
    after = before = None
    if sort in KEYSET_SORTS:
        types = list_sort_keys(sort)[1]
        after = decode_cursor(request.GET.get("after", ""), types)
        if after is None:
            before = decode_cursor(request.GET.get("before", ""), types)
    number = _page_number(request.GET.get("page"))
    keyset = after is not None or before is not None
    if not keyset:  # by offset: the first page, a renewal-sorted page, an old link
        number = min(number, -(-exact_count_limit() // size))
    offset = 0 if keyset else (number - 1) * size
    if few is not None and sort in KEYSET_SORTS:
        read = dict(sort=sort, today=today, size=size)
        customers, more, count = few_customer_page(
            few, run, after=after, before=before, offset=offset, **read
        )
        if not customers and number > 1:  # past the end: the last page there is
            number = max(1, -(-count.value // size)) if count.exact else 1
            customers, more, count = few_customer_page(few, run, offset=(number - 1) * size, **read)
    else:
        # Sorted by a score, the page and the count walk the run's scores themselves.
        scores = None
        if few is None and sort in SCORE_SORTS:
            scores = scored_list_query(request.user, filters, run, today, _list_status(filters))
        read = dict(sort=sort, today=today, size=size, few=few, scores=scores)
        customers, more = customer_list_page(
            rows, run, after=after, before=before, offset=offset, **read
        )
        count = customer_list_count(rows, run, sort, few, scores)
        if not customers and number > 1:  # past the end: the last page there is
            number = max(1, -(-count.value // size)) if count.exact else 1
            customers, more = customer_list_page(rows, run, offset=(number - 1) * size, **read)
    # Sorted by a score, an empty first page may still match customers not scored yet
    # (added since the night): say so, and link to the name sort that shows them.
    unscored_match = (
        not customers
        and sort in SCORE_SORTS
        and after is None
        and before is None
        and number == 1
        and (bool(few) if few is not None else rows.exists())
    )
    histories = (
        risk_histories([c.pk for c in customers], until=run.day) if run and sees_risk else {}
    )
    for customer in customers:
        customer.history = histories.get(customer.pk, [])
    query = request.GET.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    pager = _list_pager(query, sort, number, customers, more, before is not None, count, size)
    return render(
        request,
        "customers/list.html",
        {
            "run": run,
            "form": form,
            "pager": pager,
            "count": count,
            "customers": customers,
            "query": query.urlencode(),
            # Any filter given, also one that matched nobody (an owner not found): the
            # empty list is about the filters, not about what the reader may see.
            "filtered": bool(
                form.is_bound
                and any(
                    str(form.data.get(name, "")).strip() for name in form.fields if name != "sort"
                )
            ),
            "can_export": has_role(request.user, MANAGER_ROLES),
            "by_score": sort in SCORE_SORTS,
            "unscored_match": unscored_match,
            "name_sort_query": _with(query, sort="name"),
            # The export takes what the list shows: active customers unless a status
            # was chosen (with no filter at all it would take every status).
            "export_query": query.urlencode()
            if query.get("status")
            else _with(query, status="active"),
            "hide_risk": not sees_risk,
            "owner": filters.get("owner"),
            "owner_text": owner_label(filters["owner"]) if filters.get("owner") else "",
            "today": today,
        },
    )


def _with(query, **params) -> str:
    """`query` (a QueryDict) with `params` set, as a query string."""
    changed = query.copy()
    for key, value in params.items():
        changed[key] = value
    return changed.urlencode()


def _list_status(filters: dict) -> str:
    status = filters.get("status") or "active"
    return "" if status == "all" else status


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def _list_pager(query, sort, number, customers, more, backwards, count, size) -> dict:
    """Links of the customers list's pager. A keyset sort's links carry the sort values
    of the last (first) row shown; `page` then only numbers the page for people."""
    has_next = True if backwards else more
    has_previous = more if backwards else number > 1
    if backwards and not more:
        number = 1  # back at the start, whatever the link said
    links = {}

    def link(**params) -> str:
        return _with(query, **params)

    if has_previous:
        links["first"] = query.urlencode()
        if number - 1 <= 1:
            links["previous"] = query.urlencode()
        elif sort in KEYSET_SORTS:
            links["previous"] = link(
                before=encode_cursor(customers[0].sort_values), page=number - 1
            )
        else:
            links["previous"] = link(page=number - 1)
    if has_next and customers:
        if sort in KEYSET_SORTS:
            links["next"] = link(after=encode_cursor(customers[-1].sort_values), page=number + 1)
        elif number * size < exact_count_limit():  # offset pages stop at the count limit
            links["next"] = link(page=number + 1)
    pages = max(1, -(-count.value // size)) if count.exact else None
    return {"number": number, "pages": pages, "links": links}


def customer_list_query(user, form, run, today, *, scored_only: bool = True):
    """The customers list's customers for a bound or unbound filter form (also the
    export's), unordered: those the list shows in its sort (`scored_only`: sorted by a
    score, only the customers scored in the run, as the list shows them)."""
    if form.is_bound and not form.is_valid():
        return Customer.objects.none()  # as the list: a filter it cannot use shows nobody
    filters = form.cleaned_data if form.is_valid() else {}
    status = _list_status(filters)
    rows = customer_list_rows(
        visible_to(user, Customer.objects.all()),
        run,
        today=today,
        team_id=filters["team"].pk if filters.get("team") else None,
        owner_id=filters["owner"].pk if filters.get("owner") else None,
        handover=filters.get("handover") or "",
        status=status,
        tiers=filters.get("tier"),
        segment=filters.get("segment", ""),
        renewal_days=filters.get("renewal"),
        search=(filters.get("q") or "").strip(),
    )
    if not scored_only:
        return rows
    return shown_customers(rows, run, list_sort(filters.get("sort") or "risk", run, status))


@login_required
@require_GET
def customer_owners(request: HttpRequest) -> JsonResponse:
    """The owners the customers list may filter by whose name contains `q`, or whose
    e-mail address it is in any case (20 at most), for the owner box's suggestions: only
    people in the teams the viewer sees."""
    from django.db.models import Q

    from retention.email_address import email_key
    from retention.text_input import normalised

    search = normalised(request.GET.get("q", ""))[:100]
    # The list filters by the current owner (selectors.offered_owners); someone leaving
    # is labelled so.
    people = offered_owners(report_team_ids(request.user), timezone.localdate()).select_related(
        "team"
    )
    if search:
        people = people.filter(Q(name__icontains=search) | Q(email_key=email_key(search)))
    return JsonResponse(
        {
            "results": [
                {"id": person.pk, "text": owner_label(person, leaving=True)}
                for person in people[:OWNER_SUGGESTIONS]
            ]
        }
    )


OWNER_SUGGESTIONS = 20


def owner_label(person, *, leaving: bool = False) -> str:
    """Name (team); with `leaving`, a leaver's last day too (only for viewers who are
    offered the owners' suggestions: managers, HR and admins, who see departures)."""
    label = f"{person.name} ({person.team.name})" if person.team_id else person.name
    if leaving and person.status != Employee.Status.ACTIVE and person.departure_date:
        text = (
            _("%(name)s, left %(day)s")
            if person.departure_date < timezone.localdate()
            else _("%(name)s, leaving %(day)s")
        )
        label = text % {
            "name": label,
            "day": date_format(person.departure_date, "SHORT_DATE_FORMAT"),
        }
    return str(label)


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _customer_page(request, customer_id)


@login_required
@require_GET
def score_change(request: HttpRequest, customer_id: int) -> HttpResponse:
    """What moved the customer's score over the last 7 days (loaded into the customer
    page after it has rendered: explaining costs two feature frames and the model)."""
    from customers.scoring.explain import explain_changes

    customer = get_object_or_404(Customer, pk=customer_id)
    if customer_page.access_level(request.user, customer) != customer_page.FULL:
        raise Http404(_("No customer here that you may see."))
    # In the audit trail, though not counted again: the customer page that loads it
    # was (a read of one customer), and this is part of that page.
    audit.record_read("riskscore", 0, customer_id=customer.pk, detail={"page": "score-change"})
    run = latest_scoring_run()
    change = None
    if run is not None:
        change = explain_changes(day=run.day, customer_ids=[customer.pk]).get(customer.pk)
    return render(request, "customers/_score_change.html", {"change": change})


def _customer_page(request: HttpRequest, customer_id: int, **bound_forms) -> HttpResponse:
    """The customer page at the user's access level; every opening is audited."""
    customer = get_object_or_404(
        Customer.objects.select_related("primary_owner__team", "secondary_owner"), pk=customer_id
    )
    level = customer_page.access_level(request.user, customer)
    if level is None:
        raise Http404(_("No customer here that you may see."))
    audit.record_read(
        "customer",
        1,
        object_id=customer.pk,
        customer_id=customer.pk,
        detail={"page": "customer", "level": level},
    )
    context = {"customer": customer, "level": level}
    if level != customer_page.NAME:
        context |= _record_context(request, customer, level)
        context |= bound_forms
    return render(request, "customers/customer.html", context, status=400 if bound_forms else 200)


def _record_context(request: HttpRequest, customer: Customer, level: str) -> dict:
    from alerts.models import RetentionAction
    from handover.models import HandoverTask

    run = latest_scoring_run()
    # HR sees a customer's names, values and handover status: no score, whose reasons
    # tell of the interactions (staff/access.py sees_records), as in the API.
    sees_risk = sees_records(role_of(request.user), "riskscore")
    risk = customer_page.risk_view(customer, run_day=run.day if run and sees_risk else None)
    context = {
        "run": run,
        "risk": risk,
        "sees_risk": sees_risk,
        # The score's value when it is scored; until the nightly run scores it (a customer
        # created today), the live value of its contracts in force, never "—" beside a
        # contract the page lists.
        "annual_value": None if risk.score else customer_page.contract_value(customer),
        "chart": {
            "labels": [date_format(day, "SHORT_DATE_FORMAT") for day, _ in risk.history],
            "values": [round(p * 100, 1) for _, p in risk.history],
            "words": {"probability": gettext("Churn probability")},
        },
        "contracts": customer.contracts.order_by("-end_date")[:10],
        "handover": HandoverTask.objects.filter(customer=customer)
        .select_related("plan__employee", "successor")
        .order_by("-plan__last_day")
        .first(),
    }
    if context["handover"] is not None:
        # The leaver's last day is HR information (staff/access.py departures_seen_by).
        context["sees_departure"] = sees_departure_of(
            request.user, context["handover"].plan.employee_id
        )
        # Nobody reads their own plan's successors (staff/access.py).
        me = employee_of(request.user)
        context["sees_successor"] = me is None or context["handover"].plan.employee_id != me.pk
    from alerts.selectors import conditions_met

    met = conditions_met([customer.pk])
    context["reasons"] = [
        (reason, met.get((customer.pk, reason.get("signal"))))
        for reason in (risk.score.reasons if risk.score else [])
    ]
    if level == customer_page.FULL:
        timeline_page, events = customer_page.timeline(customer, page=request.GET.get("page"))
        me = employee_of(request.user)
        alerts = _live_alerts(customer, met)
        context |= {
            "timeline_page": timeline_page,
            "events": events,
            "contacts": customer.contacts.order_by("status", "-is_decision_maker", "name"),
            "alerts": alerts,
            "actions": RetentionAction.objects.filter(customer=customer).select_related("owner")[
                :10
            ],
            "me": me,
            **_grant_context(request, customer),
            "log_form": QuickInteractionForm(
                customer=customer,
                initial={
                    "kind": Interaction.Kind.CALL,
                    "happened_at": timezone.localtime().replace(second=0, microsecond=0),
                },
            ),
        }
    return context


def _grant_context(request: HttpRequest, customer: Customer) -> dict:
    """Managers (and admins) may give an account manager access to the customer."""
    if not has_role(request.user, MANAGER_ROLES):
        return {}
    return {
        "grants": AccessGrant.objects.filter(
            customer=customer, until__gte=timezone.localdate(), revoked_at__isnull=True
        ).select_related("grantee", "granted_by"),
        "grant_form": AccessGrantForm(customer=customer, user=request.user),
    }


@role_required(*MANAGER_ROLES)
@post_only(lambda request, customer_id: reverse("customer", args=[customer_id]))
def grant_access(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Give an account manager full access to this customer until a day, recorded in the
    audit trail. Only for managers who see the customer in full themselves."""
    customer = get_object_or_404(Customer, pk=customer_id)
    if customer_page.access_level(request.user, customer) != customer_page.FULL:
        raise Http404(_("No customer here that you may grant access to."))
    form = AccessGrantForm(request.POST, customer=customer, user=request.user)
    if not form.is_valid():
        return _customer_page(request, customer.pk, grant_form=form)
    from staff.services import grant_access as grant_service

    try:
        grant = grant_service(customer=customer, by=employee_of(request.user), **form.cleaned_data)
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return _customer_page(request, customer.pk, grant_form=form)
    messages.success(
        request,
        _("%(grantee)s sees %(customer)s until %(until)s.")
        % {
            "grantee": grant.grantee.name,
            "customer": customer.name,
            "until": date_format(grant.until),
        },
    )
    return redirect("customer", customer_id=customer.pk)


def _live_alerts(customer: Customer, met: dict) -> list:
    """The customer's open and snoozed alerts, largest revenue at risk first, each with
    the condition met since it was raised (`alerts.selectors.conditions_met`), if any."""
    from alerts.models import Alert

    alerts = list(
        Alert.objects.filter(customer=customer, status__in=Alert.LIVE).order_by("-revenue_at_risk")
    )
    for alert in alerts:
        alert.met = met.get((customer.pk, alert.signal))
    return alerts


@login_required
@post_only(lambda request, customer_id: reverse("customer", args=[customer_id]))
def log_interaction(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The quick log form: on success a fresh form and the new first page of the
    timeline (HTMX) or a redirect; on error the form again with the messages by the fields
    and everything typed kept."""
    customer = get_object_or_404(Customer, pk=customer_id)
    if customer_page.access_level(request.user, customer) != customer_page.FULL:
        raise Http404(_("No customer here that you may log against."))
    form = QuickInteractionForm(request.POST, customer=customer)
    htmx = request.headers.get("HX-Request") == "true"
    if form.is_valid():
        interaction = form.save(commit=False)
        interaction.employee = employee_of(request.user)
        interaction.save()
        message = _("%(kind)s logged.") % {"kind": interaction.get_kind_display()}
        if not htmx:
            messages.success(request, message)
            return redirect("customer", customer_id=customer.pk)
        timeline_page, events = customer_page.timeline(customer, page=None)
        form = QuickInteractionForm(
            customer=customer,
            initial={
                "kind": Interaction.Kind.CALL,
                "happened_at": timezone.localtime().replace(second=0, microsecond=0),
            },
        )
        from alerts.selectors import conditions_met

        # The alerts panel too, out of band: an interaction that answers a sign (a
        # renewal talk) shows "Condition met ... Resolve" at once, not after a reload.
        return render(
            request,
            "customers/_logged.html",
            {
                "customer": customer,
                "log_form": form,
                "events": events,
                "timeline_page": timeline_page,
                "logged": message,
                "alerts": _live_alerts(customer, conditions_met([customer.pk])),
                "me": employee_of(request.user),
                "swap_out_of_band": True,
            },
        )
    if htmx:
        response = render(
            request,
            "customers/_log_form.html",
            {"customer": customer, "log_form": form},
        )
        response["HX-Retarget"] = "#log-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    # Without JavaScript: the whole page again, with the form as typed.
    return _customer_page(request, customer.pk, log_form=form)


@login_required
def renewals(request: HttpRequest) -> HttpResponse:
    """Contracts ending in the next 180 days of the customers the user sees
    (staff/access.py): their own, their teams', or all for admins."""
    form = RenewalFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # The customers the user sees (staff/access.py), read first when they are few
    # (customers/renewals.py). The count stops at LIST_EXACT_COUNT_UP_TO: an admin's
    # 180 days hold hundreds of thousands of contracts.
    page = renewal_page(
        request.user,
        today=timezone.localdate(),
        team_id=filters["team"].pk if filters.get("team") else None,
        month=filters.get("month"),
        number=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    role = role_of(request.user)
    return render(
        request,
        "renewals.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            # HR sees the contracts, not the scores, interactions (renewal talks) or
            # alerts of the customers in handovers (staff/access.py sees_records).
            "sees_risk": sees_records(role, "riskscore"),
            "sees_talks": sees_records(role, "interaction"),
            "sees_alerts": sees_records(role, "alert"),
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@role_required(*MANAGER_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Risk, churn, renewals, handovers, alerts and exposure of the teams the manager runs
    (and sub-teams); of every team for admins."""
    from customers.figures import dashboard as figures

    today = timezone.localdate()
    teams = report_team_ids(request.user)
    run = latest_scoring_run()
    period = request.GET.get("period") if request.GET.get("period") in figures.PERIODS else "month"
    by = request.GET.get("by") if request.GET.get("by") in ChurnFigure.Dimension.values else "team"
    trend = figures.churn_trend(teams, period)
    start = figures.latest_period(period)
    breakdown = figures.churn_breakdown(teams, period, start, by) if start else []
    tiers = figures.tier_summary(run.day if run else None, teams)
    # Counted by the primary owner's team, like every figure here: one indexed path from
    # the team's people to their customers' contracts.
    renewals = renewal_calendar(as_of=today, days=90, order=("end_date", "id"))
    if teams is not None:
        renewals = renewals.filter(customer__primary_owner__team_id__in=teams)
    renewals = renewals[:10]
    return render(
        request,
        "customers/dashboard.html",
        {
            "run": run,
            "all_teams": teams is None,
            "team_names": Team.objects.filter(pk__in=teams or []).order_by("name"),
            "tiers": tiers,
            "tier_totals": {
                "customers": sum(row.customers for row in tiers),
                "annual_value": sum(row.annual_value for row in tiers),
                "revenue_at_risk": sum(row.revenue_at_risk for row in tiers),
            },
            "tier_chart": {
                "labels": [row.label for row in tiers],
                "values": [float(row.revenue_at_risk) for row in tiers],
                "words": {"revenue_at_risk": gettext("Revenue at risk")},
            },
            "period": period,
            "period_label": figures.PERIODS[period][0],
            "periods": [(key, label) for key, (label, _) in figures.PERIODS.items()],
            "by": by,
            "by_label": ChurnFigure.Dimension(by).label,
            "dimensions": ChurnFigure.Dimension.choices,
            "trend": trend,
            "churn_chart": {
                "labels": [row.label for row in trend],
                "customers": [round((row.customer_rate or 0) * 100, 2) for row in trend],
                "revenue": [round((row.revenue_rate or 0) * 100, 2) for row in trend],
                "words": {
                    "customers": gettext("Customer churn rate"),
                    "revenue": gettext("Revenue churn rate"),
                },
            },
            "current_period": figures.period_label(start, period) if start else "",
            "breakdown": breakdown[: figures.BREAKDOWN_ROWS],
            "breakdown_more": max(0, len(breakdown) - figures.BREAKDOWN_ROWS),
            "renewals": renewals,
            "handovers": figures.handovers_in_progress(request.user),
            "backlog": figures.alert_backlog(teams, today=today),
            "save_rate": figures.save_rate(teams, today=today),
            "exposure": figures.exposure_top(teams),
        },
    )
