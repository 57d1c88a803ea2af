"""Staff turnover (DOMAIN.md section 3): leavers in a period / headcount at its start x 100%,
split voluntary / involuntary, with key-position leavers counted apart.

Definitions used throughout:
- a *leaver* of a period is a departed employee whose last working day (departure_date)
  falls in the period, first and last day included;
- the *headcount at the start* counts everyone hired on or before the first day who had
  not left before it (someone whose last day is the first day is still on the staff that
  morning, and is a leaver of the period);
- an employee counts for the team they belong to now (a leaver's last team);
- every role counts (account managers, managers, HR, admins): it is the company's turnover.

Each report is one aggregate query over Employee with conditional counts, whatever the
number of months or teams."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext, gettext_noop

from retention.months import month_label, month_start, next_month, previous_month
from staff.models import Employee

MONTHS_SHOWN = 12
NO_TEAM = gettext_noop("No team")


@dataclass(frozen=True)
class Period:
    """A stretch of days, both ends included."""

    start: dt.date
    end: dt.date
    label: str
    # The period runs past `as_of`: its figures are what happened so far.
    partial: bool = False


@dataclass
class Turnover:
    """Turnover figures for one period (and one team, or the whole company)."""

    label: str
    period: Period
    headcount_at_start: int
    leavers: int
    voluntary: int
    involuntary: int
    key_leavers: int

    @property
    def unrecorded(self) -> int:
        """Leavers for whom voluntary / involuntary was never recorded."""
        return self.leavers - self.voluntary - self.involuntary

    @property
    def rate(self) -> float | None:
        """Leavers / headcount at the start, as a fraction; None without a headcount."""
        return self.leavers / self.headcount_at_start if self.headcount_at_start else None


def recent_months(as_of: dt.date, count: int = MONTHS_SHOWN) -> list[Period]:
    """The `count` calendar months up to and including the month of `as_of`, oldest
    first. The current month ends on `as_of` and is marked partial, unless `as_of` is
    its last day."""
    first = month_start(as_of)
    starts = [first]
    for _ in range(count - 1):
        starts.append(previous_month(starts[-1]))
    periods = []
    for start in reversed(starts):
        month_end = next_month(start) - dt.timedelta(days=1)
        end = min(month_end, as_of)
        periods.append(Period(start, end, month_label(start), partial=end < month_end))
    return periods


def recent_window(as_of: dt.date, months: int = MONTHS_SHOWN) -> Period:
    """The whole of `recent_months(as_of, months)` as one period."""
    periods = recent_months(as_of, months)
    return Period(
        periods[0].start,
        periods[-1].end,
        f"{periods[0].label} – {periods[-1].label}",
        partial=periods[-1].partial,
    )


def left_during(period: Period) -> Q:
    """Employees who left during `period` (their last day falls in it)."""
    return Q(status=Employee.Status.DEPARTED, departure_date__range=(period.start, period.end))


def on_staff_at_start(period: Period) -> Q:
    """Employees on the staff on the first day of `period`."""
    return Q(hired_on__lte=period.start) & ~Q(
        status=Employee.Status.DEPARTED, departure_date__lt=period.start
    )


def turnover_counts(period: Period, prefix: str = "") -> dict[str, Count]:
    """Conditional counts giving a Turnover's figures for `period`, named with `prefix`,
    to pass to aggregate() or annotate()."""
    leavers = left_during(period)
    return {
        f"{prefix}headcount": Count("pk", filter=on_staff_at_start(period)),
        f"{prefix}leavers": Count("pk", filter=leavers),
        f"{prefix}voluntary": Count("pk", filter=leavers & Q(departure_voluntary=True)),
        f"{prefix}involuntary": Count("pk", filter=leavers & Q(departure_voluntary=False)),
        f"{prefix}key": Count("pk", filter=leavers & Q(is_key_employee=True)),
    }


def _turnover(label: str, period: Period, counts: dict, prefix: str = "") -> Turnover:
    return Turnover(
        label=label,
        period=period,
        headcount_at_start=counts[f"{prefix}headcount"],
        leavers=counts[f"{prefix}leavers"],
        voluntary=counts[f"{prefix}voluntary"],
        involuntary=counts[f"{prefix}involuntary"],
        key_leavers=counts[f"{prefix}key"],
    )


def monthly_turnover(*, as_of: dt.date, months: int = MONTHS_SHOWN) -> list[Turnover]:
    """The company's turnover per calendar month, for the `months` months up to `as_of`
    (see recent_months), oldest first. One query."""
    periods = recent_months(as_of, months)
    expressions: dict[str, Count] = {}
    for index, period in enumerate(periods):
        expressions |= turnover_counts(period, prefix=f"m{index}_")
    counts = Employee.objects.aggregate(**expressions)
    return [
        _turnover(period.label, period, counts, prefix=f"m{index}_")
        for index, period in enumerate(periods)
    ]


def team_turnover(*, as_of: dt.date, months: int = MONTHS_SHOWN) -> list[Turnover]:
    """Turnover per team over the `months` months up to `as_of` taken as one period
    (see recent_window), by team name; teams with neither a headcount nor a leaver are
    left out. One query."""
    period = recent_window(as_of, months)
    rows = (
        Employee.objects.values("team_id", "team__name")
        .annotate(**turnover_counts(period))
        .order_by("team__name")
    )
    return [
        _turnover(row["team__name"] or gettext(NO_TEAM), period, row)
        for row in rows
        if row["headcount"] or row["leavers"]
    ]


def total_turnover(rows: list[Turnover], label: str | None = None) -> Turnover | None:
    """The sum of per-team rows of one period (each employee is in one team at most),
    labelled "All teams" in the reader's language unless named."""
    if not rows:
        return None
    return Turnover(
        label=gettext("All teams") if label is None else label,
        period=rows[0].period,
        headcount_at_start=sum(r.headcount_at_start for r in rows),
        leavers=sum(r.leavers for r in rows),
        voluntary=sum(r.voluntary for r in rows),
        involuntary=sum(r.involuntary for r in rows),
        key_leavers=sum(r.key_leavers for r in rows),
    )


def chart_data(months: list[Turnover]) -> dict[str, list | dict]:
    """Monthly figures as plain lists for the chart (rates in percent, one decimal), with
    the chart's words in the reader's language."""
    return {
        "labels": [
            gettext("%(month)s (so far)") % {"month": m.label} if m.period.partial else m.label
            for m in months
        ],
        "words": {
            "voluntary": gettext("Voluntary"),
            "involuntary": gettext("Involuntary"),
            "unrecorded": gettext("Not recorded"),
            "rate": gettext("Turnover rate"),
            "leavers": gettext("Leavers"),
        },
        "voluntary": [m.voluntary for m in months],
        "involuntary": [m.involuntary for m in months],
        "unrecorded": [m.unrecorded for m in months],
        "rate": [None if m.rate is None else round(100 * m.rate, 1) for m in months],
    }
