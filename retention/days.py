"""The earliest day any door takes (a year 0001 or 1899 is a typing slip): the API's and
the files' date columns (customers.row_values.date), the models' row_errors and, for the
models without them, a field validator the admin's forms run."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from retention.wording import Day, Worded

EARLIEST_DAY = dt.date(1900, 1, 1)


def before_earliest_day(day: dt.date) -> Worded:
    """The refusal of a day before EARLIEST_DAY, worded as every door words it."""
    return Worded(
        gettext_noop("%(day)s is before %(earliest)s; check the year."),
        day=Day(day),
        earliest=Day(EARLIEST_DAY),
    )


def on_or_after_earliest_day(value: dt.date | None) -> None:
    """Field validator: ValidationError for a day before EARLIEST_DAY."""
    if value is not None and value < EARLIEST_DAY:
        raise ValidationError(str(before_earliest_day(value)), code="before_earliest_day")
