"""Key-person exposure and what happened to customers after their owner left."""

import datetime as dt

import pytest

from customers.models import OwnerRole, OwnershipPeriod
from handover.selectors import departure_outcomes, exposure_report, outcome_summary
from staff.models import Employee
from tests.factories import CustomerFactory, EmployeeFactory
from tests.handover.world import TODAY, build_team

pytestmark = pytest.mark.django_db


def test_exposure_per_person_sorted_by_value_owned():
    build_team()
    rows = exposure_report(as_of=TODAY)
    assert [r.name for r in rows] == ["Leo", "Ben", "Ada"]
    leo = rows[0]
    # Primary C1 (100,000) and C2 (10,000), secondary C3 (50,000) of 161,000 in force.
    assert (leo.primary_customers, leo.secondary_customers) == (2, 1)
    assert leo.annual_value == 160_000
    assert leo.value_share == pytest.approx(160 / 161)
    # Current scores: C1 0.40 x 100,000 and C3 0.20 x 50,000 (C2 is unscored).
    assert leo.value_at_risk == 50_000
    assert leo.one_contact == 2  # scored C1 and C3 list no active contacts
    assert (rows[1].annual_value, rows[1].value_at_risk) == (50_000, 10_000)


LAST_DAY = dt.date(2026, 1, 31)


def test_churn_after_a_departure_against_the_baseline_on_a_hand_made_history():
    successor = EmployeeFactory(name="Sam")
    leaver = EmployeeFactory(
        name="Eve",
        status=Employee.Status.DEPARTED,
        departure_date=LAST_DAY,
        departure_announced_on=dt.date(2026, 1, 1),
        departure_voluntary=True,
        is_key_employee=True,
    )

    def customer(name, churned_on=None, since=dt.date(2021, 1, 1)):
        fields = {"name": name, "primary_owner": successor, "customer_since": since}
        if churned_on:
            fields.update(status="churned", churned_on=churned_on, churn_reason="price")
        return CustomerFactory(**fields)

    handed = [
        customer("K1", dt.date(2026, 2, 15)),  # within 90 days
        customer("K2", dt.date(2026, 6, 15)),  # within 180 days (to 2026-07-30)
        customer("K3"),
        customer("K4"),
    ]
    for c in handed:
        OwnershipPeriod.objects.create(
            customer=c,
            employee=leaver,
            role=OwnerRole.PRIMARY,
            started_on=dt.date(2021, 1, 1),
            ended_on=LAST_DAY,
        )
    customer("O1", dt.date(2026, 3, 1))  # the rest of the company: 1 of 6 churns in 90 days
    for i in range(5):
        customer(f"O{i + 2}")
    customer("Before", dt.date(2026, 1, 10))  # gone before the last day: in no denominator
    customer("After", since=dt.date(2026, 3, 1))  # joined later: in no denominator

    [outcome] = departure_outcomes(as_of=TODAY)

    assert outcome.handed_over == 4
    assert outcome.rate(90) == 1 / 4 and outcome.rate(180) == 2 / 4
    # Baseline: the 10 customers active on 2026-01-31; K1 and O1 churn in 90 days, K2 too in 180.
    assert outcome.baseline(90) == 2 / 10 and outcome.baseline(180) == 3 / 10
    summary = {row["group"]: row for row in outcome_summary([outcome], 90)}
    assert summary["Voluntary"]["rate"] == 0.25 and summary["Involuntary"]["departures"] == 0
    assert summary["Key employees"]["baseline"] == 0.2


def test_a_window_not_yet_over_is_marked_so():
    leaver = EmployeeFactory(
        status=Employee.Status.DEPARTED, departure_date=TODAY - dt.timedelta(days=30)
    )
    c = CustomerFactory()
    OwnershipPeriod.objects.create(
        customer=c,
        employee=leaver,
        role=OwnerRole.PRIMARY,
        started_on=dt.date(2021, 1, 1),
        ended_on=TODAY - dt.timedelta(days=30),
    )
    [outcome] = departure_outcomes(as_of=TODAY)
    assert outcome.windows[90][4] is False and outcome.handed_over == 1


@pytest.mark.postgres
def test_exposure_summed_in_one_pass_per_table_equals_the_sums_per_role():
    # Leo owns C1 and C2 and is secondary on C3; a customer with no owner at all counts
    # in the company's value in force and for nobody.
    import pandas as pd
    from django.db.models import Q

    from customers.models import Contract, Customer, RiskScore
    from handover import selectors

    build_team()
    orphan = CustomerFactory(name="Nobody's", primary_owner=None)
    orphan.contracts.create(
        start_date=TODAY.replace(year=TODAY.year - 1),
        end_date=TODAY.replace(year=TODAY.year + 1),
        annual_value=7_000,
    )
    active = Customer.objects.filter(status=Customer.Status.ACTIVE)
    in_force = Contract.objects.filter(
        Q(customer__status="active"), start_date__lte=TODAY, end_date__gte=TODAY
    )
    scores = RiskScore.objects.current().filter(customer__status="active")
    grouped, total = selectors._owner_sums_grouped(active, in_force, scores)
    by_role, total_by_role = selectors._owner_sums_by_role(active, in_force, scores)
    assert total == total_by_role == 168_000  # 161,000 owned plus the orphan's 7,000
    columns = sorted(by_role.columns)
    pd.testing.assert_frame_equal(
        grouped[columns].astype(float).sort_index(),
        by_role[columns].astype(float).sort_index(),
        check_names=False,
        check_index_type=False,
    )
    assert grouped.loc[Employee.objects.get(name="Leo").pk, "secondary_value"] == 50_000
