"""Live counts of every team's alerts and retention actions, without counting them.

The dashboard of every team (admins, HR) shows the live alert backlog and the save rate
of the whole company. Counting them reads every live alert and a year of actions: a cost
that grows with the company, paid on every page view. Instead the database keeps the
counts (AlertTally, ActionTally; triggers of migration 0014): each statement that writes
alerts or actions adds the change it made, committed with it, so an alert acknowledged
now counts now. The rows are only added to, never updated (two writers never wait on one
row), and the nightly alert run folds them (`fold`) into one a key, so a read sums a few
hundred rows at any size.

On a database without the triggers (SQLite) the counts are read from the rows."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Q, Sum

from alerts.models import ActionTally, Alert, AlertTally, RetentionAction


def kept_by_database() -> bool:
    """Whether the triggers keep the tallies (PostgreSQL)."""
    return connection.vendor == "postgresql"


def alert_backlog(*, today: dt.date) -> dict[str, int]:
    """Every team's live alerts by state, and how many open ones have waited over a week
    (opened before `today` - 7 days), as alerts.Alert counts them."""
    week_ago = today - dt.timedelta(days=7)
    if not kept_by_database():
        live = Alert.objects.filter(status__in=Alert.LIVE)
        rows = live.values_list("status", "opened_on").annotate(n=Count("id"))
    else:
        rows = AlertTally.objects.values_list("status", "opened_on").annotate(n=Sum("alerts"))
    backlog = {"open": 0, "acknowledged": 0, "snoozed": 0, "waiting": 0}
    for status, opened_on, alerts in rows:
        backlog[status] += alerts
        if status == Alert.Status.OPEN and opened_on < week_ago:
            backlog["waiting"] += alerts
    return backlog


def action_outcomes(*, since: dt.date) -> dict[str, int]:
    """Every team's retention actions taken after `since`, by outcome."""
    after = Q(taken_on__gt=since)
    if not kept_by_database():
        rows = RetentionAction.objects.filter(after).values_list("outcome").annotate(n=Count("id"))
    else:
        rows = ActionTally.objects.filter(after).values_list("outcome").annotate(n=Sum("actions"))
    outcomes = {outcome: 0 for outcome in RetentionAction.Outcome.values}
    for outcome, actions in rows:
        outcomes[outcome] += actions
    return outcomes


_FOLD = """
WITH taken AS (DELETE FROM {table} RETURNING {keys}, {count})
INSERT INTO {table} ({keys}, {count})
SELECT {keys}, sum({count}) FROM taken GROUP BY {keys} HAVING sum({count}) <> 0
"""


def fold() -> None:
    """The tallies' rows folded into one a key (keys whose count is 0 dropped): the sums
    stay the same. A write committed meanwhile adds a row after the fold's, a second fold
    at once finds its rows gone and skips them, so nothing is counted twice."""
    if not kept_by_database():
        return
    with connection.cursor() as cursor:
        for model, keys, count in (
            (AlertTally, "status, opened_on", "alerts"),
            (ActionTally, "outcome, taken_on", "actions"),
        ):
            cursor.execute(_FOLD.format(table=model._meta.db_table, keys=keys, count=count))
