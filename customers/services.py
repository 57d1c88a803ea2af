"""Writes to the customer record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from customers.currency import fill_reporting_values
from customers.models import Contract, Customer


@dataclass(frozen=True)
class ContractRollResult:
    expired: int
    renewed: int


def _renewal_external_id(contract_external_id: str) -> str:
    return f"{contract_external_id}-R"


def roll_contracts(*, as_of: dt.date) -> ContractRollResult:
    """Close contracts whose end date has passed as of `as_of`.

    Auto-renewing contracts of active customers get a follow-on contract of the same length and value and
    are marked renewed; the rest are marked expired. Set-based, and idempotent: the
    follow-on's external_id is derived from the original, so a re-run (or a run killed
    halfway) creates nothing twice. Follow-ons that have themselves already ended are
    rolled in the same run, so one run leaves the same state as several."""
    expired = renewed = 0
    while True:
        step = _roll_once(as_of)
        expired += step.expired
        renewed += step.renewed
        if step.renewed == 0:
            return ContractRollResult(expired=expired, renewed=renewed)


def _roll_once(as_of: dt.date) -> ContractRollResult:
    now = timezone.now()
    with transaction.atomic():
        due = Contract.objects.select_for_update().filter(
            status=Contract.Status.ACTIVE, end_date__lt=as_of
        )
        # Snapshot first: follow-ons created below may themselves be past their end date
        # and must wait for the next pass, not be expired by this one.
        due_ids = list(due.values_list("id", flat=True))
        renewing = list(
            Contract.objects.filter(id__in=due_ids)
            .filter(auto_renew=True, customer__status=Customer.Status.ACTIVE)
            .values(
                "id",
                "customer_id",
                "external_id",
                "start_date",
                "end_date",
                "annual_value",
                "currency",
                "kind",
            )
        )
        follow_ons = [
            Contract(
                customer_id=row["customer_id"],
                external_id=_renewal_external_id(row["external_id"]),
                start_date=row["end_date"] + dt.timedelta(days=1),
                end_date=row["end_date"]
                + (row["end_date"] - row["start_date"])
                + dt.timedelta(days=1),
                annual_value=row["annual_value"],
                currency=row["currency"],
                kind=row["kind"],
                status=Contract.Status.ACTIVE,
                auto_renew=True,
                renewal_of_id=row["id"],
            )
            for row in renewing
        ]
        fill_reporting_values(follow_ons)
        Contract.objects.bulk_create(follow_ons, batch_size=2000, ignore_conflicts=True)
        renewed = Contract.objects.filter(id__in=[row["id"] for row in renewing]).update(
            status=Contract.Status.RENEWED, updated_at=now
        )
        renewing_ids = {row["id"] for row in renewing}
        expired = Contract.objects.filter(
            id__in=[i for i in due_ids if i not in renewing_ids]
        ).update(status=Contract.Status.EXPIRED, updated_at=now)
    return ContractRollResult(expired=expired, renewed=renewed)
