"""A small hand-made company for the scoring tests, as of 2026-06-30.

Every expected feature value in the tests is worked out by hand from the dates below
("offset" = days before AS_OF; "last N days" = offsets 0..N-1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from customers.models import Customer, Interaction, OwnerRole, OwnershipPeriod
from staff.models import Employee
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
)

AS_OF = dt.date(2026, 6, 30)
K = Interaction.Kind
OUT, IN, INTERNAL = "outbound", "inbound", "internal"


def at(offset: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    day = AS_OF - dt.timedelta(days=offset)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


@dataclass
class World:
    alpha: Customer  # core, busy, many signals, owner leaving
    bravo: Customer  # general, gone quiet, single-threaded, churns after AS_OF
    e0: Employee  # Alpha's previous owner, left on 2026-05-10
    e1: Employee  # Alpha's owner, leaving on 2026-07-31
    e2: Employee  # colleague who took Alpha's complaint
    e3: Employee  # Bravo's owner


def build_world() -> World:
    e0 = EmployeeFactory(
        name="E0",
        status=Employee.Status.DEPARTED,
        departure_date=dt.date(2026, 5, 10),
        departure_announced_on=dt.date(2026, 4, 10),
    )
    e1 = EmployeeFactory(
        name="E1",
        status=Employee.Status.DEPARTING,
        departure_date=dt.date(2026, 7, 31),
        departure_announced_on=dt.date(2026, 6, 15),
    )
    e2 = EmployeeFactory(name="E2")
    e3 = EmployeeFactory(name="E3")

    alpha = CustomerFactory(
        name="Alpha", segment="core", customer_since=dt.date(2025, 1, 1), primary_owner=e1
    )
    # Alpha's real ownership history: E0 until they left, then E1.
    OwnershipPeriod.objects.filter(customer=alpha).delete()
    OwnershipPeriod.objects.create(
        customer=alpha,
        employee=e0,
        role=OwnerRole.PRIMARY,
        started_on=dt.date(2025, 1, 1),
        ended_on=dt.date(2026, 5, 10),
    )
    OwnershipPeriod.objects.create(
        customer=alpha, employee=e1, role=OwnerRole.PRIMARY, started_on=dt.date(2026, 5, 10)
    )

    def log(customer, offset, kind, direction, employee, satisfaction=None, hour=12, minute=0):
        return InteractionFactory(
            customer=customer,
            kind=kind,
            direction=direction,
            employee=employee,
            satisfaction=satisfaction,
            happened_at=at(offset, hour, minute),
        )

    log(alpha, 0, K.NOTE, INTERNAL, e1, hour=23, minute=30)
    log(alpha, 5, K.CALL, OUT, e1, satisfaction=6)
    log(alpha, 9, K.COMPLAINT, IN, e2)
    log(alpha, 10, K.USAGE, INTERNAL, None)
    log(alpha, 20, K.EMAIL, IN, e1)
    log(alpha, 41, K.SUPPORT_TICKET, IN, e1)
    log(alpha, 46, K.DISCOUNT_REQUEST, IN, e1)
    log(alpha, 60, K.CALL, OUT, e1, satisfaction=9)
    log(alpha, 71, K.USAGE, INTERNAL, None)
    log(alpha, 76, K.USAGE, INTERNAL, None)
    log(alpha, 81, K.MEETING, OUT, e1)
    log(alpha, 102, K.COMPLAINT, IN, e1)
    log(alpha, 107, K.USAGE, INTERNAL, None)
    log(alpha, 149, K.RENEWAL_TALK, OUT, e1)
    log(alpha, 394, K.EMAIL, OUT, e1)

    ContractFactory(
        customer=alpha,
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        annual_value=Decimal("10000"),
    )
    ContractFactory(
        customer=alpha,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        annual_value=Decimal("12000"),
    )
    ContractFactory(
        customer=alpha,
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 8, 31),
        annual_value=Decimal("3000"),
        auto_renew=True,
    )
    known = dt.date(2025, 1, 1)
    ContactFactory(
        customer=alpha,
        is_decision_maker=True,
        status="left",
        left_on=dt.date(2026, 5, 1),
        known_since=known,
    )
    ContactFactory(customer=alpha, known_since=known)
    ContactFactory(customer=alpha, status="left", left_on=dt.date(2026, 8, 1), known_since=known)
    # Only known from after the day: not counted.
    ContactFactory(customer=alpha, known_since=AS_OF + dt.timedelta(days=1))

    bravo = CustomerFactory(
        name="Bravo",
        segment="general",
        customer_since=dt.date(2026, 1, 10),
        primary_owner=e3,
        status=Customer.Status.CHURNED,
        churned_on=dt.date(2026, 8, 15),
        churn_reason="price",
    )
    for offset in (32, 40, 48, 56, 64, 72, 80, 88, 96):
        log(bravo, offset, K.CALL, OUT, e3)
    log(bravo, 12, K.EMAIL, IN, e3)
    ContractFactory(
        customer=bravo,
        start_date=dt.date(2026, 1, 10),
        end_date=dt.date(2027, 1, 9),
        annual_value=Decimal("5000"),
    )

    # Not active on AS_OF: churned before it, and joined after it.
    CustomerFactory(
        name="Gone",
        status=Customer.Status.CHURNED,
        churned_on=dt.date(2026, 6, 1),
        churn_reason="service",
    )
    CustomerFactory(name="Later", customer_since=dt.date(2026, 7, 1))
    return World(alpha=alpha, bravo=bravo, e0=e0, e1=e1, e2=e2, e3=e3)
