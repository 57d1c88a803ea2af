from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from alerts import reports
from alerts.actions import (
    REPORT_DIMENSION_LABELS,
    REPORT_DIMENSIONS,
    churn_reasons,
    record_action,
    save_rates,
)
from alerts.models import SIGNAL_CHOICES, Alert, RetentionAction
from alerts.selectors import conditions_met
from alerts.services import act_on_alert, routed_to
from retention.months import month_start, previous_month
from retention.post_only import post_only
from staff.access import (
    PEOPLE_ROLES,
    customer_scope,
    employee_of,
    employee_scope,
    report_team_ids,
    role_of,
    role_required,
    sees_records,
    visible_to,
)
from staff.models import Employee


def inbox_for(employee) -> Q:
    return Q(owner=employee) | Q(manager=employee)


INBOX_PAGE_SIZE = 25
INBOX_SORTS = {
    "risk": (_("Revenue at risk"), ("-revenue_at_risk", "id")),
    "newest": (_("Newest first"), ("-opened_on", "id")),
    "oldest": (_("Oldest first"), ("opened_on", "id")),
    "customer": (_("Customer"), ("customer__name", "id")),
}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """My live alerts, 25 a page: by status and sign, most revenue at risk first. Not
    for HR, who reads no alerts (the menu does not offer it either)."""
    if not sees_records(role_of(request.user), "alert"):
        raise PermissionDenied(_("Your role does not give access to this page."))
    me = employee_of(request.user)
    status = request.GET.get("status", "")
    statuses = [status] if status in Alert.LIVE else ["open", "acknowledged"]
    signal = request.GET.get("signal", "")
    sort = request.GET.get("sort") if request.GET.get("sort") in INBOX_SORTS else "risk"
    alerts = (
        Alert.objects.filter(inbox_for(me), status__in=statuses).select_related("customer")
        if me
        else Alert.objects.none()
    )
    if signal:
        alerts = alerts.filter(signal=signal)
    page = Paginator(alerts.order_by(*INBOX_SORTS[sort][1]), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    met = conditions_met([alert.customer_id for alert in page])
    for alert in page:
        alert.met = met.get((alert.customer_id, alert.signal))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "alerts/inbox.html",
        {
            "page": page,
            "query": query.urlencode(),
            "status": status,
            "statuses": [
                (value, label) for value, label in Alert.Status.choices if value in Alert.LIVE
            ],
            "signal": signal,
            "signals": SIGNAL_CHOICES,
            "sort": sort,
            "sorts": [(key, label) for key, (label, _) in INBOX_SORTS.items()],
            "tomorrow": dt.date.today() + dt.timedelta(days=1),
            "action_kinds": RetentionAction.Kind.choices,
        },
    )


def _routed_to_me(request: HttpRequest, alert_id: int):
    me = employee_of(request.user)
    alert = get_object_or_404(Alert.objects.select_related("customer"), pk=alert_id)
    if not routed_to(me, alert):
        # An alert on a customer the reader does not see is "not found", as an id never
        # used is (a 403 would say it exists); one they see says why they cannot act.
        if not visible_to(request.user, Alert.objects.filter(pk=alert.pk), "customer__").exists():
            raise Http404
        raise PermissionDenied(_("This alert is not routed to you."))
    return me, alert


@login_required
@post_only("alerts:inbox")
def log_action(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Record a retention action answering an alert of mine."""
    me, alert = _routed_to_me(request, alert_id)
    try:
        record_action(
            customer=alert.customer,
            kind=request.POST.get("kind", ""),
            by=me,
            alert=alert,
            notes=request.POST.get("notes", ""),
        )
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, f"{alert.customer}: {problem}")
    else:
        messages.success(
            request,
            _("%(customer)s: retention action recorded.") % {"customer": alert.customer},
        )
    return redirect("alerts:inbox")


@role_required(*PEOPLE_ROLES)
def save_rate_report(request: HttpRequest) -> HttpResponse:
    today = dt.date.today()
    try:
        start = dt.date.fromisoformat(request.GET.get("start") or "")
    except ValueError:
        start = today - dt.timedelta(days=365)
    try:
        end = dt.date.fromisoformat(request.GET.get("end") or "")
    except ValueError:
        end = today
    by = request.GET.get("by") if request.GET.get("by") in REPORT_DIMENSIONS else "signal"
    teams = report_team_ids(request.user)
    return render(
        request,
        "alerts/save_rates.html",
        {
            "start": start,
            "end": end,
            "by": by,
            "dimensions": list(REPORT_DIMENSION_LABELS.items()),
            "by_label": REPORT_DIMENSION_LABELS[by],
            "rows": save_rates(start=start, end=end, by=by, teams=teams),
            "reasons": churn_reasons(start=start, end=end, teams=teams),
        },
    )


FIRST_REPORT_MONTH = dt.date(1900, 1, 1)


def _snooze_until(value: str) -> dt.date | None:
    """The snooze date as typed: ISO from the date picker, or the reader's own date format.
    Raises ValidationError ("Enter a valid date.", translated) for anything else."""
    value = value.strip()
    return forms.DateField().clean(value) if value else None


@login_required
@post_only("alerts:inbox")
def act(request: HttpRequest, alert_id: int) -> HttpResponse:
    _me, alert = _routed_to_me(request, alert_id)
    try:
        act_on_alert(
            alert=alert,
            action=request.POST.get("action", ""),
            until=_snooze_until(request.POST.get("until", "")),
            note=request.POST.get("note", ""),
        )
    except (ValidationError, ValueError) as error:
        problems = error.messages if isinstance(error, ValidationError) else [str(error)]
        for problem in problems:
            messages.error(request, f"{alert.customer}: {problem}")
    else:
        messages.success(
            request,
            _("%(customer)s: alert %(status)s.")
            % {"customer": alert.customer, "status": str(alert.get_status_display()).lower()},
        )
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("alerts:inbox")


@role_required(*PEOPLE_ROLES)
def monthly_owner_report(request: HttpRequest) -> HttpResponse:
    """The month's churn report per owner with its ranking, and the churn-warning list."""
    last_month = previous_month(month_start(dt.date.today()))
    try:
        first = dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        first = last_month
    # A report needs the month before and two before it, and ends with the month after:
    # months outside what a company can have (before 1900, after this month) show last
    # month's report instead of overflowing the calendar.
    if not FIRST_REPORT_MONTH <= first <= month_start(dt.date.today()):
        if "month" in request.GET:
            messages.info(request, _("There is no report for that month; this is last month's."))
        first = last_month
    # Managers see their teams' owners (ranked among all owners); HR and admins everyone.
    scope = employee_scope(request.user)
    people = (
        None if scope is None else set(Employee.objects.filter(scope).values_list("pk", flat=True))
    )
    # The churn-warning list is risk: only for roles that read scores (not HR), and of
    # the customers the reader sees.
    role = role_of(request.user)
    risk_read = sees_records(role, "riskscore")
    seen = customer_scope(role, employee_of(request.user), "customer__")
    warning_owners = reports.churn_warning_owners(seen)
    if people is not None:
        warning_owners = warning_owners.filter(customer__primary_owner__in=people)
    if not risk_read:
        warning_owners = warning_owners.none()
    owners = Paginator(warning_owners, 20).get_page(request.GET.get("page"))
    lists = reports.churn_warning_list(
        [o["owner_id"] for o in owners], scope=seen, limit_per_owner=10
    )
    return render(
        request,
        "alerts/monthly.html",
        {
            "first": first,
            "rows": [
                row
                for row in reports.owner_churn_report(first)
                if people is None or row.employee_id in people
            ],
            "owners": owners,
            "warnings": [(owner, lists[owner["owner_id"]]) for owner in owners],
            "min_customers": reports.MIN_CUSTOMERS,
            "risk_read": risk_read,
        },
    )
