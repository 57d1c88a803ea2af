"""Calendar-month arithmetic shared by the reports (first days of months)."""

from __future__ import annotations

import datetime as dt


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def month_starts(as_of: dt.date, months: int) -> list[dt.date]:
    """The first days of the `months` months up to and including as_of's month, oldest
    first."""
    starts = [month_start(as_of)]
    for _ in range(months - 1):
        starts.append(previous_month(starts[-1]))
    return starts[::-1]
