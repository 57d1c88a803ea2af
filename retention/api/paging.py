"""Cursor paging: stable under inserts, cheap at any depth (no OFFSET)."""

from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "id"


class Ordering(OrderingFilter):
    """?ordering=: the fields a view lists in `ordering_fields`, else only id."""

    def get_valid_fields(self, queryset, view, context=None):
        if getattr(view, "ordering_fields", None) is None:
            return [("id", "id")]
        return super().get_valid_fields(queryset, view, context or {})
