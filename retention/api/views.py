"""What the API's viewsets share: every read of customer data is audited (one event per
record opened, one per list page with its number of rows) and counts towards a leaving
person's daily allowance (staff/reads.py)."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response

from retention.api.auth import api_employee
from staff import audit
from staff.reads import approval_message, approval_needed


class ApprovalRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "approval_required"


def _check_allowance(request, kind: str, rows: int) -> None:
    from django.urls import reverse

    pending = approval_needed(
        api_employee(request), kind, rows, request.build_absolute_uri(reverse("export_requests"))
    )
    if pending is not None:
        raise ApprovalRequired(approval_message(pending.pk, kind))


class AuditedRetrieve:
    """Every read of one record about a customer is written to the audit trail."""

    audit_kind: str = ""  # the export kind whose approval covers this resource

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        customer_id = getattr(instance, "customer_id", None)
        if customer_id is None and instance._meta.model_name == "customer":
            customer_id = instance.pk
        _check_allowance(request, self.audit_kind or instance._meta.model_name, 1)
        audit.record_read(
            instance._meta.model_name, 1, object_id=instance.pk, customer_id=customer_id
        )
        return Response(self.get_serializer(instance).data)


class AuditedList:
    """A list page of customer records: one audit event with the number of rows; a
    leaving person beyond the daily allowance needs an approval first."""

    audit_kind: str = ""

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        model = queryset.model._meta.model_name
        _check_allowance(request, self.audit_kind or model, len(rows))
        audit.record_read(
            model, len(rows), detail={"list": request.path, "query": request.GET.urlencode()}
        )
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)
