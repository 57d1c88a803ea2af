"""A hand-made team for the handover tests; priorities and recommendations in the
tests are worked out by hand from it.

Team North (manager Mona) has Leo (leaving) and Ada; Ben is in Team North-2 (same
region), Dan in Team North is departing himself. Leo owns:
- C1 core, primary, 100,000 a year, current risk 0.40; 180 days: Leo 8 interactions,
  Ada 2 -> dependence 0.8 -> priority 100,000 x 0.40 x 0.8 = 32,000
- C2 general, primary, 10,000, never scored (risk 0.05); Leo 1 interaction -> dependence
  1.0 -> priority 10,000 x 0.05 x 1.0 = 500
- C3 important, secondary (Ben is primary), 50,000, risk 0.20; Ben 3 interactions with
  contact P2, Leo 1 with contact P1 -> share 0.25, but P1 only ever dealt with Leo: 1
  of 2 contacts -> dependence 0.5 -> priority 50,000 x 0.20 x 0.5 = 5,000
Ada already owns X1 (core); Ben owns C3 (important)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer, RiskModel, RiskScore, ScoringRun
from staff.models import Employee
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
    TeamFactory,
    UserFactory,
)

TODAY = timezone.localdate()
LAST_DAY = TODAY + dt.timedelta(days=30)


@dataclass
class Team:
    mona: Employee
    leo: Employee
    ada: Employee
    ben: Employee
    dan: Employee
    c1: Customer
    c2: Customer
    c3: Customer


def build_team() -> Team:
    north = TeamFactory(name="North", region="North")
    north2 = TeamFactory(name="North-2", region="North")
    mona = EmployeeFactory(name="Mona", role=Employee.Role.MANAGER, team=north)
    north.manager = mona
    north.save()
    leo = EmployeeFactory(name="Leo", team=north, manager=mona, user=UserFactory(username="leo"))
    ada = EmployeeFactory(name="Ada", team=north, manager=mona)
    ben = EmployeeFactory(name="Ben", team=north2)
    dan = EmployeeFactory(
        name="Dan",
        team=north,
        manager=mona,
        status=Employee.Status.DEPARTING,
        departure_date=TODAY + dt.timedelta(days=10),
    )

    def customer(name, segment, owner, value, secondary=None):
        c = CustomerFactory(
            name=name, segment=segment, primary_owner=owner, secondary_owner=secondary
        )
        ContractFactory(
            customer=c,
            start_date=TODAY - dt.timedelta(days=100),
            end_date=TODAY + dt.timedelta(days=265),
            annual_value=Decimal(value),
        )
        return c

    c1 = customer("C1", "core", leo, 100_000)
    c2 = customer("C2", "general", leo, 10_000)
    c3 = customer("C3", "important", ben, 50_000, secondary=leo)
    customer("X1", "core", ada, 1_000)

    def talk(c, who, times, contact=None):
        for i in range(times):
            InteractionFactory(
                customer=c,
                employee=who,
                contact=contact,
                happened_at=timezone.now() - dt.timedelta(days=5 + i),
            )

    talk(c1, leo, 8)
    talk(c1, ada, 2)
    talk(c2, leo, 1)
    p1, p2 = ContactFactory(customer=c3), ContactFactory(customer=c3)
    talk(c3, leo, 1, contact=p1)
    talk(c3, ben, 3, contact=p2)
    # Old contact, outside the 180 days: does not count.
    InteractionFactory(
        customer=c2, employee=ada, happened_at=timezone.now() - dt.timedelta(days=200)
    )

    model = RiskModel.objects.create(
        version=1,
        kind=RiskModel.Kind.RULES,
        as_of=TODAY,
        horizon_days=90,
        window_start=TODAY,
        window_end=TODAY,
    )
    ScoringRun.objects.create(day=TODAY, model=model, status=ScoringRun.Status.COMPLETE)
    for c, risk, value in ((c1, 0.40, 100_000), (c3, 0.20, 50_000)):
        RiskScore.objects.create(
            customer=c,
            day=TODAY,
            model=model,
            probability=risk,
            tier=1,
            annual_value=value,
            revenue_at_risk=risk * value,
        )
    return Team(mona=mona, leo=leo, ada=ada, ben=ben, dan=dan, c1=c1, c2=c2, c3=c3)


def leos_plan(capture_on_commit) -> tuple[Team, object]:
    """`build_team` with Leo's departure recorded (its on-commit work run) and Mona, the
    manager, able to sign in as "mona"; the outbox emptied of the departure's mail.
    `capture_on_commit`: pytest-django's django_capture_on_commit_callbacks."""
    from django.core import mail

    from handover import services

    team = build_team()
    with capture_on_commit(execute=True):
        plan = services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=None
        )
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    mail.outbox.clear()
    return team, plan
