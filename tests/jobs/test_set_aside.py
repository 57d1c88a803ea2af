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
    assert (aside.model, aside.object_id, aside.key) == ("customer", huge.pk, huge.external_id)
    assert aside.reason == "annual_value is too large: it must stay below 1,000,000,000,000."
    assert aside.detail.startswith("DataError: numeric field overflow")
    run = ScoringRun.objects.get(day=DAY)
    assert (run.status, run.customers_scored) == ("complete", 5)
    assert set(RiskScore.objects.filter(day=DAY).values_list("customer_id", flat=True)) == {
        c.pk for c in normal
    }
    assert done["raise_alerts"].status == "done"
    assert done["compute_dashboard_figures"].status == "done"


def test_a_customer_scored_before_and_set_aside_now_keeps_its_score_and_its_alerts():
    """A customer scored one night, whose value no score can hold the next (a contract of
    a trillion added): set aside, naming it, while its last score holds on and its live
    alerts stand; neither is closed as if its signs had cleared."""
    from alerts.models import Alert

    others = [CustomerFactory() for _ in range(3)]
    kept = CustomerFactory()
    running_contract(kept, Decimal("5000.00"))
    night(DAY)
    before = RiskScore.objects.get(customer=kept, valid_until__isnull=True)
    live = set(
        Alert.objects.filter(customer=kept, status__in=Alert.LIVE).values_list("id", flat=True)
    )
    assert live, "the fixture's customer has a live alert to keep"
    running_contract(kept, LARGEST_SCORE_VALUE)  # 999,999,999,999.99 + 5,000

    next_day = DAY + dt.timedelta(days=1)
    done = night(next_day)

    [chunk] = JobStep.objects.filter(day=next_day, name="score_chunk")
    [aside] = chunk.set_aside.all()
    assert (aside.object_id, aside.key) == (kept.pk, kept.external_id)
    # Its last score still holds on the new day, unchanged; the others' are the day's.
    assert RiskScore.objects.on_day(next_day).get(customer=kept) == before
    before.refresh_from_db()
    assert before.valid_until is None
    assert RiskScore.objects.on_day(next_day).filter(customer__in=others).count() == 3
    assert done["raise_alerts"].status == "done"
    assert (
        set(Alert.objects.filter(customer=kept, status__in=Alert.LIVE).values_list("id", flat=True))
        == live
    )
    assert not Alert.objects.filter(customer=kept, status="cleared").exists()


def test_a_leaver_nobody_can_take_over_from_is_set_aside_and_the_other_leaver_is_handed_over(
    client,
):
    from handover.models import HandoverPlan, HandoverTask
    from tests.factories import EmployeeFactory

    today = timezone.localdate()  # the customers' owners start today (factories)
    last_day = today - dt.timedelta(days=1)  # tonight hands over yesterday's leavers
    boss = EmployeeFactory(name="Boss", role="manager")
    kim = EmployeeFactory(name="Kim", manager=boss, status="departing", departure_date=last_day)
    # Zed has no line manager and his team has none: nobody to fall back on.
    zed = EmployeeFactory(name="Zed", status="departing", departure_date=last_day)
    kims = [CustomerFactory(primary_owner=kim) for _ in range(2)]
    zeds = CustomerFactory(primary_owner=zed)
    kim_plan = HandoverPlan.objects.create(
        employee=kim, last_day=last_day, reason="New job", voluntary=True
    )
    zed_plan = HandoverPlan.objects.create(
        employee=zed, last_day=last_day, reason="New job", voluntary=True
    )

    done = night(today)

    handovers = done["process_handovers"]
    assert handovers.status == "done", handovers.error
    # Both leavers' last day has passed: both are locked out, Zed's customer stays his.
    assert (handovers.result["handed_over"], handovers.result["locked_out"]) == (2, 2)
    [aside] = handovers.set_aside.all()
    assert (aside.model, aside.object_id, aside.key) == ("handover plan", zed_plan.pk, "Zed")
    assert "Zed has no manager" in aside.reason
    for customer in kims:
        customer.refresh_from_db()
        assert customer.primary_owner_id == boss.pk
    zeds.refresh_from_db()
    kim.refresh_from_db()
    zed.refresh_from_db()
    assert (zeds.primary_owner_id, kim.status, zed.status) == (zed.pk, "departed", "departed")
    # Zed's task stays open for HR to give a successor; his plan is due again next night.
    assert HandoverTask.objects.filter(plan=zed_plan, status="open").count() == 1
    zed_plan.refresh_from_db()
    kim_plan.refresh_from_db()
    assert (kim_plan.last_day_processed_at is not None, zed_plan.last_day_processed_at) == (
        True,
        None,
    )
    assert done["finish_scoring"].status == "done"
    # Admins see it the next morning on the jobs page.
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    page = client.get(f"/jobs/?day={today}").content.decode()
    assert "1 record set aside" in page and "Zed has no manager to take" in page


def test_a_digest_the_mail_refuses_is_set_aside_and_the_other_digests_go_out(mailoutbox):
    from alerts.models import Alert, DigestSent
    from staff.models import Employee
    from tests.customers.scoring_world import AS_OF, build_world

    world = build_world()
    # An address with a line break, as an HR sync wrote it: no mail can be sent to it.
    Employee.objects.filter(pk=world.e1.pk).update(email="e1@example.com\n")

    done = night(AS_OF)

    alerts = done["raise_alerts"]
    assert alerts.status == "done", alerts.error
    [aside] = alerts.set_aside.all()
    assert (aside.model, aside.object_id, aside.key) == ("alert digest", world.e1.pk, "E1")
    assert aside.reason == "An e-mail address or subject holds a line break; mend it."
    assert "newlines" in aside.detail
    # Everyone else with open alerts got theirs; E1 is not counted as sent (tried again
    # on the next run once the address is mended).
    people = set(Alert.objects.filter(status="open").values_list("owner_id", flat=True)) | set(
        Alert.objects.filter(status="open", manager_id__isnull=False).values_list(
            "manager_id", flat=True
        )
    )
    others = people - {world.e1.pk}
    assert others  # the world has someone else with alerts
    assert set(DigestSent.objects.filter(day=AS_OF).values_list("employee_id", flat=True)) == others
    assert alerts.result["digests"] == len(others) == len(mailoutbox)
    assert done["compute_dashboard_figures"].status == "done"


def test_an_access_warning_whose_notice_cannot_be_sent_is_set_aside_and_the_others_are_sent(
    mailoutbox,
):
    from staff.models import AccessWarning, AuditEvent, Employee
    from tests.factories import EmployeeFactory, TeamFactory

    watched = DAY - dt.timedelta(days=1)  # the night of DAY watches the day before
    good_boss = EmployeeFactory(name="Good boss", email="good@example.com")
    bad_boss = EmployeeFactory(name="Bad boss", email="bad@example.com")
    Employee.objects.filter(pk=bad_boss.pk).update(email="bad@example.com\nBcc: x@example.com")
    ann = EmployeeFactory(name="Ann", team=TeamFactory(manager=good_boss))
    bob = EmployeeFactory(name="Bob", team=TeamFactory(manager=bad_boss))
    at = timezone.make_aware(dt.datetime.combine(watched, dt.time(11)))
    AuditEvent.objects.bulk_create(
        AuditEvent(at=at, employee=person, actor=person.name, action="view",
                   object_type="customer", object_id=str(i), customer_id=i)
        for person in (ann, bob) for i in range(51)  # one over the daily limit of 50
    )  # fmt: skip

    done = night()

    watch = done["watch_customer_access"]
    assert (watch.status, watch.result) == ("done", {"value": 1})
    [aside] = watch.set_aside.all()
    assert (aside.model, aside.object_id, aside.key) == (
        "access warning",
        bob.pk,
        "Bob: unusual_volume",
    )
    [warning] = AccessWarning.objects.all()
    assert (warning.employee_id, warning.notified) == (ann.pk, ["good@example.com"])
    assert [m.to for m in mailoutbox] == [["good@example.com"]]
    assert done["score_customers"].status == "done"


def test_figures_of_a_team_deleted_while_they_were_computed_are_set_aside_the_rest_written(
    monkeypatch,
):
    from customers.figures import nightly as figures
    from customers.figures.models import ExposureFigure, TierFigure
    from staff.models import Employee, Team
    from tests.factories import EmployeeFactory, TeamFactory

    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    ann = EmployeeFactory(name="Ann", team=north)
    sam = EmployeeFactory(name="Sam", team=south)
    for owner in (ann, sam):
        running_contract(CustomerFactory(primary_owner=owner), Decimal("1000.00"))
    real = figures.exposure_figures

    def read_then_team_deleted(day):
        rows = real(day)
        # Meanwhile an admin moves Sam to North and deletes South.
        Employee.objects.filter(pk=sam.pk).update(team=north)
        Team.objects.filter(pk=south.pk).delete()
        return rows

    monkeypatch.setattr(figures, "exposure_figures", read_then_team_deleted)

    done = night()

    step = done["compute_dashboard_figures"]
    assert step.status == "done", step.error
    refused = list(step.set_aside.all())
    # The database names South in each refusal: a figure row refused for a team that is
    # gone, or (the deletion runs in this test's transaction, its check still pending) the
    # deletion refused for a row that names South.
    assert refused and all(
        f"Key (team_id)=({south.pk}) is not present" in r.detail
        or f"Key (id)=({south.pk}) is still referenced" in r.detail
        for r in refused
    )
    # What people read names the field and the team, without the database's words.
    assert {r.reason for r in refused} <= {
        f"team names a record that does not exist ({south.pk}).",
        "Other records still refer to this one (tier figure); it stays.",
        "Other records still refer to this one (exposure figure); it stays.",
        "Other records still refer to this one (churn figure); it stays.",
    }
    [tier_row] = [r.key for r in refused if r.model == "tier figure"]
    assert tier_row.startswith(f"{DAY} team #{south.pk} tier ") and tier_row.endswith(": 1")
    # North's figures are written: its tier row, and Ann's exposure row.
    assert list(TierFigure.objects.values_list("team_id", "customers")) == [(north.pk, 1)]
    assert list(ExposureFigure.objects.values_list("employee_id", flat=True)) == [ann.pk]
    assert step.result["set_aside"] == len(refused)


def test_a_customer_with_an_infinite_feature_is_set_aside_naming_it(monkeypatch):
    from customers.scoring import runs

    customers = [CustomerFactory() for _ in range(3)]
    real = runs.compute_features

    def with_a_ratio_over_nothing(day, selection):
        features = real(day, selection)
        # What a ratio over a zero denominator gives: one customer's feature is infinite.
        features.loc[customers[1].pk, "engagement_ratio"] = float("inf")
        return features

    monkeypatch.setattr(runs, "compute_features", with_a_ratio_over_nothing)

    night()

    [chunk] = JobStep.objects.filter(day=DAY, name="score_chunk")
    assert (chunk.status, chunk.result["scored"], chunk.result["set_aside"]) == ("done", 2, 1)
    [aside] = chunk.set_aside.all()
    assert (aside.object_id, aside.reason) == (
        customers[1].pk,
        "Not scored: engagement_ratio is not a finite number.",
    )
    assert set(RiskScore.objects.filter(day=DAY).values_list("customer_id", flat=True)) == {
        customers[0].pk,
        customers[2].pk,
    }
    assert ScoringRun.objects.get(day=DAY).status == "complete"
