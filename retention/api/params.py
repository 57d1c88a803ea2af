"""Every API list and record refuses a query parameter it does not know: `?q=acme`, a
typo for a filter, would otherwise answer every row and a sync client would take it for
the filtered set.

The names a view accepts are read from what the view uses, never listed per view: its
FilterSet's filters (with the suffixes of a range filter), its ordering parameter, its
paginator's parameters (`cursor`, `page_size`), DRF's `format`, drf-spectacular's `lang`
and any `extra_query_params` a view reads by hand. The check runs as the first filter
backend, so it holds wherever a view filters: its list, its records and their actions;
an action that does not filter (a bulk upsert) calls `refuse_unknown_query_parameters`
itself, so `POST .../bulk/?dry_run=true` is refused rather than written for real. A
parameter given twice is refused too: each takes one value."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.settings import api_settings

# Asked of every view: the response format (DRF) and the language of the words (schema).
ALWAYS_ACCEPTED = ("lang",)


class UnknownQueryParameter(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_parameter"

    def __init__(self, unknown: list[str], accepted: list[str]):
        self.unknown = unknown
        self.accepted = accepted
        super().__init__(
            ngettext(
                "Unknown query parameter %(names)s; this endpoint accepts: %(accepted)s.",
                "Unknown query parameters %(names)s; this endpoint accepts: %(accepted)s.",
                len(unknown),
            )
            % {"names": ", ".join(unknown), "accepted": ", ".join(accepted) or _("none")}
        )


def _declared_filters(view):
    """(name, filter) of every filter the view's FilterSets declare."""
    for backend in getattr(view, "filter_backends", []):
        if not hasattr(backend, "get_filterset_class"):
            continue
        filterset_class = backend().get_filterset_class(view, view.get_queryset())
        if filterset_class is not None:
            yield from filterset_class.base_filters.items()


def _filter_names(view, request) -> set[str]:
    names: set[str] = set()
    for name, declared in _declared_filters(view):
        widget = declared.field.widget
        suffixes = getattr(widget, "suffixes", None)
        if suffixes and hasattr(widget, "suffixed"):
            names.update(widget.suffixed(name, suffix) for suffix in suffixes)
        else:
            names.add(name)
    return names


def accepted_query_parameters(view, request, *, filtered: bool = True) -> list[str]:
    """Every query parameter `view` reads for this request, sorted: its filters where it
    filters (`filtered`), and ordering and paging on its list only."""
    names = set(ALWAYS_ACCEPTED) | set(getattr(view, "extra_query_params", ()))
    if api_settings.URL_FORMAT_OVERRIDE:
        names.add(api_settings.URL_FORMAT_OVERRIDE)
    if filtered:
        names |= _filter_names(view, request)
    if getattr(view, "action", None) != "list":
        return sorted(names)
    for backend in getattr(view, "filter_backends", []):
        if issubclass(backend, OrderingFilter):
            names.add(backend.ordering_param)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        for attribute in dir(paginator):
            value = getattr(paginator, attribute, None)
            if attribute.endswith("_query_param") and isinstance(value, str):
                names.add(value)
    return sorted(names)


class RepeatedQueryParameter(exceptions.APIException):
    """A parameter given twice (`?segment=core&segment=general`): every parameter of the
    API takes one value (a filter would silently read only the last), so the request is
    refused, naming it, as a JSON object that names a field twice is."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "repeated_parameter"

    def __init__(self, name: str, count: int):
        super().__init__(
            _("The query parameter %(name)s is given %(count)s times; give it once.")
            % {"name": name, "count": count}
        )


class NotAsciiDigits(exceptions.APIException):
    """A number written in other digits (`page_size=٥`, `customer=１０`): Python reads
    them as numbers, the documented rule is ASCII digits, as in the bodies."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_parameter"

    def __init__(self, name: str, value: str):
        super().__init__(
            _("%(name)s=%(value)s: write numbers with the digits 0-9.")
            % {"name": name, "value": value}
        )


def _numeric_names(view, *, filtered: bool) -> set[str]:
    """The query parameters `view` reads as numbers: its number and record-id filters
    (where it filters) and its paginator's page size."""
    from django import forms

    numeric = (forms.IntegerField, forms.DecimalField, forms.FloatField, forms.ModelChoiceField)
    names = {
        name
        for name, declared in (_declared_filters(view) if filtered else ())
        if issubclass(declared.field_class, numeric)
    }
    paginator = getattr(view, "paginator", None)
    if paginator is not None and getattr(paginator, "page_size_query_param", None):
        names.add(paginator.page_size_query_param)
    return names


def refuse_unknown_query_parameters(request, view, *, filtered: bool = True) -> None:
    """Raises UnknownQueryParameter for a name the view does not read, then
    RepeatedQueryParameter for one given more than once, then NotAsciiDigits for a
    number written in other digits."""
    accepted = accepted_query_parameters(view, request, filtered=filtered)
    unknown = sorted(set(request.query_params) - set(accepted))
    if unknown:
        raise UnknownQueryParameter(unknown, accepted)
    for name, values in sorted(request.query_params.lists()):
        if len(values) > 1:
            raise RepeatedQueryParameter(name, len(values))
    foreign = {
        name: value
        for name, value in request.query_params.items()
        if any(ch.isdigit() and not ch.isascii() for ch in value)
    }
    if foreign:
        for name in sorted(foreign.keys() & _numeric_names(view, filtered=filtered)):
            raise NotAsciiDigits(name, foreign[name])


class RefuseUnknownParameters(BaseFilterBackend):
    """First of the default filter backends (settings.REST_FRAMEWORK)."""

    def filter_queryset(self, request, queryset, view):
        refuse_unknown_query_parameters(request, view)
        return queryset
