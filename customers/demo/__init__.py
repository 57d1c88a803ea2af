"""A deterministic demo company with two years of history in which churn follows the
behaviour DOMAIN.md describes.

Every customer lives through the same story: it buys yearly contracts, talks to its
owners, and sometimes runs into trouble (it disengages, complains, asks for a discount,
loses its decision-maker, or loses its account owner to a departure). Troubled customers
stop renewal talks and most of them churn, at the next contract end or mid-term. Healthy
customers renew, with a little noise (the odd complaint, a rare churn) so that the
signals are informative but not perfect.

Generation is vectorised with numpy and written with COPY on PostgreSQL (executemany
elsewhere) in chunks of customers, so the same code makes 1,500 customers for the demo
and 1M customers / 20M interactions for the benchmarks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from customers.demo.history import generate_chunk
from customers.demo.names import DEMO_PASSWORD, HISTORY_DAYS, NAMED_LOGINS
from customers.demo.rates import seed_exchange_rates
from customers.demo.staff import DemoSummary, create_staff, managers_index
from customers.models import (
    Contact,
    Contract,
    Customer,
    Interaction,
    OwnershipPeriod,
)
from staff.models import Employee, Team

__all__ = [
    "AuditTrailKept",
    "DEMO_PASSWORD",
    "HISTORY_DAYS",
    "NAMED_LOGINS",
    "DemoSummary",
    "generate",
    "managers_index",
    "open_handovers",
    "seed_retention_actions",
    "wipe",
]


def generate(
    *,
    customers: int = 1500,
    interactions: int = 150_000,
    seed: int = 42,
    as_of: dt.date | None = None,
    chunk_customers: int = 50_000,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoSummary:
    """Write a demo company into an empty database. Deterministic for a seed and as_of."""
    if Customer.objects.exists() or Employee.objects.exists():
        raise RuntimeError(
            "The database already holds customers or employees; use --reset to start over."
        )
    as_of = as_of or timezone.localdate()
    start = as_of - dt.timedelta(days=HISTORY_DAYS)
    rng = np.random.default_rng(seed)
    summary = DemoSummary()

    with transaction.atomic():
        staff = create_staff(rng, customers, start, as_of, summary)
        summary.exchange_rates = seed_exchange_rates(start, as_of)
    progress(f"{summary.employees} employees in {summary.teams} teams")

    # Interactions are spread over customers in proportion to expected activity.
    ids_next = {"contact": 1, "contract": 1, "interaction": 1, "ownership": 1}
    per_customer_target = interactions / max(customers, 1)
    for chunk_start in range(0, customers, chunk_customers):
        n = min(chunk_customers, customers - chunk_start)
        chunk_rng = np.random.default_rng([seed, chunk_start])
        # One transaction per chunk: all-or-nothing per batch, and no commit per row on SQLite.
        with transaction.atomic():
            generate_chunk(
                chunk_rng,
                chunk_start,
                n,
                staff,
                start,
                as_of,
                per_customer_target,
                ids_next,
                summary,
            )
        progress(
            f"customers {chunk_start + n:,}/{customers:,}, interactions {summary.interactions:,}"
        )
    _reset_sequences()
    return summary


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    models = [Customer, OwnershipPeriod, Contact, Contract, Interaction]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class AuditTrailKept(RuntimeError):
    """The database's audit trail names the people a reset would delete."""


def wipe() -> None:
    """Remove all customer and staff data and the handover plans that refer to them (the
    demo's --reset). Raises AuditTrailKept, changing nothing, when the database has an
    audit trail: it is append-only and names the people a reset would delete."""
    from staff.models import AuditEvent

    if AuditEvent.objects.exists():
        # The audit trail is append-only and names the people a reset would delete.
        raise AuditTrailKept(
            f"This database has an audit trail ({AuditEvent.objects.count():,} events), which "
            "is never deleted, so the company it records cannot be reset. Start the demo on "
            "a new database instead (delete db.sqlite3, or set DATABASE_URL to an empty one)."
        )
    User = get_user_model()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = [
                m._meta.db_table
                for m in (Interaction, Contract, Contact, OwnershipPeriod, Customer)
            ]
            with connection.cursor() as cursor:
                # Deferred foreign-key checks must fire before TRUNCATE may run.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for model in (Interaction, Contract, Contact, OwnershipPeriod, Customer):
                model.objects.all().delete()
        # The demo's handover plans refer to its people (protected against deletion in
        # normal use): a reset starts the demo over, so its plans and their steps go too.
        from handover.models import HandoverPlan, HandoverTask

        HandoverTask.objects.all().delete()
        HandoverPlan.objects.all().delete()
        Team.objects.update(manager=None, parent=None)
        Employee.objects.update(manager=None)
        Employee.objects.all().delete()
        Team.objects.all().delete()
        User.objects.filter(is_superuser=False).delete()
        User.objects.filter(username="admin").delete()


def open_handovers(*, as_of: dt.date) -> int:
    """Handover plans for the demo's departing employees, as HR would have recorded them
    on the day each departure was announced (scored first, so priorities use risk)."""
    from handover.models import HandoverPlan
    from handover.services import raise_tasks

    opened = 0
    departing = Employee.objects.filter(status=Employee.Status.DEPARTING).select_related("team")
    for employee in departing.exclude(handover_plans__status=HandoverPlan.Status.OPEN):
        plan = HandoverPlan(
            employee=employee,
            last_day=employee.departure_date,
            reason=employee.departure_reason or "Not given",
            voluntary=bool(employee.departure_voluntary),
        )
        plan.add_log("demo_departure_recorded")
        plan.save()
        raise_tasks(plan=plan, today=as_of)
        opened += 1
    return opened


# Warning signs the demo's account managers answered, and what they did about them.
DEMO_ACTIONS = {
    "complaint": ("complaint", "call"),
    "discount_request": ("discount_request", "offer"),
    "support_ticket": ("support_escalation", "visit"),
}


def seed_retention_actions(*, as_of: dt.date) -> int:
    """Retention actions for the demo's save rate: for a quarter of the customers who
    complained, asked for a discount or opened a ticket in the last 11 months, the owner's
    answer two days later (call, tailored offer, visit). Outcomes are settled by the nightly
    job from what happened next (churned: lost; renewed or stayed 90 days: saved).
    Idempotent: customers who already have a demo action get none."""
    from alerts.actions import settle_actions
    from alerts.models import DEFAULT_PLAYS, RetentionAction

    since = timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=330), dt.time()))
    rows = (
        Interaction.objects.filter(kind__in=list(DEMO_ACTIONS), happened_at__gte=since)
        .annotate(bucket=F("customer_id") % 4)
        .filter(bucket=0)
        .exclude(customer__retention_actions__isnull=False)
        .order_by("customer_id", "happened_at")
        .values_list(
            "customer_id",
            "kind",
            "happened_at",
            "customer__primary_owner_id",
            "customer__primary_owner__team_id",
        )
    )
    actions, seen = [], set()
    for customer_id, kind, happened_at, owner_id, team_id in rows.iterator(chunk_size=5000):
        if customer_id in seen:
            continue
        seen.add(customer_id)
        signal, action = DEMO_ACTIONS[kind]
        taken_on = min(happened_at.date() + dt.timedelta(days=2), as_of)
        actions.append(
            RetentionAction(
                customer_id=customer_id,
                kind=action,
                signal=signal,
                play=DEFAULT_PLAYS[signal],
                owner_id=owner_id,
                team_id=team_id,
                taken_on=taken_on,
                notes="Demo data",
            )
        )
    RetentionAction.objects.bulk_create(actions, batch_size=5000)
    settle_actions(day=as_of)
    return len(actions)
