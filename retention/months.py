"""Calendar-month arithmetic shared by the reports (first days of months)."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format, get_format


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


def month_label(first: dt.date) -> str:
    """A month as chart axes and month columns name it, in the reader's language: "Dec
    2025", "2025年12月". The language's year-month format, with the month's name short
    where that format spells it out in full."""
    return date_format(first, get_format("YEAR_MONTH_FORMAT").replace("F", "M"))
