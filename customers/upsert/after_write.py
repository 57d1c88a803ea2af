"""What follows from the rows a batch wrote, in the same transaction: owner history,
audit, reconverted values."""

from __future__ import annotations

from django.utils import timezone

from customers import currency
from customers.models import (
    Contract,
    Customer,
    ExchangeRate,
    OwnerRole,
    OwnershipPeriod,
    OwnershipReason,
)
from customers.upsert.kinds import WRITE_BATCH, Kind
from staff import audit


def after_write(
    kind: Kind, rows: list[dict], before: dict[str, dict], changed: dict[str, bool]
) -> None:
    """What follows from the rows a batch wrote, in the same transaction: the one place
    where anything kept up to date from the records (history, audit, derived values,
    running aggregates) learns of them. `changed`: the external ids written, each with
    whether it was inserted; unchanged rows are not in it. Set-based, like the write."""
    model = kind.model
    if model is Customer:
        _record_owner_changes(rows, before, set(changed))
    if model is ExchangeRate and changed:
        currency.reconvert({row["currency"] for row in rows if row["external_id"] in changed})
    if model is Contract and changed:
        audit.record_many(
            "contract_change",
            "contract",
            (
                (
                    row["external_id"],
                    row["customer_id"],
                    {"created": changed[row["external_id"]]},
                )
                for row in rows
                if row["external_id"] in changed
            ),
        )


def _record_owner_changes(rows: list[dict], before: dict[str, dict], changed: set[str]) -> None:
    """Ownership history for customers whose owners the batch set or changed: the open
    period closes today and the new owner's opens, as Customer.save() does one by one; a
    customer's first owner in a role (a new customer) owns it from its customer_since."""
    today = timezone.localdate()
    moves: list[tuple[str, str, int | None]] = []  # (external_id, role, new owner)
    for row in rows:
        key = row["external_id"]
        if key not in changed:
            continue
        old = before.get(key, {})
        for role, column in (
            (OwnerRole.PRIMARY, "primary_owner_id"),
            (OwnerRole.SECONDARY, "secondary_owner_id"),
        ):
            if row[column] != old.get(column):
                moves.append((key, role, row[column]))
    if not moves:
        return
    ids = dict(
        Customer.objects.filter(external_id__in={m[0] for m in moves}).values_list(
            "external_id", "id"
        )
    )
    # A customer's first owner in a role owned it from the customer's own start (the
    # history an import brings), not from the day of the import.
    owned_before = set(
        OwnershipPeriod.objects.filter(customer_id__in=ids.values())
        .values_list("customer_id", "role")
        .distinct()
    )
    since = {row["external_id"]: row["customer_since"] for row in rows}
    for role in (OwnerRole.PRIMARY, OwnerRole.SECONDARY):
        customer_ids = [ids[key] for key, r, _ in moves if r == role]
        open_periods = list(
            OwnershipPeriod.objects.filter(
                customer_id__in=customer_ids, role=role, ended_on__isnull=True
            )
        )
        for period in open_periods:
            period.ended_on = max(today, period.started_on)
        OwnershipPeriod.objects.bulk_update(open_periods, ["ended_on"], batch_size=WRITE_BATCH)
    audit.record_many(
        "owner_change",
        "customer",
        (
            (
                ids[key],
                ids[key],
                {
                    "role": role,
                    "from": before.get(key, {}).get(
                        "primary_owner_id" if role == OwnerRole.PRIMARY else "secondary_owner_id"
                    ),
                    "to": owner,
                    "reason": "Set by import",
                },
            )
            for key, role, owner in moves
        ),
    )
    OwnershipPeriod.objects.bulk_create(
        [
            OwnershipPeriod(
                customer_id=ids[key],
                employee_id=owner,
                role=role,
                started_on=today
                if (ids[key], role) in owned_before
                else min(since.get(key) or today, today),
                reason=OwnershipReason.IMPORT,
            )
            for key, role, owner in moves
            if owner is not None
        ],
        batch_size=WRITE_BATCH,
    )
