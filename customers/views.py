from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from customers.models import Customer
from customers.selectors import book_for, latest_scoring_run, with_current_risk


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


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
