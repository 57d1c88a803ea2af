"""The last-day job under real use: a customer given to the leaver after their last day,
a customer nobody can take, cancelling too late, and the plan page telling the truth."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, OwnershipPeriod
from handover import nightly, services
from handover.models import HandoverPlan, HandoverTask
from staff.models import Employee, Team
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory
from tests.handover.world import build_team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def team():
    return build_team()


def leave_yesterday(team, capture):
    with capture(execute=True):
        return services.start_departure(
            employee=team.leo, last_day=YESTERDAY, reason="New job", voluntary=True, by=team.mona
        )


def login(client, role: str, name: str) -> Employee:
    employee = EmployeeFactory(name=name, role=role, user=UserFactory(username=name.lower()))
    client.force_login(employee.user)
    return employee


def test_a_customer_given_after_the_last_day_is_handed_over_with_an_honest_history(
    team, django_capture_on_commit_callbacks
):
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    OwnershipPeriod.objects.filter(customer=team.c1).update(started_on=dt.date(2024, 1, 1))
    # Given to Leo today, before the door refused it (the state the demo reached): his
    # period for C4 starts today, after his last day.
    c4 = CustomerFactory(name="C4", primary_owner=team.leo)
    assert OwnershipPeriod.objects.get(customer=c4).started_on == TODAY

    result = nightly.process_handovers(as_of=TODAY)

    # C1, C2, C4 (primary) and C3 (secondary) all go to Mona: no successor was accepted.
    assert (result.handed_over, result.to_manager, result.locked_out) == (4, 4, 1)
    assert not Customer.objects.filter(primary_owner=team.leo).exists()
    assert not Customer.objects.filter(secondary_owner=team.leo).exists()
    leo_c4, mona_c4 = OwnershipPeriod.objects.filter(customer=c4).order_by("id")
    assert (leo_c4.started_on, leo_c4.ended_on) == (TODAY, TODAY)
    assert (mona_c4.employee, mona_c4.started_on, mona_c4.ended_on) == (team.mona, TODAY, None)
    leo_c1, mona_c1 = OwnershipPeriod.objects.filter(customer=team.c1).order_by("id")
    assert (leo_c1.employee, leo_c1.ended_on) == (team.leo, YESTERDAY)
    assert (mona_c1.employee, mona_c1.started_on) == (team.mona, YESTERDAY)
    team.leo.refresh_from_db()
    plan.refresh_from_db()
    assert team.leo.status == "departed" and plan.last_day_processed_at is not None
    assert plan.tasks.filter(ownership_changed_on__isnull=True).count() == 0


def test_a_handover_done_by_hand_after_the_last_day_is_dated_on_it_as_the_night_dates_it(
    client, team, django_capture_on_commit_callbacks
):
    """The leaver's access ended with their last day: a manager who marks the ownership
    change done today (before the night did) ends the leaver's period on the last day,
    the successor's starting there, as the last-day job writes it for the others."""
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    OwnershipPeriod.objects.update(started_on=dt.date(2024, 1, 1))
    services.accept_successors(plan=plan, by=team.mona)
    task = plan.tasks.get(customer=team.c1, role="primary")
    step = task.steps.get(kind="ownership_change")
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    client.force_login(team.mona.user)

    steps_page = client.get(reverse("handover:my_steps")).content.decode()
    assert "the owner from the last day" in steps_page  # not "the owner now"

    response = client.post(reverse("handover:complete_step", args=[step.pk]))

    assert response.status_code == 302
    leo_c1, successor_c1 = OwnershipPeriod.objects.filter(
        customer=team.c1, role="primary"
    ).order_by("id")
    assert (leo_c1.employee, leo_c1.ended_on) == (team.leo, YESTERDAY)
    assert (successor_c1.employee_id, successor_c1.started_on) == (task.successor_id, YESTERDAY)
    task.refresh_from_db()
    assert task.ownership_changed_on == YESTERDAY
    # The night then hands the rest over on the same day, and leaves C1 as it is.
    nightly.process_handovers(as_of=TODAY)
    ended = set(
        OwnershipPeriod.objects.filter(employee=team.leo).values_list("ended_on", flat=True)
    )
    assert ended == {YESTERDAY}
    assert OwnershipPeriod.objects.filter(customer=team.c1, role="primary").count() == 2


def test_a_departure_recorded_after_its_last_day_asks_for_no_introduction_or_transfer(
    team, django_capture_on_commit_callbacks
):
    """The leaver's access ended yesterday: no joint introduction or knowledge transfer
    can happen, so none is to do (they were due yesterday, red from the start, and the
    first night escalated every one to the manager). The ownership change and the
    follow-ups remain."""
    from handover.models import HandoverStep

    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    steps = HandoverStep.objects.filter(task__plan=plan)
    late = steps.filter(kind__in=["joint_introduction", "knowledge_transfer"])
    assert late.count() == 2 * plan.tasks.count() > 0
    assert not late.filter(cancelled=False).exists()
    assert set(late.values_list("note", flat=True)) == {
        "Not to do: the last day had passed when the departure was recorded."
    }
    assert not steps.filter(kind__in=["ownership_change", "follow_up"], cancelled=True).exists()
    result = nightly.process_handovers(as_of=TODAY)
    assert result.escalated == 0
    assert not late.filter(escalated_on__isnull=False).exists()


def test_when_the_manager_is_leaving_too_the_next_manager_up_takes_the_customers(
    team, django_capture_on_commit_callbacks, mailoutbox
):
    """Mona, Leo's manager, leaves a week after him: what has no successor goes to the
    manager of the team above (Vera), not back to someone on their way out, and the
    steps overdue after Mona has gone are escalated to Vera."""
    vera = EmployeeFactory(name="Vera", role="manager", email="vera@example.com")
    north = Team.objects.get(pk=team.leo.team_id)
    north.parent = Team.objects.create(name="Region", manager=vera)
    north.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_departure(
            employee=team.mona,
            last_day=TODAY + dt.timedelta(days=7),
            reason="x",
            voluntary=True,
            by=vera,
        )
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)

    result = nightly.process_handovers(as_of=TODAY)

    assert (result.handed_over, result.to_manager) == (3, 3)
    assert set(
        Customer.objects.filter(pk__in=[team.c1.pk, team.c2.pk]).values_list(
            "primary_owner__name", flat=True
        )
    ) == {"Vera"}
    assert Customer.objects.get(pk=team.c3.pk).secondary_owner == vera
    plan.refresh_from_db()
    assert plan.last_day_processed_at is not None
    (processed,) = [e for e in plan.log if e["code"] == "last_day_processed"]
    assert "3 customers without an accepted successor went to Vera." in processed["message"]
    assert not [e for e in plan.log if e["code"] == "not_handed_over"]
    # Mona has gone when Leo's follow-ups fall overdue: Vera hears of them.
    Employee.objects.filter(pk=team.mona.pk).update(
        status="departed", departure_date=TODAY + dt.timedelta(days=7)
    )
    mailoutbox.clear()
    later = TODAY + dt.timedelta(days=40)
    assert nightly.process_handovers(as_of=later).escalated > 0
    assert {m.to[0] for m in mailoutbox if "overdue" in m.subject} == {"vera@example.com"}


def test_a_departure_recorded_after_the_manager_has_gone_goes_to_the_next_manager_up(
    team, django_capture_on_commit_callbacks, mailoutbox
):
    """Mona has left (not replaced yet); Leo's departure is recorded: the start notice and
    the ownership-change steps go to Vera, the manager of the team above, not to Mona."""
    from handover.models import HandoverStep

    vera = EmployeeFactory(name="Vera", role="manager", email="vera@example.com")
    north = Team.objects.get(pk=team.leo.team_id)
    north.parent = Team.objects.create(name="Region", manager=vera)
    north.save()
    Employee.objects.filter(pk=team.mona.pk).update(status="departed", departure_date=YESTERDAY)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.start_departure(
            employee=team.leo,
            last_day=TODAY + dt.timedelta(days=10),
            reason="x",
            voluntary=True,
            by=vera,
        )
    changes = HandoverStep.objects.filter(task__plan=plan, kind="ownership_change")
    assert changes.exists()
    assert set(changes.values_list("assignee__name", flat=True)) == {"Vera"}
    notices = [m for m in mailoutbox if m.subject.startswith("Handover: Leo leaves")]
    assert [m.to for m in notices] == [["vera@example.com"]]


def test_a_leaving_line_manager_gives_way_to_the_manager_of_the_leavers_own_team(
    team, django_capture_on_commit_callbacks
):
    """Leo's line manager (Lars) runs another team and is leaving; Mona, who manages
    Leo's own team, stays: she takes what has no successor (line manager, else the
    team's, else the team above)."""
    lars = EmployeeFactory(name="Lars", role="manager")
    Employee.objects.filter(pk=team.leo.pk).update(manager=lars)
    team.leo.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_departure(
            employee=lars,
            last_day=TODAY + dt.timedelta(days=20),
            reason="x",
            voluntary=True,
            by=team.mona,
        )
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    nightly.process_handovers(as_of=TODAY)
    assert Customer.objects.get(pk=team.c1.pk).primary_owner == team.mona
    plan.refresh_from_db()
    assert plan.last_day_processed_at is not None


def test_a_manager_whose_login_is_disabled_is_passed_over_for_steps_and_escalations(
    team, django_capture_on_commit_callbacks
):
    from handover.models import HandoverStep

    vera = EmployeeFactory(name="Vera", role="manager", email="vera@example.com")
    north = Team.objects.get(pk=team.leo.team_id)
    north.parent = Team.objects.create(name="Region", manager=vera)
    north.save()
    team.mona.user = UserFactory(username="mona", is_active=False)
    team.mona.save()
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    changes = HandoverStep.objects.filter(task__plan=plan, kind="ownership_change")
    assert set(changes.values_list("assignee__name", flat=True)) == {"Vera"}


def test_a_successor_who_leaves_in_turn_hands_the_follow_ups_on_with_the_customer(
    team, django_capture_on_commit_callbacks
):
    """Ada leaves; Leo takes X1 and its follow-ups. Then Leo leaves: X1 goes to Mona, and
    the follow-ups of Ada's handover that were Leo's go to Mona with it."""
    from handover.models import HandoverStep

    x1 = Customer.objects.get(name="X1")
    with django_capture_on_commit_callbacks(execute=True):
        ada_plan = services.start_departure(
            employee=team.ada, last_day=YESTERDAY, reason="x", voluntary=True, by=team.mona
        )
    task = ada_plan.tasks.get(customer=x1)
    task.successor = team.leo
    task.save()
    nightly.process_handovers(as_of=TODAY)
    assert Customer.objects.get(pk=x1.pk).primary_owner == team.leo
    follow_ups = HandoverStep.objects.filter(task=task, kind="follow_up")
    assert set(follow_ups.values_list("assignee__name", flat=True)) == {"Leo"}

    with django_capture_on_commit_callbacks(execute=True):
        services.start_departure(
            employee=team.leo, last_day=TODAY, reason="x", voluntary=True, by=team.mona
        )
    nightly.process_handovers(as_of=TODAY + dt.timedelta(days=1))
    assert Customer.objects.get(pk=x1.pk).primary_owner == team.mona
    assert set(follow_ups.values_list("assignee__name", flat=True)) == {"Mona"}


def test_follow_ups_go_to_the_successor_a_customer_was_handed_to_by_hand(
    team, django_capture_on_commit_callbacks
):
    """Leo took X1 from Ada; when Leo leaves, X1 goes to Ben by hand before his last
    day: the follow-ups of Ada's handover go to Ben with it, the night after."""
    from handover.models import HandoverStep

    x1 = Customer.objects.get(name="X1")
    with django_capture_on_commit_callbacks(execute=True):
        ada_plan = services.start_departure(
            employee=team.ada, last_day=YESTERDAY, reason="x", voluntary=True, by=team.mona
        )
    ada_plan.tasks.filter(customer=x1).update(successor=team.leo)
    nightly.process_handovers(as_of=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        leo_plan = services.start_departure(
            employee=team.leo, last_day=TODAY, reason="x", voluntary=True, by=team.mona
        )
    task = leo_plan.tasks.get(customer=x1)
    task.successor = team.ben
    task.save()
    services.change_ownership(task=task, by=team.mona)
    nightly.process_handovers(as_of=TODAY + dt.timedelta(days=1))
    follow_ups = HandoverStep.objects.filter(
        task__plan=ada_plan, task__customer=x1, kind="follow_up"
    )
    assert set(follow_ups.values_list("assignee__name", flat=True)) == {"Ben"}


def test_a_manager_who_leaves_first_hands_her_steps_in_others_plans_to_the_manager_above(
    team, django_capture_on_commit_callbacks
):
    """Leo leaves in ten days; his ownership-change steps are Mona's. Mona leaves first:
    the night after her last day they go to Vera (the manager above), not to Leo (the
    customers' owner, who may not do his own plan's steps)."""
    from handover.models import HandoverStep

    vera = EmployeeFactory(name="Vera", role="manager", email="vera@example.com")
    north = Team.objects.get(pk=team.leo.team_id)
    north.parent = Team.objects.create(name="Region", manager=vera)
    north.save()
    with django_capture_on_commit_callbacks(execute=True):
        leo_plan = services.start_departure(
            employee=team.leo,
            last_day=TODAY + dt.timedelta(days=10),
            reason="x",
            voluntary=True,
            by=team.mona,
        )
    changes = HandoverStep.objects.filter(task__plan=leo_plan, kind="ownership_change")
    assert set(changes.values_list("assignee__name", flat=True)) == {"Mona"}
    with django_capture_on_commit_callbacks(execute=True):
        services.start_departure(
            employee=team.mona, last_day=YESTERDAY, reason="x", voluntary=True, by=vera
        )
    nightly.process_handovers(as_of=TODAY)
    assert set(changes.values_list("assignee__name", flat=True)) == {"Vera"}


def test_one_customer_nobody_can_take_does_not_stop_the_others_and_the_page_says_so(
    team, client, django_capture_on_commit_callbacks
):
    Employee.objects.filter(pk=team.leo.pk).update(manager=None)
    Team.objects.filter(pk=team.leo.team_id).update(manager=None)
    team.leo.refresh_from_db()
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    c1 = plan.tasks.get(customer=team.c1)
    c3 = plan.tasks.get(customer=team.c3)
    HandoverTask.objects.filter(pk=c1.pk).update(successor=team.ada)
    HandoverTask.objects.filter(pk=c3.pk).update(successor=team.ada)

    result = nightly.process_handovers(as_of=TODAY)

    # C1 and C3 go to Ada; C2 has no successor and Leo no manager: it stays, named.
    assert (result.handed_over, result.to_manager) == (2, 0)
    assert Customer.objects.get(pk=team.c1.pk).primary_owner == team.ada
    assert Customer.objects.get(pk=team.c3.pk).secondary_owner == team.ada
    assert Customer.objects.get(pk=team.c2.pk).primary_owner == team.leo
    team.leo.refresh_from_db()
    assert team.leo.status == "departed"
    stuck = plan.tasks.get(customer=team.c2)
    assert (stuck.status, stuck.ownership_changed_on) == ("open", None)

    login(client, Employee.Role.HR, "Hana")
    page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
    assert "1 customer could not be handed over and stays with its task open" in page
    assert "C2: Leo has no manager to take it over; set one." in page

    # The plan stays due: once Leo's team has a manager the next night hands C2 over.
    plan.refresh_from_db()
    assert plan.last_day_processed_at is None
    Team.objects.filter(pk=team.leo.team_id).update(manager=team.mona)
    result = nightly.process_handovers(as_of=TODAY)
    assert (result.handed_over, result.to_manager, result.locked_out) == (1, 1, 0)
    assert Customer.objects.get(pk=team.c2.pk).primary_owner == team.mona
    plan.refresh_from_db()
    assert plan.last_day_processed_at is not None
    page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
    assert 'class="alert alert-danger" role="alert"' not in page


def test_a_plan_that_fails_is_set_aside_and_shows_on_its_page_for_hr_and_the_manager(
    team, client, django_capture_on_commit_callbacks
):
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    # The database refuses the owner change (a trigger another system put there).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION refuse_owner_change() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'owner changes are frozen during the audit'; END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_owner_change BEFORE UPDATE ON customers_customer
            FOR EACH ROW EXECUTE FUNCTION refuse_owner_change();
            """
        )
    nightly.process_handovers(as_of=TODAY)
    plan.refresh_from_db()
    assert plan.last_day_processed_at is None
    team.mona.user = UserFactory(username="mona")
    team.mona.save()
    for user in (login(client, Employee.Role.HR, "Hana").user, team.mona.user):
        client.force_login(user)
        page = client.get(reverse("handover:plan", args=[plan.pk])).content.decode()
        assert "The last-day handover failed and was set aside" in page
        assert "owner changes are frozen during the audit" in page


def test_cancelling_after_the_last_day_is_refused(team, client, django_capture_on_commit_callbacks):
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="has passed"):
        services.cancel_departure(plan=plan, by=None)

    login(client, Employee.Role.HR, "Hana")
    url = reverse("handover:plan", args=[plan.pk])
    assert "Cancel the departure" not in client.get(url).content.decode()
    client.post(url, {"cancel": "1"})
    plan.refresh_from_db()
    team.leo.refresh_from_db()
    assert (plan.status, team.leo.status) == ("open", "departing")


def test_nobody_whose_last_day_has_passed_can_be_made_owner_at_any_door(
    team, django_capture_on_commit_callbacks
):
    plan = leave_yesterday(team, django_capture_on_commit_callbacks)  # not yet processed
    # Model door (pages, admin): Customer.clean.
    c9 = CustomerFactory(name="C9", primary_owner=team.ada)
    c9.primary_owner = team.leo
    with pytest.raises(ValidationError) as error:
        c9.full_clean()
    assert "access has ended" in error.value.message_dict["primary_owner"][0]
    # API door: the bulk upsert names the row and the field.
    api, _ = integration_client()
    response = api.post(
        "/api/v1/customers/bulk/",
        {
            "rows": [
                {
                    "external_id": "API-4",
                    "name": "A",
                    "segment": "core",
                    "primary_owner": team.leo.email,
                    "customer_since": "2025-01-01",
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    (row,) = response.json()["error"]["rows"]
    assert (row["index"], row["field"]) == (0, "primary_owner")
    assert "access has ended" in row["message"]
    assert not Customer.objects.filter(external_id="API-4").exists()
    # Successor door: another plan's manager cannot pick Leo.
    with django_capture_on_commit_callbacks(execute=True):
        other = services.start_departure(
            employee=team.ben,
            last_day=TODAY + dt.timedelta(days=20),
            reason="x",
            voluntary=True,
            by=team.mona,
        )
    task = other.tasks.first()
    with pytest.raises(ValidationError, match="Leo"):
        services.accept_successors(plan=other, by=team.mona, choices={task.pk: team.leo.pk})
    assert plan.status == HandoverPlan.Status.OPEN


def test_a_cancelled_plan_and_a_plan_without_customers_say_what_is_true(
    team, client, django_capture_on_commit_callbacks
):
    nobody = EmployeeFactory(name="Nell", team=team.leo.team, manager=team.mona)
    with django_capture_on_commit_callbacks(execute=True):
        empty = services.start_departure(
            employee=nobody,
            last_day=TODAY + dt.timedelta(days=5),
            reason="x",
            voluntary=True,
            by=team.mona,
        )
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.start_departure(
            employee=team.leo,
            last_day=TODAY + dt.timedelta(days=5),
            reason="x",
            voluntary=True,
            by=team.mona,
        )
    HandoverTask.objects.filter(plan=cancelled).delete()
    services.cancel_departure(plan=cancelled, by=None)

    login(client, Employee.Role.HR, "Hana")
    page = client.get(reverse("handover:plan", args=[empty.pk])).content.decode()
    assert "Nell owned no active customers: there is nothing to hand over." in page
    assert "being raised" not in page
    page = client.get(reverse("handover:plan", args=[cancelled.pk])).content.decode()
    assert "This departure was cancelled before any customer was handed over." in page
    assert "being raised" not in page


def test_the_admin_cannot_make_someone_whose_last_day_passed_a_successor_or_assignee(
    team, django_capture_on_commit_callbacks
):
    leo_plan = leave_yesterday(team, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ben_plan = services.start_departure(
            employee=team.ben,
            last_day=TODAY + dt.timedelta(days=20),
            reason="x",
            voluntary=True,
            by=team.mona,
        )
    task = HandoverTask.objects.get(plan=ben_plan, customer=team.c3)
    task.successor = team.leo
    with pytest.raises(ValidationError) as error:
        task.full_clean()
    assert "Leo" in error.value.message_dict["successor"][0]
    step = task.steps.get(kind="joint_introduction")
    step.assignee = team.leo
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "access has ended" in error.value.message_dict["assignee"][0]
    # Leo's own knowledge-transfer step stays editable: its assignee did not change.
    own = leo_plan.tasks.get(customer=team.c1).steps.get(kind="knowledge_transfer")
    own.note = "Prefers calls on Mondays."
    own.full_clean()
