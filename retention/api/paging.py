"""Cursor paging: stable under inserts, cheap at any depth (no OFFSET)."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "id"

    def paginate_queryset(self, queryset, request, view=None):
        # A forged cursor can carry a position that is not a value of the ordering field.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError):
            raise NotFound(self.invalid_cursor_message) from None


class Ordering(OrderingFilter):
    """?ordering=: the fields a view lists in `ordering_fields`, else only id."""

    def get_valid_fields(self, queryset, view, context=None):
        if getattr(view, "ordering_fields", None) is None:
            return [("id", "id")]
        return super().get_valid_fields(queryset, view, context or {})
