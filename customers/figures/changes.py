"""What changed since the last dashboard figures, so a night recomputes only the monthly
churn figures that can have moved.

A month's churn figures count each customer towards the team of their current owner, so
every figure belongs to one team (or to no team), and a team's figures depend only on
its customers and their contracts. Statement triggers (migration `customers.0034`) note,
for every write of what the figures count, whatever makes it (the app, the bulk upsert
and file import, the demo generator's COPY, a statement by hand), the teams it touched
and the first month whose figures it can change: a customer's start, churn date,
owner, region or segment; a contract's customer, days or value; an employee's team.

The figures are whole again after a pass that recomputes, for those teams, the months
from the first one touched, and for every team whose customer churned since the last
pass's day, the current month (its losses run to the day). Everything else is what the
last pass counted. A pass is whole (every team, every month) when there is no earlier
one to follow on from: the first pass, a new month (the 24 months move on), an older day
than the last pass's, a TRUNCATE of customers, contracts or employees, or a database
without the triggers (SQLite)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from retention.months import month_start

STATE = "customers_figure_state"
CHANGES = "customers_figure_change"


@dataclass
class ChurnPlan:
    whole: bool = True
    # Per team (None: customers with no owner, or an owner with no team), the first month
    # whose figures are recomputed.
    teams: dict[int | None, dt.date] = field(default_factory=dict)

    @property
    def first_month(self) -> dt.date | None:
        return min(self.teams.values(), default=None)


def plan(day: dt.date, first_month: dt.date) -> ChurnPlan:
    """Which churn figures a pass for `day` (months from `first_month`) recomputes. Reads
    and removes the noted changes: call inside the pass's transaction, so a pass that
    fails leaves them for the next one."""
    from customers.figures.models import ChurnFigure

    if connection.vendor != "postgresql":
        return ChurnPlan()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('customers.figures'))")
        cursor.execute(f"SELECT day, first_month FROM {STATE}")
        state = cursor.fetchone()
        cursor.execute(f"DELETE FROM {CHANGES} RETURNING team_id, from_month")
        changes = cursor.fetchall()
    if (
        state is None
        or state[1] != first_month
        or state[0] > day
        or not ChurnFigure.objects.exists()
    ):
        return ChurnPlan()
    current = month_start(day)
    teams: dict[int | None, dt.date] = {}
    for team_id, from_month in changes:
        month = max(from_month, first_month)
        if month <= current:  # a later month comes with a whole pass
            teams[team_id] = min(teams.get(team_id, month), month)
    # The current month's losses run to the day: customers who churned since the last
    # pass's day (recorded before it, with a date after it) change their team's month.
    if day > state[0]:
        for team_id in churned_teams(after=state[0], until=day):
            teams[team_id] = min(teams.get(team_id, current), current)
    return ChurnPlan(whole=False, teams=teams)


def churned_teams(*, after: dt.date, until: dt.date) -> set[int | None]:
    from customers.models import Customer

    return set(
        Customer.objects.filter(
            status=Customer.Status.CHURNED, churned_on__gt=after, churned_on__lte=until
        )
        .values_list("primary_owner__team_id", flat=True)
        .distinct()
    )


def remember(day: dt.date, first_month: dt.date) -> None:
    """The figures now stand as of `day`: the next pass follows on from here."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STATE}")
        cursor.execute(
            f"INSERT INTO {STATE} (day, first_month) VALUES (%s, %s)", [day, first_month]
        )


def of_teams(teams, prefix: str = "") -> Q:
    """The customers (through `prefix`, e.g. "customer__") counted towards `teams`."""
    owner = f"{prefix}primary_owner"
    known = [team for team in teams if team is not None]
    condition = Q(**{f"{owner}__team_id__in": known})
    if None in teams:
        condition |= Q(**{f"{owner}__isnull": True}) | Q(**{f"{owner}__team_id__isnull": True})
    return condition
