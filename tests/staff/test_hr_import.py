"""Teams and employees from an HR system, through every door the other kinds have: the
file import (check, then all or nothing), `manage.py import_csv`, the browser import and
the API's bulk endpoints. Files are shaped like HR exports: a byte-order mark,
semicolons, the HR system's own column names, managers listed after their reports."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from customers import csv_io
from customers.models import CsvImport, Customer, OwnershipPeriod
from handover.models import HandoverPlan, HandoverTask
from staff.models import Employee, Team
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def said(problems: list[dict]) -> list[dict]:
    """The problems as a person reads them (without the code and figures kept to word
    them in another language)."""
    return [{k: p[k] for k in ("line", "column", "message")} for p in problems]


TEAMS = (
    "\ufeffDepartment ID;Department Name;Parent Department;Location\n"
    "T-DE;Sales Germany;T-EU;Berlin\n"  # its parent is two lines down
    "T-SALES;Sales;;\n"
    "T-EU;Sales Europe;T-SALES;\n"
)
EMPLOYEES_HEADER = (
    "\ufeffEmployee ID;Full Name;Work Email;Department;Reports To;Hire Date;"
    "Termination Date;Termination Type\n"
)


def write(tmp_path, text: str, name: str = "export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(kind: str, path, *, check: bool = False) -> csv_io.Report:
    _, header = csv_io.sniff(path)
    mapping = csv_io.default_mapping(kind, header)
    return (csv_io.check if check else csv_io.import_file)(kind, path, mapping)


def today() -> dt.date:
    return timezone.localdate()


def import_teams(tmp_path) -> None:
    report = run("teams", write(tmp_path, TEAMS, "teams.csv"))
    assert (report.problem_count, report.created) == (0, 3)


def test_hr_column_names_map_to_the_fields(tmp_path):
    path = write(tmp_path, EMPLOYEES_HEADER + "E1;Ann Alm;ann@example.com;;;2019-01-01;;\n")
    delimiter, header = csv_io.sniff(path)
    assert delimiter == ";"
    assert csv_io.default_mapping("employees", header) == {
        "Employee ID": "external_id",
        "Full Name": "name",
        "Work Email": "email",
        "Department": "team",
        "Reports To": "manager",
        "Hire Date": "start_date",
        "Termination Date": "leaving_date",
        "Termination Type": "leaving_voluntary",
    }


def test_a_team_s_parent_may_come_later_in_the_file_and_a_second_import_changes_nothing(
    tmp_path,
):
    import_teams(tmp_path)
    teams = {t.external_id: t for t in Team.objects.select_related("parent")}
    assert teams["T-DE"].parent.external_id == "T-EU"
    assert teams["T-EU"].parent.external_id == "T-SALES"
    assert teams["T-SALES"].parent is None
    assert teams["T-DE"].region == "Berlin"
    again = run("teams", write(tmp_path, TEAMS, "teams.csv"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_a_team_made_by_hand_is_taken_over_by_its_name(tmp_path):
    by_hand = TeamFactory(name="Sales Europe")
    report = run("teams", write(tmp_path, TEAMS, "teams.csv"))
    assert (report.created, report.updated) == (2, 1)
    by_hand.refresh_from_db()
    assert by_hand.external_id == "T-EU"
    assert Team.objects.count() == 3


def test_teams_that_would_go_round_in_a_circle_are_refused_and_nothing_is_written(tmp_path):
    path = write(
        tmp_path,
        "external_id,name,parent\nA,Alpha,B\nB,Beta,A\nC,Gamma,C\nD,Delta,Nowhere\n",
    )
    report = run("teams", path)
    problems = {(p["line"], p["column"]): p["message"] for p in report.problems}
    assert problems[(2, "parent")] == "'B' is below 'A': teams would go round in a circle."
    assert problems[(3, "parent")] == "'A' is below 'B': teams would go round in a circle."
    assert problems[(4, "parent")] == "A team cannot be its own parent."
    assert problems[(5, "parent")] == "No team with external id or name 'Nowhere'."
    assert report.problem_count == 4
    assert not Team.objects.exists()


def test_a_team_taken_over_by_name_cannot_become_its_own_parent_or_close_a_circle(tmp_path):
    # Teams made by hand have no external id: a row taking one over by its name, and a
    # parent naming it by its name, are the same team.
    north, east = TeamFactory(name="Team North"), TeamFactory(name="Team East")
    report = run("teams", write(tmp_path, "external_id,name,parent\nT-E,Team East,Team East\n"))
    problems = {(p["line"], p["column"]): p["message"] for p in report.problems}
    assert problems == {(2, "parent"): "A team cannot be its own parent."}
    api, _ = integration_client()
    rows = [
        {"external_id": "T-N", "name": "Team North", "parent": "T-X"},
        {"external_id": "T-X", "name": "Xeno", "parent": "Team North"},
    ]
    response = api.post("/api/v1/teams/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400
    assert {(e["index"], e["field"]) for e in response.json()["error"]["rows"]} == {
        (0, "parent"),
        (1, "parent"),
    }
    north.refresh_from_db()
    east.refresh_from_db()
    assert (north.external_id, north.parent_id, east.external_id, east.parent_id) == (
        None,
        None,
        None,
        None,
    )
    assert Team.objects.count() == 2  # nothing written


def test_a_parent_named_in_another_case_is_the_team_of_that_name(tmp_path):
    sales = TeamFactory(name="Sales")
    report = run("teams", write(tmp_path, "external_id,name,parent\nT-DE,Sales Germany,SALES\n"))
    assert report.problem_count == 0, report.problems
    assert Team.objects.get(external_id="T-DE").parent == sales


def test_a_parent_named_in_another_case_may_be_a_row_of_the_same_file(tmp_path):
    text = "external_id,name,parent\nT-OPS,Ops,\nT-NOC,Network Operations,OPS\n"
    report = run("teams", write(tmp_path, text))
    assert report.problem_count == 0, report.problems
    assert Team.objects.get(external_id="T-NOC").parent.external_id == "T-OPS"


def test_an_employee_s_team_named_in_another_case_is_the_team_of_that_name(tmp_path):
    """The same case rule as a team's parent, through the file and the API."""
    north = TeamFactory(name="Team North")
    report = run(
        "employees",
        write(tmp_path, EMPLOYEES_HEADER + "E1;Ann Alm;ann@example.com;team north;;2019-01-01;;\n"),
    )
    assert report.problem_count == 0, report.problems
    assert Employee.objects.get(external_id="E1").team == north
    response = integration_client()[0].post(
        "/api/v1/employees/bulk/",
        {
            "rows": [
                {
                    "external_id": "E2",
                    "name": "Bo Berg",
                    "email": "bo@example.com",
                    "team": "TEAM NORTH",
                    "start_date": "2020-01-01",
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Employee.objects.get(external_id="E2").team == north


def test_a_team_named_exactly_wins_over_one_named_in_another_case(tmp_path):
    TeamFactory(name="TEAM NORTH")  # two teams made by hand, names differing in case
    north = TeamFactory(name="Team North")
    report = run(
        "employees",
        write(tmp_path, EMPLOYEES_HEADER + "E1;Ann Alm;ann@example.com;Team North;;2019-01-01;;\n"),
    )
    assert report.problem_count == 0, report.problems
    assert Employee.objects.get(external_id="E1").team == north


def test_employees_with_managers_further_down_and_teams_by_id_or_name(tmp_path):
    import_teams(tmp_path)
    path = write(
        tmp_path,
        EMPLOYEES_HEADER
        + "E3;Carl Chu;carl@example.com;T-DE;E1;2021-05-01;;\n"
        + "E2;Bea Berg;Bea@Example.com;Sales Europe;E1;2020-02-01;;\n"
        + "E1;Ann Alm;ann@example.com;T-SALES;;2019-01-01;;\n",
    )
    report = run("employees", path)
    assert (report.problem_count, report.created) == (0, 3)
    people = {e.external_id: e for e in Employee.objects.select_related("team", "manager")}
    assert people["E3"].manager.external_id == "E1"
    assert people["E2"].manager.external_id == "E1"
    assert people["E1"].manager is None
    assert people["E2"].team.external_id == "T-EU"
    assert people["E3"].hired_on == dt.date(2021, 5, 1)
    assert people["E1"].role == Employee.Role.ACCOUNT_MANAGER
    # No logins: an admin gives one when the person should sign in.
    assert not any(person.user_id for person in people.values())
    again = run("employees", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_an_employee_made_by_hand_is_matched_by_e_mail(tmp_path):
    by_hand = EmployeeFactory(email="ann@example.com", external_id=None)
    path = write(tmp_path, EMPLOYEES_HEADER + "E1;Ann Alm;ANN@example.com;;;2019-01-01;;\n")
    report = run("employees", path)
    assert (report.created, report.updated) == (0, 1)
    by_hand.refresh_from_db()
    assert (by_hand.external_id, by_hand.name) == ("E1", "Ann Alm")


def test_every_bad_row_is_named_by_line_and_column_and_nothing_is_written(tmp_path):
    EmployeeFactory(email="taken@example.com", external_id="E-OTHER")
    path = write(
        tmp_path,
        EMPLOYEES_HEADER
        + "E1;Ann Alm;ann@example.com;;;2019-01-01;;\n"
        + "E2;Bea Berg;taken@example.com;;;2020-01-01;;\n"  # line 3: another's address
        + "E3;Carl Chu;carl@example.com;Nowhere;E9;2021-01-01;;\n"  # line 4
        + "E4;Dora Dee;dora@example.com;;E4;2021-01-01;2020-01-01;yes\n"  # line 5
        + "E5;Eve Ek;not-an-address;;;1 Mai 2021;;perhaps\n"  # line 6
        + "E1;Ann again;ann2@example.com;;;2019-01-01;;\n",  # line 7
    )
    report = run("employees", path, check=True)
    problems = {(p["line"], p["column"]): p["message"] for p in report.problems}
    assert problems[(3, "Work Email")] == ("Another employee (E-OTHER) has this e-mail address.")
    assert problems[(4, "Department")] == "No team with external id or name 'Nowhere'."
    assert problems[(4, "Reports To")] == "No employee with email or external id 'E9'."
    assert problems[(5, "Reports To")] == "An employee cannot be their own manager."
    assert problems[(5, "Termination Date")] == (
        "The leaving date 2020-01-01 is before the start date 2021-01-01."
    )
    assert problems[(6, "Hire Date")] == (
        "'1 Mai 2021' is not a date (e.g. 2025-12-31, 31.12.2025, 12/31/2025, 31-Dec-2025)."
    )
    assert problems[(6, "Termination Type")] == (
        "'perhaps' is not yes/no (or voluntary/involuntary, resigned/dismissed)."
    )
    assert (6, "Work Email") in problems
    assert problems[(7, "Employee ID")] == "'E1' is also on line 2."
    assert report.problem_count == 9
    imported = run("employees", path)
    assert imported.problem_count == 9
    assert Employee.objects.count() == 1  # only the one that was there


def test_a_leaving_date_starts_the_departure_hr_would_record_once(tmp_path):
    leaver = EmployeeFactory(
        external_id="E2", email="bea@example.com", hired_on=dt.date(2020, 1, 1)
    )
    owned = CustomerFactory.create_batch(2, primary_owner=leaver)
    last_day = today() + dt.timedelta(days=30)
    path = write(
        tmp_path,
        EMPLOYEES_HEADER + f"E2;Bea Berg;bea@example.com;;;2020-01-01;{last_day};Resigned\n",
    )
    report = run("employees", path)
    assert (report.problem_count, report.updated) == (0, 1)
    leaver.refresh_from_db()
    assert (leaver.status, leaver.departure_date) == (Employee.Status.DEPARTING, last_day)
    assert leaver.departure_announced_on == today()
    assert leaver.departure_voluntary is True
    plan = HandoverPlan.objects.get(employee=leaver)
    assert (plan.last_day, plan.status, plan.voluntary) == (last_day, "open", True)
    # The tasks job ran as it does for HR's departures: one task per owned customer.
    assert set(plan.tasks.values_list("customer_id", flat=True)) == {c.pk for c in owned}
    again = run("employees", path)
    assert (again.updated, again.unchanged) == (0, 1)
    assert HandoverPlan.objects.count() == 1
    assert HandoverTask.objects.count() == 2


def test_a_departure_needs_to_say_whether_it_was_voluntary(tmp_path):
    EmployeeFactory(external_id="E2", email="bea@example.com")
    last_day = today() + dt.timedelta(days=30)
    path = write(
        tmp_path,
        EMPLOYEES_HEADER + f"E2;Bea Berg;bea@example.com;;;2020-01-01;{last_day};\n",
    )
    report = run("employees", path)
    assert said(report.problems) == [
        {
            "line": 2,
            "column": "Termination Type",
            "message": "Say whether the departure is voluntary (yes or no), as HR does when "
            "recording one.",
        }
    ]
    assert not HandoverPlan.objects.exists()


def test_a_recorded_departure_is_not_moved_or_cancelled_by_an_import(tmp_path):
    last_day = today() + dt.timedelta(days=30)
    path = write(
        tmp_path,
        EMPLOYEES_HEADER + f"E2;Bea Berg;bea@example.com;;;2020-01-01;{last_day};no\n",
    )
    assert run("employees", path).created == 1
    moved = write(
        tmp_path,
        EMPLOYEES_HEADER
        + f"E2;Bea Berg;bea@example.com;;;2020-01-01;{last_day + dt.timedelta(days=1)};no\n",
        "moved.csv",
    )
    report = run("employees", moved)
    assert report.problems[0]["column"] == "Termination Date"
    assert report.problems[0]["message"] == (
        f"Bea Berg is leaving on {last_day} as recorded; a recorded departure is changed on "
        "its handover plan, not by an import."
    )
    blank = write(
        tmp_path, EMPLOYEES_HEADER + "E2;Bea Berg;bea@example.com;;;2020-01-01;;\n", "blank.csv"
    )
    assert run("employees", blank).unchanged == 1
    assert Employee.objects.get().status == Employee.Status.DEPARTING


def test_a_leaver_of_the_past_is_history_unless_they_still_own_customers(tmp_path):
    owner = EmployeeFactory(external_id="E7", email="gus@example.com")
    CustomerFactory(primary_owner=owner)
    long_ago = today() - dt.timedelta(days=400)
    path = write(
        tmp_path,
        EMPLOYEES_HEADER
        + f"E6;Fay Fox;fay@example.com;;;2018-01-01;{long_ago};\n"
        + f"E7;Gus Gil;gus@example.com;;;2018-01-01;{long_ago};\n",
    )
    report = run("employees", path)
    assert [(p["line"], p["column"]) for p in report.problems] == [(3, "Termination Date")]
    assert "still owns customers" in report.problems[0]["message"]
    history = write(
        tmp_path,
        EMPLOYEES_HEADER + f"E6;Fay Fox;fay@example.com;;;2018-01-01;{long_ago};\n",
        "history.csv",
    )
    assert run("employees", history).created == 1
    fay = Employee.objects.get(external_id="E6")
    assert (fay.status, fay.departure_date) == (Employee.Status.DEPARTED, long_ago)
    assert not HandoverPlan.objects.filter(employee=fay).exists()


def test_a_customers_file_names_owners_by_the_hr_system_s_id(tmp_path):
    EmployeeFactory(external_id="E1", email="ann@example.com")
    path = write(
        tmp_path,
        "external_id;name;customer_since;primary_owner\n"
        "C-1;Acme;2024-01-01;E1\nC-2;Bolt;2024-01-01;ann@example.com\nC-3;Cog;2024-01-01;E9\n",
    )
    report = run("customers", path)
    assert said(report.problems) == [
        {
            "line": 4,
            "column": "primary_owner",
            "message": "No employee with email or external id 'E9'.",
        }
    ]
    fixed = write(tmp_path, "\n".join(path.read_text().splitlines()[:3]) + "\n", "fixed.csv")
    assert run("customers", fixed).created == 2
    ann = Employee.objects.get(external_id="E1")
    assert set(Customer.objects.values_list("primary_owner", flat=True)) == {ann.pk}
    assert OwnershipPeriod.objects.filter(employee=ann).count() == 2


def test_import_csv_command_imports_teams_then_employees(tmp_path, capsys):
    call_command("import_csv", "teams", str(write(tmp_path, TEAMS, "teams.csv")))
    path = write(tmp_path, EMPLOYEES_HEADER + "E1;Ann Alm;ann@example.com;Sales;;2019-01-01;;\n")
    call_command("import_csv", "employees", str(path))
    assert "1 row: 1 new, 0 changed, 0 unchanged." in capsys.readouterr().out
    assert Employee.objects.get().team.external_id == "T-SALES"
    bad = write(tmp_path, EMPLOYEES_HEADER + "E2;Bea;bea@example.com;;;someday;;\n", "bad.csv")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_csv", "employees", str(bad))
    assert "line 2, column Hire Date: 'someday' is not a date" in capsys.readouterr().out


def test_the_browser_import_checks_and_imports_employees(tmp_path, client, settings):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    upload = write(
        tmp_path,
        EMPLOYEES_HEADER
        + "E2;Bea Berg;bea@example.com;;E1;2020-02-01;;\n"
        + "E1;Ann Alm;ann@example.com;;;2019-01-01;;\n",
    )
    with upload.open("rb") as handle:
        response = client.post(reverse("imports"), {"kind": "employees", "file": handle})
    job = CsvImport.objects.get()
    assert job.mapping["Reports To"] == "manager"
    body = {f"column_{i}": job.mapping.get(column, "") for i, column in enumerate(job.header)}
    client.post(response.url, {"action": "check", **body})
    job.refresh_from_db()
    assert (job.status, job.problem_count, job.rows_done, job.rows_total) == ("checked", 0, 2, 2)
    assert not Employee.objects.exists()
    client.post(response.url, {"action": "import"})
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 2)
    assert Employee.objects.get(external_id="E2").manager.external_id == "E1"


# --- the API ---------------------------------------------------------------------------


def test_the_api_upserts_teams_and_employees_with_the_same_rules():
    api, _ = integration_client()
    teams = [
        {"external_id": "T-EU", "name": "Sales Europe", "parent": "T-SALES"},
        {"external_id": "T-SALES", "name": "Sales"},
    ]
    response = api.post("/api/v1/teams/bulk/", {"rows": teams}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    people = [
        {
            "external_id": "E2",
            "name": "Bea Berg",
            "email": "bea@example.com",
            "team": "T-EU",
            "manager": "E1",
            "start_date": "2020-02-01",
            "role": "Account manager",
        },
        {
            "external_id": "E1",
            "name": "Ann Alm",
            "email": "ann@example.com",
            "team": "T-SALES",
            "start_date": "2019-01-01",
            "role": "manager",
        },
    ]
    response = api.post("/api/v1/employees/bulk/", {"rows": people}, format="json")
    assert response.json() == {
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
    }
    bea = Employee.objects.get(external_id="E2")
    assert (bea.manager.external_id, bea.team.name, bea.role) == (
        "E1",
        "Sales Europe",
        "account_manager",
    )
    again = api.post("/api/v1/employees/bulk/", {"rows": people}, format="json").json()
    assert (again["updated"], again["unchanged"]) == (0, 2)
    listed = api.get("/api/v1/teams/").json()
    assert {t["external_id"] for t in listed["results"]} == {"T-EU", "T-SALES"}


def test_the_api_refuses_bad_rows_by_index_and_field_and_writes_nothing():
    api, _ = integration_client()
    rows = [
        {
            "external_id": "E1",
            "name": "Ann",
            "email": "ann@example.com",
            "start_date": "2019-01-01",
        },
        {
            "external_id": "E2",
            "name": "Root",
            "email": "root@example.com",
            "start_date": "2019-01-01",
            "role": "admin",
        },
        {"external_id": "E3", "name": "Carl", "start_date": "2019-01-01", "team": "T-X"},
    ]
    response = api.post("/api/v1/employees/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]): e["message"] for e in response.json()["error"]["rows"]}
    assert errors == {
        (1, "role"): "Admins are named in the admin site, not by an import.",
        (2, "email"): "Required.",
        (2, "team"): "No team with external id or name 'T-X'.",
    }
    assert not Employee.objects.exists()


def test_only_importers_may_bulk_upsert_employees():
    api, _ = integration_client(role="read")
    response = api.post("/api/v1/employees/bulk/", {"rows": []}, format="json")
    assert response.status_code == 403


def test_one_e_mail_on_two_lines_is_refused_by_line_not_reported_as_written(tmp_path):
    """The API refuses two rows with one e-mail ("is also in row 0 of this request");
    the file said "2 rows: 0 new" and wrote nothing. Now the file names the line."""
    path = write(
        tmp_path,
        EMPLOYEES_HEADER
        + "E1;Ann Alm;same@example.com;;;2019-01-01;;\n"
        + "E2;Bea Berg;SAME@example.com ;;;2020-01-01;;\n",
    )
    for report in (run("employees", path, check=True), run("employees", path)):
        assert said(report.problems) == [
            {
                "line": 3,
                "column": "Work Email",
                "message": "'SAME@example.com' is also on line 2.",
            }
        ]
        assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert not Employee.objects.exists()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_csv", "employees", str(path), stdout=io.StringIO())


def test_team_names_differing_in_case_are_refused_by_line(tmp_path):
    path = write(tmp_path, "external_id,name\nTT-1,Sales\nTT-2,sales \n", "teams.csv")
    report = run("teams", path)
    assert said(report.problems) == [
        {"line": 3, "column": "name", "message": "'sales' is also on line 2."}
    ]
    assert not Team.objects.exists()


def test_rows_the_database_refuses_only_together_are_never_reported_as_written(
    tmp_path, monkeypatch
):
    """Were a rule of the batch to miss two rows naming one record (here: the e-mail
    rule switched off), the database's refusal of the pair is reported on their lines,
    not "2 rows: 0 new"."""
    from staff.imports import employees

    real = employees._repeated
    monkeypatch.setattr(
        employees,
        "_repeated",
        lambda rows, errors, name, **key: (
            None if name == "email" else real(rows, errors, name, **key)
        ),
    )
    path = write(
        tmp_path,
        EMPLOYEES_HEADER
        + "E1;Ann Alm;same@example.com;;;2019-01-01;;\n"
        + "E2;Bea Berg;same@example.com;;;2020-01-01;;\n",
    )
    report = run("employees", path)
    [problem] = said(report.problems)
    assert (problem["line"], problem["column"]) == (2, None)
    assert problem["message"].startswith(
        "The database refused lines 2 to 3 together, though each passes alone: "
    )
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert not Employee.objects.exists()


def test_a_recorded_departure_takes_the_hr_system_s_correction_of_voluntary_and_reason(
    tmp_path,
):
    """HR corrects a resignation to a dismissal after the departure was recorded: the
    file and the API correct the voluntary flag and the reason (the outcomes of
    departures are pooled by them), reported as a change, not "unchanged"."""
    leaver = EmployeeFactory(
        external_id="E2", email="bea@example.com", hired_on=dt.date(2020, 1, 1)
    )
    CustomerFactory(primary_owner=leaver)
    last_day = today() + dt.timedelta(days=30)
    row = f"E2;Bea Berg;bea@example.com;;;2020-01-01;{last_day};"
    assert run("employees", write(tmp_path, EMPLOYEES_HEADER + row + "Resigned\n")).updated == 1
    plan = HandoverPlan.objects.get(employee=leaver)
    assert plan.voluntary is True

    corrected = run("employees", write(tmp_path, EMPLOYEES_HEADER + row + "Involuntary\n"))

    assert (corrected.problem_count, corrected.updated, corrected.unchanged) == (0, 1, 0)
    plan.refresh_from_db()
    leaver.refresh_from_db()
    assert (plan.voluntary, leaver.departure_voluntary) == (False, False)
    assert plan.last_day == last_day and plan.status == "open"
    response = integration_client()[0].post(
        "/api/v1/employees/bulk/",
        {
            "rows": [
                {
                    "external_id": "E2",
                    "name": "Bea Berg",
                    "email": "bea@example.com",
                    "start_date": "2020-01-01",
                    "leaving_date": last_day.isoformat(),
                    "leaving_voluntary": False,
                    "leaving_reason": "Dismissed for cause",
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    plan.refresh_from_db()
    leaver.refresh_from_db()
    assert (plan.reason, leaver.departure_reason) == ("Dismissed for cause", "Dismissed for cause")
    assert HandoverPlan.objects.count() == 1
    # Sent again unchanged: nothing to correct.
    again = run("employees", write(tmp_path, EMPLOYEES_HEADER + row + "Involuntary\n"))
    assert (again.updated, again.unchanged) == (0, 1)


def test_a_manager_named_by_the_e_mail_of_a_later_row_is_that_row(tmp_path):
    path = write(
        tmp_path,
        EMPLOYEES_HEADER
        + "E2;Bea Berg;bea@example.com;;YAN@example.com;2020-01-01;;\n"
        + "E1;Yan Yu;yan@example.com;;;2019-01-01;;\n",
    )
    report = run("employees", path)
    assert report.problem_count == 0, report.problems
    assert Employee.objects.get(external_id="E2").manager.external_id == "E1"


def test_managers_that_would_go_round_in_a_circle_are_refused_at_every_door(tmp_path):
    """E1 reports to E2 and E2 to E1 (in one file, or through one stored reporting line):
    refused by line, as teams are; the admin refuses the same edit."""
    path = write(
        tmp_path,
        EMPLOYEES_HEADER
        + "E1;Ann Alm;ann@example.com;;E2;2019-01-01;;\n"
        + "E2;Bea Berg;bea@example.com;;E1;2020-01-01;;\n",
    )
    report = run("employees", path)
    assert said(report.problems) == [
        {
            "line": 2,
            "column": "Reports To",
            "message": "'E2' reports to 'Ann Alm': managers would go round in a circle.",
        },
        {
            "line": 3,
            "column": "Reports To",
            "message": "'E1' reports to 'Bea Berg': managers would go round in a circle.",
        },
    ]
    assert not Employee.objects.exists()
    # Through a stored line: Bea (stored) reports to Ann; a file makes Ann report to Bea.
    ann = EmployeeFactory(external_id="E1", name="Ann Alm", email="ann@example.com")
    bea = EmployeeFactory(external_id="E2", name="Bea Berg", email="bea@example.com", manager=ann)
    path = write(tmp_path, EMPLOYEES_HEADER + "E1;Ann Alm;ann@example.com;;E2;2019-01-01;;\n")
    report = run("employees", path)
    assert [p["message"] for p in said(report.problems)] == [
        "'E2' reports to 'Ann Alm': managers would go round in a circle."
    ]
    ann.refresh_from_db()
    assert ann.manager is None
    # The admin's form: the same edit.
    ann.manager = bea
    with pytest.raises(ValidationError) as refused:
        ann.full_clean()
    assert refused.value.message_dict["manager"] == [
        "'Bea Berg' reports to 'Ann Alm': managers would go round in a circle."
    ]


def test_a_team_row_s_problems_come_in_one_check(tmp_path):
    """An unknown parent no longer hides an unknown manager on the same row."""
    path = write(tmp_path, "external_id,name,parent,manager\nTT-9,Nine,NOPE,nobody@x.example\n")
    report = run("teams", path, check=True)
    assert [(p["column"], p["message"]) for p in said(report.problems)] == [
        ("parent", "No team with external id or name 'NOPE'."),
        ("manager", "No employee with email or external id 'nobody@x.example'."),
    ]
