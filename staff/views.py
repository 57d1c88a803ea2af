"""HR pages: departures and their handover progress, staff turnover, and what happened
to customers after their owner left."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from handover.models import HandoverPlan, HandoverStep
from handover.selectors import (
    OUTCOME_WINDOWS,
    departure_outcomes,
    outcome_summary,
    plans_with_progress,
)
from staff import turnover
from staff.access import HR_ROLES, role_required

DONE_PER_PAGE = 20


def finished() -> Q:
    """Closed (complete or cancelled), or past the last-day job with every step done:
    the nightly job closes such a plan, so it is done already."""
    pending = HandoverStep.objects.filter(
        task__plan=OuterRef("pk"), done_at__isnull=True, cancelled=False
    )
    return ~Q(status=HandoverPlan.Status.OPEN) | Q(
        ~Exists(pending), last_day_processed_at__isnull=False
    )


@role_required(*HR_ROLES)
def hr_dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    plans = plans_with_progress()
    ongoing = plans.exclude(finished())
    done = Paginator(plans.filter(finished()).order_by("-last_day", "-pk"), DONE_PER_PAGE)
    months = turnover.monthly_turnover(as_of=today)
    teams = turnover.team_turnover(as_of=today)
    outcomes = departure_outcomes(as_of=today)
    return render(
        request,
        "staff/hr.html",
        {
            "groups": [
                (
                    "upcoming",
                    _("Upcoming"),
                    _("The last day is still ahead."),
                    ongoing.filter(last_day__gt=today).order_by("last_day", "pk"),
                ),
                (
                    "in-progress",
                    _("In progress"),
                    _("The last day has passed; handover steps are still open."),
                    ongoing.filter(last_day__lte=today).order_by("last_day", "pk"),
                ),
                (
                    "done",
                    _("Done"),
                    _(
                        "Closed handovers (complete, or cancelled because the employee stays), "
                        "and those with every step done. Most recent first."
                    ),
                    done.get_page(request.GET.get("page")),
                ),
            ],
            "months": months,
            "window": turnover.recent_window(today),
            "teams": teams,
            "teams_total": turnover.total_turnover(teams),
            "chart": turnover.chart_data(months),
            "summaries": {days: outcome_summary(outcomes, days) for days in OUTCOME_WINDOWS},
        },
    )
