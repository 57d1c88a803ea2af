"""What the API's viewsets share."""

from __future__ import annotations

from rest_framework.response import Response

from staff import audit


class AuditedRetrieve:
    """Every read of one record about a customer is written to the audit trail."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        customer_id = getattr(instance, "customer_id", None)
        if customer_id is None and instance._meta.model_name == "customer":
            customer_id = instance.pk
        audit.record("view", instance._meta.model_name, instance.pk, customer_id=customer_id)
        return Response(self.get_serializer(instance).data)
