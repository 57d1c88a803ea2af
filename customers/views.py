from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from customers.forms import RenewalFilterForm
from customers.models import Customer
from customers.selectors import book_for, latest_scoring_run, renewal_calendar, with_current_risk
from staff.access import visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    employee = getattr(request.user, "employee", None)
    run = latest_scoring_run()
    book = (
        with_current_risk(
            book_for(employee).filter(status=Customer.Status.ACTIVE), run
        ).select_related("primary_owner")[:50]
        if employee
        else []
    )
    return render(request, "home.html", {"employee": employee, "book": book, "run": run})


@login_required
def renewals(request: HttpRequest) -> HttpResponse:
    """Contracts ending in the next 180 days of the customers the user sees
    (staff/access.py): their own, their teams', or all for admins."""
    form = RenewalFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    contracts = renewal_calendar(
        as_of=timezone.localdate(),
        team_id=filters["team"].pk if filters.get("team") else None,
        month=filters.get("month"),
    )
    contracts = visible_to(request.user, contracts, "customer__")
    page = Paginator(contracts, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "renewals.html", {"form": form, "page": page, "query": query.urlencode()}
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
