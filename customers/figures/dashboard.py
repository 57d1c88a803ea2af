"""Reads of the manager dashboard: every figure for the teams a manager runs (and their
sub-teams), or for the whole company for admins. The heavy sums come from the nightly
figures (customers/figures/nightly.py); the live parts (alerts, handovers, renewals) are small
indexed queries, and every team's alert backlog and save rate are sums of the live counts
the database keeps (alerts/tallies.py), so no figure here counts the whole company."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.figures.models import ChurnFigure, ExposureFigure, TierFigure
from customers.models import RiskTier, Segment
from retention.months import month_label, next_month
from staff.models import Employee, Team

PERIODS = {"month": (_("Month"), 1), "quarter": (_("Quarter"), 3), "year": (_("Year"), 12)}
BREAKDOWN_ROWS = 25


def _in_teams(queryset, teams: set[int] | None, field: str = "team_id"):
    return queryset if teams is None else queryset.filter(**{f"{field}__in": teams})


@dataclass
class TierRow:
    tier: int
    customers: int
    annual_value: Decimal
    revenue_at_risk: Decimal

    @property
    def label(self) -> str:
        return RiskTier(self.tier).label


def tier_summary(day: dt.date | None, teams: set[int] | None) -> list[TierRow]:
    """Customers, annual value and revenue at risk by tier, most at risk first."""
    found = {}
    if day is not None:
        rows = (
            _in_teams(TierFigure.objects.filter(day=day), teams)
            .values("tier")
            .annotate(n=Sum("customers"), v=Sum("annual_value"), r=Sum("revenue_at_risk"))
        )
        found = {row["tier"]: row for row in rows}
    return [
        TierRow(
            tier,
            int(found.get(tier, {}).get("n") or 0),
            found.get(tier, {}).get("v") or Decimal(0),
            found.get(tier, {}).get("r") or Decimal(0),
        )
        for tier in RiskTier.values
    ]


@dataclass
class ChurnRow:
    label: str
    active_start: int
    value_start: Decimal
    lost: int
    value_lost: Decimal

    @property
    def customer_rate(self) -> float | None:
        """DOMAIN.md: customers lost during the period / customers active at its start."""
        return self.lost / self.active_start if self.active_start else None

    @property
    def revenue_rate(self) -> float | None:
        return float(self.value_lost / self.value_start) if self.value_start else None


def period_start(month: dt.date, period: str) -> dt.date:
    size = PERIODS[period][1]
    return month.replace(month=(month.month - 1) // size * size + 1)


def period_label(start: dt.date, period: str) -> str:
    if period == "month":
        return month_label(start)
    if period == "quarter":
        return gettext("Q%(quarter)s %(year)s") % {
            "quarter": (start.month - 1) // 3 + 1,
            "year": start.year,
        }
    return str(start.year)


def _roll_up(monthly: dict[dt.date, dict], period: str) -> dict[dt.date, dict]:
    """Months into periods: active at the period's first month's start, losses summed.
    A period whose first month is not in the figures is left out (its start is unknown)."""
    periods: dict[dt.date, dict] = {}
    for month in sorted(monthly):
        start = period_start(month, period)
        if start not in monthly:
            continue
        figures = periods.setdefault(
            start,
            {
                "active_start": monthly[start]["active_start"],
                "value_start": monthly[start]["value_start"],
                "lost": 0,
                "value_lost": Decimal(0),
            },
        )
        figures["lost"] += monthly[month]["lost"]
        figures["value_lost"] += monthly[month]["value_lost"]
    return periods


def _monthly(queryset, key: str | None = None):
    """The figures summed per month (and per `key`), as a values() queryset."""
    fields = ["month"] + ([key] if key else [])
    rows = queryset.values(*fields).annotate(
        active_start=Sum("active_start"),
        value_start=Sum("value_start"),
        lost=Sum("lost"),
        value_lost=Sum("value_lost"),
    )
    return rows


def churn_trend(teams: set[int] | None, period: str, count: int = 12) -> list[ChurnRow]:
    """Customer and revenue churn rate of the last `count` periods, oldest first."""
    rows = _monthly(_in_teams(ChurnFigure.objects.filter(dimension="team"), teams))
    monthly = {row["month"]: row for row in rows}
    periods = _roll_up(monthly, period)
    return [
        ChurnRow(period_label(start, period), **figures)
        for start, figures in sorted(periods.items())[-count:]
    ]


def latest_period(period: str) -> dt.date | None:
    """The last complete period in the figures (the one still running if it is the only
    one)."""
    months = (
        ChurnFigure.objects.filter(dimension=ChurnFigure.Dimension.TEAM)
        .order_by("-month")
        .values_list("month", flat=True)
    )
    latest = months.first()
    if latest is None:
        return None
    current = period_start(latest, period)
    earlier = months.filter(month__lt=current).first()
    if earlier is None:
        return current
    previous = period_start(earlier, period)
    return previous if previous >= months.last() else current


def churn_breakdown(
    teams: set[int] | None, period: str, start: dt.date, dimension: str
) -> list[ChurnRow]:
    """The period's churn by team, owner, region or segment, most customers lost first."""
    months = [start]
    for _month in range(PERIODS[period][1] - 1):
        months.append(next_month(months[-1]))
    # Rolled up by the database: one row a key (an owner of a million customers' company
    # has 3,600), not one a key and month through Python. A key without figures for the
    # period's first month is left out, as _roll_up leaves it out.
    rows = (
        _in_teams(ChurnFigure.objects.filter(dimension=dimension, month__in=months), teams)
        .values("key")
        .annotate(
            active_start=Sum("active_start", filter=Q(month=start)),
            value_start=Sum("value_start", filter=Q(month=start)),
            lost=Sum("lost"),
            value_lost=Sum("value_lost"),
            start_rows=Count("id", filter=Q(month=start)),
        )
        .filter(start_rows__gt=0)
        .values_list("key", "active_start", "value_start", "lost", "value_lost")
    )
    rows = list(rows)
    labels = _labels(dimension, [row[0] for row in rows])
    result = [ChurnRow(labels.get(key, key or "(none)"), *figures) for key, *figures in rows]
    result.sort(key=lambda row: (-row.lost, -row.value_lost, row.label))
    return result


def _labels(dimension: str, keys: list[str]) -> dict[str, str]:
    ids = [int(key) for key in keys if key.isdigit()]
    if dimension == "team":
        return {
            str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("id", "name")
        }
    if dimension == "owner":
        return {
            str(pk): name
            for pk, name in Employee.objects.filter(pk__in=ids).values_list("id", "name")
        }
    if dimension == "segment":
        return dict(Segment.choices)
    return {}


def exposure_top(teams: set[int] | None, limit: int = 10) -> list[ExposureFigure]:
    day = ExposureFigure.objects.order_by("-day").values_list("day", flat=True).first()
    if day is None:
        return []
    return list(
        _in_teams(ExposureFigure.objects.filter(day=day), teams)
        .select_related("employee", "team")
        .order_by("-annual_value", "employee__name")[:limit]
    )


def alert_backlog(teams: set[int] | None, *, today: dt.date) -> dict[str, int]:
    """Live alerts by state, and how many have waited over a week unacknowledged. Every
    team's from the live counts the database keeps (alerts/tallies.py); a manager's
    teams' from their alerts."""
    from alerts import tallies
    from alerts.models import Alert

    if teams is None:
        return tallies.alert_backlog(today=today)
    alerts = _in_teams(Alert.objects.filter(status__in=Alert.LIVE), teams, "owner__team_id")
    return alerts.aggregate(
        open=Count("id", filter=Q(status=Alert.Status.OPEN)),
        acknowledged=Count("id", filter=Q(status=Alert.Status.ACKNOWLEDGED)),
        snoozed=Count("id", filter=Q(status=Alert.Status.SNOOZED)),
        waiting=Count(
            "id",
            filter=Q(status=Alert.Status.OPEN, opened_on__lt=today - dt.timedelta(days=7)),
        ),
    )


def save_rate(teams: set[int] | None, *, today: dt.date, days: int = 365) -> dict:
    """Of the retention actions of the last `days` with an outcome, the share that saved the
    customer. Every team's from the live counts (alerts/tallies.py)."""
    from alerts import tallies
    from alerts.models import RetentionAction

    since = today - dt.timedelta(days=days)
    if teams is None:
        figures = tallies.action_outcomes(since=since)
    else:
        figures = RetentionAction.objects.filter(taken_on__gt=since, team_id__in=teams).aggregate(
            saved=Count("id", filter=Q(outcome=RetentionAction.Outcome.SAVED)),
            lost=Count("id", filter=Q(outcome=RetentionAction.Outcome.LOST)),
            pending=Count("id", filter=Q(outcome=RetentionAction.Outcome.PENDING)),
        )
    decided = figures["saved"] + figures["lost"]
    figures["rate"] = figures["saved"] / decided if decided else None
    return figures


def handovers_in_progress(user, limit: int = 10):
    """Open handover plans of the people the user sees, soonest last day first, with
    their steps done and to do (handover/selectors.py plans_with_progress)."""
    from handover.models import HandoverPlan
    from handover.selectors import plans_seen_by, plans_with_progress

    plans = plans_seen_by(user, plans_with_progress().filter(status=HandoverPlan.Status.OPEN))
    return list(plans.order_by("last_day", "id")[:limit])
