"""Starting a departure, the steps it raises, the last-day job, escalation, cancelling."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from customers.models import Customer, OwnershipPeriod
from handover import nightly, services
from handover.models import HandoverPlan, HandoverStep, HandoverTask
from staff.models import Employee
from tests.handover.world import LAST_DAY, TODAY, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return build_team()


def start(team, capture, **overrides):
    options = dict(
        employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=team.mona
    )
    options.update(overrides)
    with capture(execute=True):
        return services.start_departure(**options)


def test_starting_a_departure_marks_the_employee_and_raises_a_task_per_customer(
    team, django_capture_on_commit_callbacks, mailoutbox
):
    plan = start(team, django_capture_on_commit_callbacks)
    team.leo.refresh_from_db()
    assert (team.leo.status, team.leo.departure_date, team.leo.departure_announced_on) == (
        "departing",
        LAST_DAY,
        TODAY,
    )
    assert plan.tasks.count() == 3
    c1 = plan.tasks.get(customer=team.c1)
    steps = {(s.kind, s.days_after_last_day): s for s in c1.steps.all()}
    assert steps[("knowledge_transfer", 0)].due_on == LAST_DAY - dt.timedelta(days=5)
    assert steps[("knowledge_transfer", 0)].assignee == team.leo
    assert steps[("joint_introduction", 0)].due_on == LAST_DAY
    assert steps[("ownership_change", 0)].assignee == team.mona
    assert [steps[("follow_up", d)].due_on for d in (14, 30, 90)] == [
        LAST_DAY + dt.timedelta(days=d) for d in (14, 30, 90)
    ]
    assert mailoutbox[0].to == [team.mona.email]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"status": "departed", "departure_date": TODAY}, "employee", "has already left"),
        ({}, "last_day", "more than 7 days in the past"),
    ],
)
def test_bad_departures_are_refused_with_a_clear_message(
    team, django_capture_on_commit_callbacks, change, field, message
):
    Employee.objects.filter(pk=team.leo.pk).update(**change)
    team.leo.refresh_from_db()
    last_day = LAST_DAY if change else TODAY - dt.timedelta(days=8)
    with pytest.raises(ValidationError) as error:
        start(team, django_capture_on_commit_callbacks, last_day=last_day)
    assert message in " ".join(error.value.message_dict[field])
    assert not HandoverPlan.objects.exists()


def test_a_second_departure_for_the_same_person_is_refused(
    team, django_capture_on_commit_callbacks
):
    start(team, django_capture_on_commit_callbacks)
    team.leo.refresh_from_db()
    with pytest.raises(ValidationError, match="already has a handover in progress"):
        start(team, django_capture_on_commit_callbacks)


def test_raising_again_adds_only_new_customers(team, django_capture_on_commit_callbacks):
    plan = start(team, django_capture_on_commit_callbacks)
    steps = HandoverStep.objects.count()
    assert services.raise_tasks(plan=plan) == 0
    assert (plan.tasks.count(), HandoverStep.objects.count()) == (3, steps)


def test_on_the_last_day_everyone_is_handed_over_and_the_leaver_locked_out(
    team, django_capture_on_commit_callbacks
):
    plan = start(team, django_capture_on_commit_callbacks)
    c1_task = plan.tasks.get(customer=team.c1)
    c3_task = plan.tasks.get(customer=team.c3)
    services.accept_successors(
        plan=plan, by=team.mona, choices={c1_task.pk: team.ada.pk, c3_task.pk: team.ben.pk}
    )
    # C2 keeps only a recommendation: accept_successors took it too, so undo for the test.
    HandoverTask.objects.filter(customer=team.c2).update(successor=None, accepted_at=None)

    result = nightly.process_handovers(as_of=LAST_DAY + dt.timedelta(days=1))

    assert (result.handed_over, result.to_manager, result.locked_out) == (3, 1, 1)
    owners = dict(Customer.objects.values_list("name", "primary_owner__name"))
    assert owners["C1"] == "Ada" and owners["C2"] == "Mona" and owners["C3"] == "Ben"
    # Ben already owns C3 as primary, so Leo's secondary role is simply closed.
    assert Customer.objects.get(pk=team.c3.pk).secondary_owner is None
    assert not Customer.objects.filter(primary_owner=team.leo).exists()
    assert not Customer.objects.filter(secondary_owner=team.leo).exists()
    leo_periods = OwnershipPeriod.objects.filter(employee=team.leo)
    assert set(leo_periods.values_list("ended_on", flat=True)) == {LAST_DAY}
    assert (
        OwnershipPeriod.objects.get(customer=team.c2, ended_on__isnull=True).employee == team.mona
    )
    team.leo.refresh_from_db()
    assert team.leo.status == "departed" and not team.leo.user.is_active
    assert (
        "marked departed and their login disabled"
        in plan.__class__.objects.get().log[-1]["message"]
    )

    periods = OwnershipPeriod.objects.count()
    again = nightly.process_handovers(as_of=LAST_DAY + dt.timedelta(days=1))
    assert (again.handed_over, OwnershipPeriod.objects.count()) == (0, periods)


def test_overdue_steps_escalate_to_the_manager_once(
    team, django_capture_on_commit_callbacks, mailoutbox
):
    start(team, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    # Knowledge-transfer notes were due 5 days before the last day.
    two_days_before = LAST_DAY - dt.timedelta(days=2)
    assert nightly.process_handovers(as_of=two_days_before).escalated == 3
    assert set(
        HandoverStep.objects.filter(escalated_on=two_days_before).values_list("kind", flat=True)
    ) == {"knowledge_transfer"}
    assert mailoutbox[0].to == [team.mona.email] and "3 overdue" in mailoutbox[0].subject
    assert nightly.process_handovers(as_of=two_days_before).escalated == 0


def test_the_start_notice_the_mail_server_refused_goes_out_when_the_tasks_are_raised_again(
    team, django_capture_on_commit_callbacks, mailoutbox, settings
):
    """The tasks are committed before the manager is told; a refused (or killed) notice
    is sent on the next raise (the re-run, or the night's), for every customer no notice
    named, and only once."""
    settings.EMAIL_BACKEND = "tests.alerts.refusing_mail.EmailBackend"
    team.mona.email = "mona@refused.example"
    team.mona.save()
    start(team, django_capture_on_commit_callbacks)  # its job step fails on the refusal
    plan = HandoverPlan.objects.get()
    assert plan.tasks.count() == 3 and mailoutbox == []

    team.mona.email = "mona@example.com"
    team.mona.save()
    assert services.raise_tasks(plan=plan) == 0  # no new task, but an untold manager
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["mona@example.com"], f"Handover: Leo leaves on {date_format(LAST_DAY)}")
    ]
    assert "3 customers of Leo need a successor" in mailoutbox[0].body
    assert services.raise_tasks(plan=plan) == 0
    assert len(mailoutbox) == 1


def test_an_escalation_the_mail_server_refuses_stays_due_and_goes_out_on_the_next_run(
    team, django_capture_on_commit_callbacks, mailoutbox, settings
):
    """A step is escalated once its manager's e-mail is handed over: a refused (or
    killed) send leaves it for the next run instead of marking it escalated unsent."""
    start(team, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    settings.EMAIL_BACKEND = "tests.alerts.refusing_mail.EmailBackend"
    team.mona.email = "mona@refused.example"
    team.mona.save()
    two_days_before = LAST_DAY - dt.timedelta(days=2)

    assert nightly.process_handovers(as_of=two_days_before).escalated == 0
    assert not HandoverStep.objects.filter(escalated_on__isnull=False).exists()
    assert mailoutbox == []

    team.mona.email = "mona@example.com"
    team.mona.save()
    assert nightly.process_handovers(as_of=two_days_before).escalated == 3
    assert [m.to for m in mailoutbox] == [["mona@example.com"]]
    assert "3 overdue" in mailoutbox[0].subject
    assert nightly.process_handovers(as_of=two_days_before).escalated == 0
    assert len(mailoutbox) == 1


def test_cancelling_closes_the_plan_but_keeps_ownership_changed_by_hand(
    team, django_capture_on_commit_callbacks
):
    plan = start(team, django_capture_on_commit_callbacks)
    c2 = Customer.objects.get(pk=team.c2.pk)
    c2.primary_owner = team.ada
    c2.save()

    services.cancel_departure(plan=plan, by=team.mona)

    plan.refresh_from_db()
    team.leo.refresh_from_db()
    assert plan.status == "cancelled" and team.leo.status == "active"
    assert set(plan.tasks.values_list("status", flat=True)) == {"cancelled"}
    assert not HandoverStep.objects.filter(cancelled=False, done_at__isnull=True).exists()
    assert Customer.objects.get(pk=team.c2.pk).primary_owner == team.ada
    assert Customer.objects.get(pk=team.c1.pk).primary_owner == team.leo


def test_cancelling_keeps_the_follow_ups_of_a_customer_already_handed_over(
    team, django_capture_on_commit_callbacks
):
    """C1 went to its successor early; then the departure is cancelled. C1 changed hands
    all the same: its introduction and follow-ups stay to do (and escalate when overdue);
    the other customers' steps are cancelled."""
    plan = start(team, django_capture_on_commit_callbacks)
    services.accept_successors(plan=plan, by=team.mona)
    c1_task = plan.tasks.get(customer=team.c1)
    services.change_ownership(task=c1_task, by=team.mona)
    successor = Customer.objects.get(pk=team.c1.pk).primary_owner
    assert successor != team.leo

    services.cancel_departure(plan=plan, by=team.mona)

    open_c1 = HandoverStep.objects.filter(task=c1_task, done_at__isnull=True, cancelled=False)
    assert set(open_c1.values_list("kind", flat=True)) >= {"follow_up"}
    others = HandoverStep.objects.filter(task__plan=plan).exclude(task=c1_task)
    assert not others.filter(done_at__isnull=True, cancelled=False).exists()
    follow_up = open_c1.filter(kind="follow_up").order_by("due_on").first()
    assert follow_up.assignee == successor
    late = follow_up.due_on + dt.timedelta(days=1)
    assert nightly.process_handovers(as_of=late).escalated >= 1
    follow_up.refresh_from_db()
    assert follow_up.escalated_on == late
    done = services.complete_step(step=follow_up, by=successor, note="Called", satisfaction=8)
    assert done.done_at is not None
    assert Customer.objects.get(pk=team.c1.pk).primary_owner == successor
    for step in open_c1.all():  # the rest of C1's steps: then its task is done
        services.complete_step(step=step, by=step.assignee, note="Done", satisfaction=8)
    c1_task.refresh_from_db()
    assert c1_task.status == "done"


def test_cancelling_twice_says_the_plan_is_cancelled_in_the_readers_language(
    team, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    plan = start(team, django_capture_on_commit_callbacks)
    services.cancel_departure(plan=plan, by=team.mona)
    plan.refresh_from_db()
    for language, message in (
        ("en", "This handover is already cancelled (the employee stays)."),
        ("zh-hans", "此交接已是“已取消（员工留任）”状态。"),
    ):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            services.cancel_departure(plan=plan, by=team.mona)
        assert refused.value.message_dict["plan"] == [message]


def test_a_plan_completes_when_every_step_is_done(team, django_capture_on_commit_callbacks):
    plan = start(team, django_capture_on_commit_callbacks)
    services.accept_successors(plan=plan, by=team.mona)
    nightly.process_handovers(as_of=LAST_DAY + dt.timedelta(days=1))
    assert set(plan.tasks.values_list("status", flat=True)) == {"open"}
    for step in HandoverStep.objects.filter(done_at__isnull=True):
        services.complete_step(step=step, by=team.ada, note="Done", satisfaction=8)
    # A task whose steps are all done reads as done at once.
    assert set(plan.tasks.values_list("status", flat=True)) == {"done"}
    nightly.process_handovers(as_of=LAST_DAY + dt.timedelta(days=91))
    plan.refresh_from_db()
    assert plan.status == "complete"


def test_nightly_job_reranks_open_tasks_by_the_latest_scores(
    team, django_capture_on_commit_callbacks
):
    from customers.models import RiskScore

    plan = start(team, django_capture_on_commit_callbacks)
    RiskScore.objects.filter(customer=team.c1).update(probability=0.10)
    nightly.process_handovers(as_of=TODAY)
    task = plan.tasks.get(customer=team.c1)
    # 100,000 x 0.10 x 0.8 dependence
    assert (task.risk, task.priority) == (0.10, pytest.approx(8_000))


def test_nightly_job_raises_tasks_a_lost_message_never_raised(team):
    # A plan whose job never ran (recorded before durable jobs, or its step failed).
    plan = HandoverPlan.objects.create(
        employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True
    )
    assert plan.tasks.count() == 0
    nightly.process_handovers(as_of=TODAY)
    assert plan.tasks.count() == 3


def test_a_follow_up_is_done_only_once_the_customer_has_changed_hands(
    team, django_capture_on_commit_callbacks
):
    """A +90 days follow-up ticked off on day one by a successor only recommended (the
    customer not theirs yet) is no follow-up: refused, naming the customer."""
    plan = start(team, django_capture_on_commit_callbacks)
    follow_up = (
        HandoverStep.objects.filter(task__plan=plan, kind="follow_up")
        .select_related("task__customer")
        .order_by("-days_after_last_day")
        .first()
    )
    assert follow_up.days_after_last_day == 90
    with pytest.raises(ValidationError) as refused:
        services.complete_step(step=follow_up, by=team.ada, note="Early", satisfaction=8)
    assert refused.value.messages == [
        "A follow-up comes after the handover: it can be marked done once the ownership of "
        f"{follow_up.task.customer.name} has changed."
    ]
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    services.accept_successors(plan=plan, by=team.mona)
    nightly.process_handovers(
        as_of=LAST_DAY + dt.timedelta(days=1)
    )  # the last day: ownership changes
    follow_up.refresh_from_db()
    services.complete_step(step=follow_up, by=team.ada, note="Called", satisfaction=8)
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
