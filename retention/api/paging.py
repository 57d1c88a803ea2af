"""Paging and ordering of every API list: keyset ("cursor") paging on a unique key, so a
list walked page by page never skips or repeats a row, whatever it is ordered by, and
costs the same at any depth (no OFFSET).

Every ordering ends with the primary key as its tie-breaker (`?ordering=updated_at` is
walked as (updated_at, id)); the cursor holds the last row's values of all of them, and
the next page starts strictly after that row.

Rows change while a client pages. On the lists that sync (customers, contacts, contracts,
interactions, exchange rates; PostgreSQL) a walk reads in rounds, so a change can never
move an unread row behind the client (a row renamed from "Z" to "A" while the client is
at "M", or touched under `?ordering=-updated_at`): the first round reads, in the order
asked for, the rows as they were committed when the walk began (its first page's
snapshot); a row written again since leaves that round and is read in the next, which
reads, in the same order, what was committed meanwhile, and so on until a round finds
nothing. Every row that was there when the walk began is read at least once, wherever
its changes move it; a row changed during the walk may be read twice (apply by
external_id). The cursor carries the round's two snapshots (retention/api/sync.py).
Elsewhere a changed row is read at its new place if the client has not passed it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from retention.api import sync


class Ordering(OrderingFilter):
    """?ordering=: the fields a view lists in `ordering_fields`, else only id; always
    with the primary key last, in the direction of the last field, as the tie-breaker."""

    def get_valid_fields(self, queryset, view, context=None):
        if getattr(view, "ordering_fields", None) is None:
            return [("id", "id")]
        return super().get_valid_fields(queryset, view, context or {})

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or ["id"])
        return with_tie_breaker(ordering)

    def remove_invalid_fields(self, queryset, fields, view, request):
        """A field the list cannot order by is a 400 naming it and what it takes, as an
        unknown parameter is (DRF drops it without a word: `?ordering=-updatedat` would
        answer in id order)."""
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        asked = [term.strip() for term in fields]
        wrong = [term for term in asked if term.lstrip("-") not in valid]
        if wrong:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        gettext("Cannot order by %(names)s; this list orders by: %(valid)s.")
                        % {"names": ", ".join(wrong), "valid": ", ".join(sorted(valid))}
                    ]
                }
            )
        return [term for term in asked if term]


def with_tie_breaker(ordering: list[str]) -> list[str]:
    names = [term.lstrip("-") for term in ordering]
    if "id" in names or "pk" in names:
        return ordering[: max(names.index(n) for n in ("id", "pk") if n in names) + 1]
    return [*ordering, "-id" if ordering and ordering[-1].startswith("-") else "id"]


def _encode(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _after(ordering: list[str], values: list, *, backwards: bool) -> Q:
    """Rows strictly after (or, backwards, before) the row with these values in this
    ordering. PostgreSQL puts NULLs last going up and first going down."""
    condition = Q(pk__in=[])
    equal = Q()
    for term, value in zip(ordering, values, strict=True):
        name = term.lstrip("-")
        descending = term.startswith("-") != backwards
        if value is None:
            later = Q(**{f"{name}__isnull": False}) if descending else Q(pk__in=[])
            same = Q(**{f"{name}__isnull": True})
        else:
            if descending:
                later = Q(**{f"{name}__lt": value})
            else:
                later = Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        condition |= equal & later
        equal &= same
    return condition


class Cursor(BasePagination):
    """Keyset paging: `next` and `previous` links carry the edge row's ordering values
    (and the sync token of the first page, when the view offers one)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    cursor_query_param = "cursor"
    invalid_cursor_message = "Invalid cursor."

    # A walk that sees rows written while it pages reads them in further rounds; at most
    # this many rounds are started in one request (the `next` link goes on from there).
    max_rounds_per_page = 5

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self._page_size(request)
        self.ordering = self._ordering(request, queryset, view)
        cursor = self._decode(request.query_params.get(self.cursor_query_param))
        self.backwards = bool(cursor.get("b"))
        self.sync_token = None
        # Rounds (see `_rounds`): on the lists that sync, on PostgreSQL.
        self.rounds = getattr(view, "syncs", False) and sync.supported()
        if self.rounds:
            snapshot = cursor.get("s") or sync.current_snapshot()
            # the watermark of the first page, carried by the links to the last one
            self.sync_token = cursor.get("t") or sync.snapshot_xmin(snapshot)
            self.round = (cursor.get("l"), snapshot)
        order = [self._flip(t) if self.backwards else t for t in self.ordering]
        self.ordered = queryset.order_by(*[self._expression(t) for t in order])
        position = self._checked_values(queryset, cursor["p"]) if "p" in cursor else None
        try:  # a last guard: the values were checked against their fields above
            rows, more = self._read(position)
        except (ValueError, TypeError, OverflowError, ValidationError):
            raise NotFound(self.invalid_cursor_message) from None
        if self.backwards:
            rows.reverse()
        self.has_next = more if not self.backwards else True
        self.has_previous = ("p" in cursor) if not self.backwards else more
        self.page = [row for row, _ in rows]
        self.page_rounds = [round_ for _, round_ in rows]
        return self.page

    def _read(self, position) -> tuple[list, bool]:
        """Up to a page of rows after `position` (and one more, to know whether there
        are more), each with the round it was read in."""
        rows: list = []
        round_ = self.round if self.rounds else None
        for started in range(self.max_rounds_per_page + 1):
            queryset = self.ordered
            if round_ is not None:
                queryset = sync.written_in_round(queryset, *round_)
            if position is not None:
                queryset = queryset.filter(
                    _after(self.ordering, position, backwards=self.backwards)
                )
            found = list(queryset[: self.page_size + 1 - len(rows)])
            rows += [(row, round_) for row in found]
            if len(rows) > self.page_size or round_ is None or self.backwards:
                return rows[: self.page_size], len(rows) > self.page_size
            if position is None and not found:
                return rows, False  # a round with nothing in it: the walk is complete
            if started == self.max_rounds_per_page:
                return rows, bool(rows)
            round_, position = (round_[1], sync.current_snapshot()), None
        return rows, False

    def get_paginated_response(self, data):
        body = {"next": self._link(forward=True), "previous": self._link(forward=False)}
        if self.sync_token is not None:
            body["sync_token"] = str(self.sync_token)
        body["results"] = data
        return Response(body)

    def get_paginated_response_schema(self, schema):
        shape = CursorPagination().get_paginated_response_schema(schema)
        shape["properties"]["sync_token"] = {
            "type": "string",
            "description": gettext(
                "Lists that sync (customers, contacts, contracts, interactions, "
                "exchange rates): keep it after reading the last page and send it as "
                "?sync_token= next time to get everything committed since."
            ),
        }
        return shape

    def get_schema_operation_parameters(self, view):
        return CursorPagination().get_schema_operation_parameters(view)

    # --- helpers ------------------------------------------------------------------------

    def _page_size(self, request) -> int:
        """`page_size` from 1 to max_page_size; empty is the default; anything else is a
        400 naming the range (`abc`, `0` and `5000` were read as 100 or 1000 silently)."""
        raw = (request.query_params.get(self.page_size_query_param) or "").strip()
        if not raw:
            return self.page_size
        if not raw.isdecimal() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        gettext(
                            "%(value)s is not a page size; give a whole number from 1 to %(most)s."
                        )
                        % {"value": repr(raw), "most": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def _ordering(self, request, queryset, view) -> list[str]:
        for backend in getattr(view, "filter_backends", []):
            if issubclass(backend, OrderingFilter):
                return backend().get_ordering(request, queryset, view)
        return ["id"]

    @staticmethod
    def _flip(term: str) -> str:
        return term[1:] if term.startswith("-") else "-" + term

    @staticmethod
    def _expression(term: str):
        name = term.lstrip("-")
        return (
            F(name).desc(nulls_first=True) if term.startswith("-") else F(name).asc(nulls_last=True)
        )

    def _decode(self, raw: str | None) -> dict:
        if not raw:
            return {}
        try:
            cursor = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise NotFound(self.invalid_cursor_message) from None
        if not isinstance(cursor, dict) or (
            "p" in cursor
            and (not isinstance(cursor["p"], list) or len(cursor["p"]) != len(self.ordering))
        ):
            raise NotFound(self.invalid_cursor_message)
        if "t" in cursor and not _is_sync_token(cursor["t"]):
            raise NotFound(self.invalid_cursor_message)
        for key in ("s", "l"):
            if key in cursor and not sync.is_snapshot(cursor[key]):
                raise NotFound(self.invalid_cursor_message)
        if "l" in cursor and "s" not in cursor:
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def _checked_values(self, queryset, values: list) -> list:
        """A cursor's values as the ordering's fields hold them, or 404: each must have the
        JSON type `_link` writes for its field (an integer for an integer, a string for a
        date or decimal), read by the field's own `to_python`, and within its range."""
        checked = []
        for term, value in zip(self.ordering, values, strict=True):
            field = _field(queryset, term.lstrip("-"))
            if field is not None and value is None and field.null:
                checked.append(None)
                continue
            if field is None or not _has_json_type(field, value):
                raise NotFound(self.invalid_cursor_message)
            try:
                value = field.to_python(value)
                if isinstance(field, models.IntegerField | models.DecimalField):
                    field.run_validators(value)  # the column's range, its digits
                if isinstance(value, Decimal) and not value.is_finite():
                    raise ValidationError("not finite")
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValidationError("not finite")
            except (ValidationError, ValueError, TypeError, OverflowError, ArithmeticError):
                raise NotFound(self.invalid_cursor_message) from None
            checked.append(value)
        return checked

    def _link(self, *, forward: bool) -> str | None:
        if forward and not self.has_next:
            return None
        if not forward and not self.has_previous:
            return None
        if not self.page:
            if forward or not self.backwards:
                return None
            return remove_query_param(self.base_url, self.cursor_query_param)
        edge = self.page[-1] if forward else self.page[0]
        values = [_encode(self._value(edge, t.lstrip("-"))) for t in self.ordering]
        cursor = {"p": values}
        if not forward:
            cursor["b"] = 1
        if self.sync_token is not None:
            cursor["t"] = str(self.sync_token)
        if self.rounds:
            before, upto = self.page_rounds[-1] if forward else self.page_rounds[0]
            cursor["s"] = upto
            if before is not None:
                cursor["l"] = before
        token = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    @staticmethod
    def _value(row, name: str):
        for part in name.split("__"):
            row = getattr(row, "pk" if part == "pk" else part)
            if row is None:
                return None
        return row


_BIGINT_MAX = 2**63 - 1


def _is_sync_token(value) -> bool:
    """A sync token as `_link` writes it: a non-negative 64-bit integer, as a string."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return False
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        return False
    return 0 <= int(value) <= _BIGINT_MAX


def _field(queryset, name: str):
    """The model field (or annotation's output field) an ordering term reads."""
    if name in queryset.query.annotations:
        return queryset.query.annotations[name].output_field
    model, field = queryset.model, None
    for part in name.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation:
            field = field.target_field if field.many_to_one or field.one_to_one else None
            if field is None:
                return None
            model = field.model
        else:
            model = None
    return field


def _has_json_type(field, value) -> bool:
    """Whether a cursor value has the JSON type `_encode` gives this field's values: a
    bool is not an integer, and a string is not a number."""
    if isinstance(field, models.BooleanField):
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if isinstance(field, models.IntegerField | models.AutoField):
        return isinstance(value, int)
    if isinstance(field, models.FloatField):
        return isinstance(value, int | float)
    return isinstance(value, str)
