"""Paging long lists at a million rows: a count that stops at a limit, and keyset
("seek") pages that continue after the last row shown instead of skipping rows with
OFFSET.

Counting every match of a list costs a scan of every match, and someone deciding whether
to narrow a list needs "more than 1,000", not "243,361": a list counts up to
LIST_EXACT_COUNT_UP_TO and then says "more than". A page deep in a list by OFFSET reads and throws away every row
before it; a keyset page asks for the rows after the last one shown in the list's
order, which an index walks straight to."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

from retention.api.paging import _after as rows_after


def exact_count_limit() -> int:
    return settings.LIST_EXACT_COUNT_UP_TO


@dataclass(frozen=True)
class CappedCount:
    """How many rows a list has: exact up to `limit`, else only "more than `limit`"."""

    value: int
    exact: bool
    limit: int


def capped_count(queryset: QuerySet, limit: int | None = None) -> CappedCount:
    """Counts at most limit + 1 rows (SELECT count(*) FROM (... LIMIT limit + 1)), so a
    count costs the same for 10,001 matches as for a million."""
    limit = exact_count_limit() if limit is None else limit
    # Only the key: annotations the page shows (a subquery per row) are not counted.
    found = queryset.order_by().values("pk")[: limit + 1].count()
    return CappedCount(value=min(found, limit), exact=found <= limit, limit=limit)


class CappedPaginator(Paginator):
    """Django's Paginator with a count that stops after LIST_EXACT_COUNT_UP_TO rows:
    pages past the limit are not offered (narrow the list to reach them), and
    `capped.exact` says whether "N" or "more than N" is true."""

    @cached_property
    def capped(self) -> CappedCount:
        if isinstance(self.object_list, list):  # read whole already: its length
            limit = exact_count_limit()
            found = len(self.object_list)
            return CappedCount(value=min(found, limit), exact=found <= limit, limit=limit)
        return capped_count(self.object_list)

    @cached_property
    def count(self) -> int:
        return self.capped.value


# Keyset pages --------------------------------------------------------------------------


def keyset_filter(ordering: list[str], values: list, *, backwards: bool = False) -> Q:
    """Rows after the row whose sort values are `values` in `ordering` ("-field" for a
    descending key; the last key must make the order total, a primary key), or before
    it when `backwards`: the API's rule (retention/api/paging.py), plus a bound on the
    first key alone (k1 >= v1, or <= going down), which is what lets PostgreSQL start an
    index walk at the row instead of testing every row before it."""
    first, value = ordering[0].lstrip("-"), values[0]
    later = ordering[0].startswith("-") == backwards  # up the key: greater is later
    bound = Q(**{f"{first}__{'gte' if later else 'lte'}": value})
    return bound & rows_after(ordering, values, backwards=backwards)


def encode_cursor(values: list) -> str:
    """The sort values of a row, as a URL-safe token."""
    plain = [_plain(value) for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(token: str, types: list[type]) -> list | None:
    """The sort values from `encode_cursor`, or None for a token that is not one (a
    mangled link starts the list again rather than failing)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(types):
            return None
        return [_typed(value, kind) for value, kind in zip(raw, types, strict=True)]
    except (ValueError, TypeError, binascii.Error, InvalidOperation):
        return None


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _typed(value, kind: type):
    if value is None:
        raise ValueError("a sort value is missing")
    if kind is Decimal:
        return Decimal(str(value))
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if kind is float:
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("not a whole number")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ValueError("not a text")
        return value
    raise TypeError(kind)
