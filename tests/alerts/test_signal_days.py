"""Every alert rule on hand-made data: it fires on the day its condition becomes true and
not the day before.

Each case builds one customer whose condition turns true on DAY (2026-06-30), scores
DAY - 1 and DAY, raises the alerts after each, and checks the rule's alert is absent the
first night and open the second with the figures worked out below. Offsets are days
before DAY; "last N days" are offsets 0..N-1 (see tests/customers/scoring_world.py)."""

import datetime as dt
from decimal import Decimal

import pytest

from alerts.models import Alert, SignalRule
from alerts.services import raise_alerts
from customers.models import Interaction, OwnerRole, OwnershipPeriod
from customers.scoring import runs
from staff.models import Employee
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 30)
EVE = DAY - dt.timedelta(days=1)
K = Interaction.Kind


def at(offset: int) -> dt.datetime:
    day = DAY - dt.timedelta(days=offset)
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


def customer(segment="general", owner=None, contract_end=dt.date(2027, 12, 31)):
    """An ordinary customer since 2025: one contract far from its end, a renewal talk
    logged (so no contract sign), and the factory's owner unless one is given."""
    made = CustomerFactory(
        segment=segment,
        customer_since=dt.date(2025, 1, 1),
        **({"primary_owner": owner} if owner else {}),
    )
    ContractFactory(
        customer=made,
        start_date=dt.date(2025, 1, 1),
        end_date=contract_end,
        annual_value=Decimal("10000"),
    )
    log(made, 100, K.RENEWAL_TALK)
    return made


def log(who, offset, kind=K.CALL, employee=None, satisfaction=None):
    return InteractionFactory(
        customer=who,
        kind=kind,
        employee=employee or who.primary_owner,
        satisfaction=satisfaction,
        happened_at=at(offset),
    )


# Each case: the rule, and a builder returning (customer, the alert's text on DAY).


def engagement_drop():
    # 6 calls at offsets 40..90 sit in "the 3 months before" on both days. The call at
    # offset 30 is in the last 30 days on EVE (1 against a monthly 6/3 = 2: ratio 0.5, not
    # below 0.5) and in the 3 months before on DAY (0 against 7/3: down 100%). The
    # renewal talk would count too: removed.
    c = customer()
    Interaction.objects.filter(customer=c).delete()
    for offset in (30, 40, 50, 60, 70, 80, 90):
        log(c, offset)
    return c, "Interactions down 100% vs the prior 3-month average"


def no_recent_contact_core():
    # Core customers may go 30 days without contact: the last one was 31 days before DAY
    # (30 on EVE). The renewal talk at offset 100 is older.
    c = customer(segment="core")
    log(c, 31)
    return c, "No contact for 31 days (segment norm 30)"


def no_recent_contact_general():
    c = customer(segment="general")
    Interaction.objects.filter(customer=c).delete()
    log(c, 91, K.RENEWAL_TALK)
    return c, "No contact for 91 days (segment norm 90)"


def contract_ending_90():
    # Ends 90 days after DAY (91 after EVE); no renewal talk in 180 days.
    c = customer(contract_end=DAY + dt.timedelta(days=90))
    Interaction.objects.filter(customer=c).delete()
    log(c, 5)
    return c, "Contract ends in 90 days, no renewal talk logged"


def contract_ending_180():
    c = customer(contract_end=DAY + dt.timedelta(days=180))
    Interaction.objects.filter(customer=c).delete()
    log(c, 5)
    return c, "Contract ends in 180 days, no renewal talk logged"


def complaint():
    c = customer()
    log(c, 0, K.COMPLAINT)
    return c, "Complaint today (1 complaint in 90 days)"


def support_escalation():
    # Three tickets in 30 days, the third on DAY (two on EVE).
    c = customer()
    for offset in (12, 3, 0):
        log(c, offset, K.SUPPORT_TICKET)
    return c, "3 support tickets in the last 30 days"


def discount_request():
    c = customer()
    log(c, 0, K.DISCOUNT_REQUEST)
    return c, "Asked for a discount today"


def low_satisfaction():
    # 6 twenty days ago (not low), 5 on DAY (a fall of 1: no drop sign).
    c = customer()
    log(c, 20, satisfaction=6)
    log(c, 0, satisfaction=5)
    return c, "Satisfaction 5/10 at the last rating"


def satisfaction_drop():
    c = customer()
    log(c, 20, satisfaction=9)
    log(c, 0, satisfaction=7)
    return c, "Satisfaction fell from 9 to 7"


def usage_drop():
    # As the engagement drop, in product-usage events.
    c = customer()
    for offset in (30, 40, 50, 60, 70, 80, 90):
        log(c, offset, K.USAGE)
    return c, "Product usage down 100% vs the prior 3-month average"


def usage_event_drop():
    # Reports run: 12 on each of offsets 100, 70, 40 and 28. On DAY the last 28 days
    # (offsets 0..27) hold none against 48 in the 84 days before (16 a month): down 100%.
    # The day before, offset 28 was inside its last 28 days: 12 against 12 a month.
    from customers.models import UsageDay

    c = customer()
    for offset in (100, 70, 40, 28):
        UsageDay.objects.create(
            customer=c, day=DAY - dt.timedelta(days=offset), event="reports_run", quantity=12
        )
    return c, "Reports run down 100% vs the prior 3 months"


def decision_maker_left():
    c = customer()
    ContactFactory(
        customer=c,
        is_decision_maker=True,
        status="left",
        left_on=DAY,
        known_since=dt.date(2025, 1, 1),
    )
    return c, "Decision-maker left on 2026-06-30"


def owner_departing():
    owner = EmployeeFactory(
        status=Employee.Status.DEPARTING,
        departure_announced_on=DAY,
        departure_date=DAY + dt.timedelta(days=30),
    )
    return customer(owner=owner), "Owner leaves on 2026-07-30"


def owner_departed():
    owner = EmployeeFactory(
        status=Employee.Status.DEPARTED,
        departure_announced_on=DAY - dt.timedelta(days=30),
        departure_date=DAY,
    )
    return customer(owner=owner), "Owner left on 2026-06-30"


def owner_changed():
    # The previous owner (still employed) handed over on DAY.
    before, after = EmployeeFactory(), EmployeeFactory()
    c = customer(owner=after)
    OwnershipPeriod.objects.filter(customer=c).delete()
    OwnershipPeriod.objects.create(
        customer=c,
        employee=before,
        role=OwnerRole.PRIMARY,
        started_on=dt.date(2025, 1, 1),
        ended_on=DAY,
    )
    OwnershipPeriod.objects.create(
        customer=c, employee=after, role=OwnerRole.PRIMARY, started_on=DAY
    )
    return c, "Account owner changed in the last 90 days"


def single_threaded():
    # A colleague's call 180 days before DAY is inside the last 180 days on EVE and just
    # outside on DAY, which leaves only the owner.
    c = customer()
    log(c, 180, employee=EmployeeFactory())
    return c, "Only one person has talked to them in 180 days"


CASES = [
    ("engagement_drop", engagement_drop),
    ("no_recent_contact", no_recent_contact_core),
    ("no_recent_contact", no_recent_contact_general),
    ("contract_ending_90", contract_ending_90),
    ("contract_ending_180", contract_ending_180),
    ("complaint", complaint),
    ("support_escalation", support_escalation),
    ("discount_request", discount_request),
    ("low_satisfaction", low_satisfaction),
    ("satisfaction_drop", satisfaction_drop),
    ("usage_drop", usage_drop),
    ("usage_event_drop", usage_event_drop),
    ("decision_maker_left", decision_maker_left),
    ("owner_departing", owner_departing),
    ("owner_departed", owner_departed),
    ("owner_changed", owner_changed),
    ("single_threaded", single_threaded),
]


def signals_of(who) -> dict[str, str]:
    return dict(
        Alert.objects.filter(customer=who, status__in=Alert.LIVE).values_list("signal", "text")
    )


def test_every_rule_has_a_case():
    assert {code for code, _ in CASES} | {"tier_jump"} == set(SignalRule.ensure_defaults())


@pytest.mark.parametrize(("code", "build"), CASES, ids=[build.__name__ for _, build in CASES])
def test_the_rule_fires_on_the_day_and_not_the_day_before(code, build):
    SignalRule.ensure_defaults()
    SignalRule.objects.filter(code=code).update(enabled=True)  # some are off by default
    who, text = build()
    runs.score_all(day=EVE)
    raise_alerts(day=EVE)
    assert code not in signals_of(who)
    runs.score_all(day=DAY)
    raise_alerts(day=DAY)
    assert signals_of(who).get(code) == text
    assert Alert.objects.get(customer=who, signal=code).opened_on == DAY


def test_the_90_day_contract_alert_takes_over_from_the_180_day_one():
    who, _ = contract_ending_90()
    runs.score_all(day=EVE)
    raise_alerts(day=EVE)
    assert signals_of(who).get("contract_ending_180") == (
        "Contract ends in 91 days, no renewal talk logged"
    )
    runs.score_all(day=DAY)
    raise_alerts(day=DAY)
    assert "contract_ending_180" not in signals_of(who)
    closed = Alert.objects.get(customer=who, signal="contract_ending_180")
    assert (closed.status, closed.closed_on) == ("cleared", DAY)
