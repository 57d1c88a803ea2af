"""One bad record never stops a step: in every set-based nightly step, a record the
database refuses (or whose figures cannot be computed) is set aside with its reason,
shown on the jobs page, the rest of the step completes and the following steps run."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import RiskScore, ScoringRun
from retention.jobs import steps
from retention.jobs.models import JobStep
from retention.nightly import start_night
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 30)
# The largest annual value a score can hold (numeric(14, 2)).
LARGEST_SCORE_VALUE = Decimal("999999999999.99")


def night(day=DAY):
    with steps.in_this_process():
        start_night(day)
        steps.run_here(day)
    return {s.name: s for s in JobStep.objects.filter(day=day).exclude(name="score_chunk")}


def running_contract(customer, value):
    return ContractFactory(
        customer=customer,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        annual_value=value,
        currency="EUR",
    )


def test_a_customer_whose_value_a_score_cannot_hold_is_set_aside_and_the_others_are_scored():
    normal = [CustomerFactory() for _ in range(5)]
    huge = CustomerFactory()
    # Two contracts of 600 billion: 1.2 trillion a year, more than a score's column holds.
    running_contract(huge, Decimal("600000000000.00"))
    running_contract(huge, Decimal("600000000000.00"))
    running_contract(normal[0], Decimal("1000.00"))

    done = night()

    [chunk] = JobStep.objects.filter(day=DAY, name="score_chunk")
    assert chunk.status == "done"
    assert (chunk.result["scored"], chunk.result["set_aside"]) == (5, 1)
    [aside] = chunk.set_aside.all()
    assert (aside.model, aside.object_id) == ("customer", huge.pk)
    assert "overflow" in aside.reason
    run = ScoringRun.objects.get(day=DAY)
    assert (run.status, run.customers_scored) == ("complete", 5)
    assert set(RiskScore.objects.filter(day=DAY).values_list("customer_id", flat=True)) == {
        c.pk for c in normal
    }
    assert done["raise_alerts"].status == "done"
    assert done["compute_dashboard_figures"].status == "done"


def test_a_leaver_nobody_can_take_over_from_is_set_aside_and_the_other_leaver_is_handed_over():
    from handover.models import HandoverPlan, HandoverTask
    from tests.factories import EmployeeFactory

    today = timezone.localdate()  # the customers' owners start today (factories)
    boss = EmployeeFactory(name="Boss", role="manager")
    kim = EmployeeFactory(name="Kim", manager=boss, status="departing", departure_date=today)
    # Zed has no line manager and his team has none: nobody to fall back on.
    zed = EmployeeFactory(name="Zed", status="departing", departure_date=today)
    kims = [CustomerFactory(primary_owner=kim) for _ in range(2)]
    zeds = CustomerFactory(primary_owner=zed)
    kim_plan = HandoverPlan.objects.create(
        employee=kim, last_day=today, reason="New job", voluntary=True
    )
    zed_plan = HandoverPlan.objects.create(
        employee=zed, last_day=today, reason="New job", voluntary=True
    )

    done = night(today)

    handovers = done["process_handovers"]
    assert handovers.status == "done", handovers.error
    assert (handovers.result["handed_over"], handovers.result["locked_out"]) == (2, 1)
    [aside] = handovers.set_aside.all()
    assert (aside.model, aside.object_id, aside.key) == ("handover plan", zed_plan.pk, "Zed")
    assert "Zed has no manager" in aside.reason
    for customer in kims:
        customer.refresh_from_db()
        assert customer.primary_owner_id == boss.pk
    zeds.refresh_from_db()
    kim.refresh_from_db()
    zed.refresh_from_db()
    assert (zeds.primary_owner_id, kim.status, zed.status) == (zed.pk, "departed", "departing")
    # Zed's task stays open for HR to give a successor; his plan is due again next night.
    assert HandoverTask.objects.filter(plan=zed_plan, status="open").count() == 1
    zed_plan.refresh_from_db()
    kim_plan.refresh_from_db()
    assert (kim_plan.last_day_processed_at is not None, zed_plan.last_day_processed_at) == (
        True,
        None,
    )
    assert done["finish_scoring"].status == "done"
