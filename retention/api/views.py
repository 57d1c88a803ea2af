"""What the API's viewsets share: every read of customer data is audited (one event per
record opened, one per list page with its number of rows) and counts towards a leaving
person's daily allowance (staff/reads.py)."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response

from retention.api.auth import api_employee
from staff import audit
from staff.reads import approval_message, read_within_allowance


class ApprovalRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "approval_required"


def _read(request, kind: str, rows: int, **event) -> None:
    """Audit a read of `rows` records of `kind`, or refuse it (403) when a leaver's
    allowance needs an approval first (staff.reads.read_within_allowance)."""
    from django.urls import reverse

    model = event.pop("model", kind)
    pending = read_within_allowance(
        api_employee(request),
        kind,
        rows,
        lambda: audit.record_read(model, rows, **event),
        request.build_absolute_uri(reverse("export_requests")),
    )
    if pending is not None:
        raise ApprovalRequired(approval_message(pending.pk, kind))


class AuditedRetrieve:
    """Every read of one record about a customer is written to the audit trail."""

    audit_kind: str = ""  # the export kind whose approval covers this resource

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_audited_object()).data)

    def get_audited_object(self):
        """get_object(), its read counted and audited (every view of one record, the
        detail and its actions alike, goes through here)."""
        instance = self.get_object()
        model = instance._meta.model_name
        customer_id = getattr(instance, "customer_id", None)
        if customer_id is None and model == "customer":
            customer_id = instance.pk
        _read(
            self.request,
            self.audit_kind or model,
            1,
            model=model,
            object_id=instance.pk,
            customer_id=customer_id,
        )
        return instance


class AuditedList:
    """A list page of customer records: one audit event with the number of rows; a
    leaving person beyond the daily allowance needs an approval first."""

    audit_kind: str = ""

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        model = queryset.model._meta.model_name
        _read(
            request,
            self.audit_kind or model,
            len(rows),
            model=model,
            detail={"list": request.path, "query": request.GET.urlencode()},
        )
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)
