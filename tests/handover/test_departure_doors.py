"""Recording a departure: the same bounds on the last day and the same rule for admins at
every door (page, API, employees import, admin), and the dates HR enters for agreements."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from handover import services
from handover.models import HandoverPlan
from staff.models import Employee
from tests.api.helpers import integration_client, user_client
from tests.factories import EmployeeFactory, UserFactory
from tests.handover.world import build_team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
FAR = dt.date(9999, 12, 31)


@pytest.fixture
def team():
    return build_team()


def person(role: str, name: str) -> Employee:
    return EmployeeFactory(name=name, role=role, user=UserFactory(username=name.lower()))


def test_a_last_day_years_ahead_is_refused_at_the_service(team):
    latest = TODAY + dt.timedelta(days=730)
    with pytest.raises(ValidationError) as error:
        services.start_departure(
            employee=team.leo, last_day=FAR, reason="x", voluntary=True, by=team.mona
        )
    assert "more than 730 days ahead" in error.value.message_dict["last_day"][0]
    # The bound itself is accepted: a two-year notice period is real.
    services.start_departure(
        employee=team.leo, last_day=latest, reason="x", voluntary=True, by=team.mona
    )
    assert HandoverPlan.objects.get().last_day == latest


def test_the_page_refuses_a_last_day_years_ahead_next_to_the_field(client, team):
    client.force_login(person(Employee.Role.HR, "Hana").user)
    response = client.post(
        reverse("handover:start"),
        {"employee": team.leo.pk, "last_day": FAR.isoformat(), "reason": "x", "voluntary": "true"},
    )
    assert response.status_code == 200
    assert "more than 730 days ahead" in " ".join(response.context["form"].errors["last_day"])
    team.leo.refresh_from_db()
    assert team.leo.status == "active" and not HandoverPlan.objects.exists()


def test_the_api_refuses_a_last_day_years_ahead(team):
    api, _ = user_client(person(Employee.Role.HR, "Hana").user)
    response = api.post(
        "/api/v1/departures/",
        {"employee": team.leo.pk, "last_day": "9999-12-31", "reason": "x", "voluntary": True},
        format="json",
    )
    assert response.status_code == 400
    assert "more than 730 days ahead" in response.json()["error"]["fields"]["last_day"][0]
    assert not HandoverPlan.objects.exists()


def employee_row(external_id: str, email: str, leaving: str, **more) -> dict:
    return {
        "external_id": external_id,
        "name": external_id,
        "email": email,
        "start_date": "2020-01-01",
        "leaving_date": leaving,
        "leaving_voluntary": "yes",
        **more,
    }


def test_the_employees_import_refuses_a_leaving_date_years_ahead_and_an_admins_departure():
    admin = EmployeeFactory(name="Ada Admin", role=Employee.Role.ADMIN, external_id="E-ADM")
    EmployeeFactory(name="Eve", external_id="E-EVE", email="eve@example.com")
    api, _ = integration_client()
    response = api.post(
        "/api/v1/employees/bulk/",
        {
            "rows": [
                employee_row("E-EVE", "eve@example.com", "9999-12-31"),
                employee_row("E-ADM", admin.email, TODAY.isoformat()),
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    errors = {(e["index"], e["field"]): e["message"] for e in response.json()["error"]["rows"]}
    assert set(errors) == {(0, "leaving_date"), (1, "leaving_date")}
    assert "more than 730 days ahead" in errors[(0, "leaving_date")]
    assert "E-ADM is an admin" in errors[(1, "leaving_date")]
    assert not HandoverPlan.objects.exists()
    assert set(Employee.objects.values_list("status", flat=True)) == {"active"}


def test_an_integration_key_cannot_record_an_admins_departure_but_an_admin_can():
    admin = person(Employee.Role.ADMIN, "Ada")
    other_admin = person(Employee.Role.ADMIN, "Abe")
    body = {"employee": admin.pk, "last_day": TODAY.isoformat(), "reason": "x", "voluntary": True}
    api, _ = integration_client()
    response = api.post("/api/v1/departures/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["employee"] == [
        "Ada is an admin: only an admin records their departure."
    ]
    admin.refresh_from_db()
    assert admin.status == "active"

    by_admin, _ = user_client(other_admin.user)
    assert by_admin.post("/api/v1/departures/", body, format="json").status_code == 201
    admin.refresh_from_db()
    assert admin.status == "departing"


def test_the_admin_site_bounds_a_moved_last_day_and_agreement_dates(team):
    plan = HandoverPlan(employee=team.leo, last_day=FAR, reason="x", voluntary=True)
    with pytest.raises(ValidationError) as error:
        plan.full_clean()
    assert "more than 730 days ahead" in error.value.message_dict["last_day"][0]

    leo = team.leo
    leo.confidentiality_until = FAR
    leo.non_compete_until = dt.date(2019, 1, 1)  # hired 2020-01-01
    with pytest.raises(ValidationError) as error:
        leo.full_clean()
    assert "more than 10 years ahead" in error.value.message_dict["confidentiality_until"][0]
    assert "before the hire date" in error.value.message_dict["non_compete_until"][0]
    leo.confidentiality_until = TODAY + dt.timedelta(days=730)
    leo.non_compete_until = TODAY + dt.timedelta(days=365)
    leo.full_clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_recording_one_departure_at_once_record_it_once():
    """A double click on "Start the handover": two requests at the same moment. The
    second waits for the first, then is told the handover is in progress (it was a 500:
    the database's unique plan per person refused the second plan)."""
    import threading

    from django.db import connection

    team = build_team()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record() -> None:
        try:
            barrier.wait()
            services.start_departure(
                employee=Employee.objects.get(pk=team.leo.pk),
                last_day=TODAY + dt.timedelta(days=30),
                reason="New job",
                voluntary=True,
                by=team.mona,
            )
            outcomes.append("recorded")
        except ValidationError as error:
            outcomes.append(error.message_dict["employee"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["Leo already has a handover in progress.", "recorded"]
    assert HandoverPlan.objects.filter(employee=team.leo).count() == 1
