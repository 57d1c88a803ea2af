"""Teams and employees from an HR system: the kinds `teams` and `employees` of the bulk
upsert (customers/upsert/), so the file import, `manage.py import_csv` and the API's
bulk endpoints take them with the same rules as every other kind.

- Keyed by the HR system's id (external_id); a team or employee created by hand, without
  one, is taken over by the row with its name (teams) or e-mail (employees).
- A team's parent and an employee's manager may be a row further down the same file or
  request: rows are written first, then who reports to whom.
- A team's manager is an employee (external id or e-mail): import teams, then employees,
  then the teams again if the file names managers (a re-import changes only what differs).
- An employee's team is named by the team's external id or its name.
- A leaving date goes through the departure HR records (handover.services
  .start_departure): the employee is marked departing and the handover plan opens, its
  tasks raised by the same job. Sending the same date again changes nothing; a recorded
  departure is never moved or cancelled by an import (the handover plan is where that
  happens). A leaving date further back than HR may record (DEPARTURE_GRACE_DAYS) is
  history: a new employee is stored as departed (nothing to hand over), an existing one
  who owns no customers too; one who still owns customers is refused.
- No login is created: an imported employee has none until an admin gives them one
  (admin site, Users); an import never creates, changes or enables logins, and never
  makes anyone an admin.
"""

from __future__ import annotations

from customers.row_values import date, email, text
from customers.upsert import Column, Kind, Reference
from staff.imports.employees import _validate_employees, _write_employees
from staff.imports.rows import _role, _voluntary
from staff.imports.teams import _validate_teams, _write_teams
from staff.models import Employee, Team

KINDS: dict[str, Kind] = {
    "teams": Kind(
        Team,
        [
            Column("external_id", text(64, names_a_record=True), required=True),
            Column("name", text(120), required=True),
            Column("region", text(80), default=""),
        ],
        [
            Reference("parent", "parent_id", Team, "external_id"),
            Reference("manager", "manager_id", Employee, "email"),
        ],
        validate=_validate_teams,
        write=_write_teams,
        whole_file=True,
        aliases={
            "team_id": "external_id",
            "department_id": "external_id",
            "id": "external_id",
            "team": "name",
            "team_name": "name",
            "department": "name",
            "department_name": "name",
            "parent_id": "parent",
            "parent_team": "parent",
            "parent_department": "parent",
            "manager_id": "manager",
            "manager_email": "manager",
            "head": "manager",
            "location": "region",
        },
    ),
    "employees": Kind(
        Employee,
        [
            Column("external_id", text(64, names_a_record=True), required=True),
            Column("name", text(160), required=True),
            Column("email", email(254), required=True),
            Column("role", _role),
            Column("start_date", date, required=True),
            Column("leaving_date", date),
            Column("leaving_reason", text(200), default=""),
            Column("leaving_voluntary", _voluntary),
        ],
        [
            Reference("team", "team_id", Team, "external_id"),
            Reference("manager", "manager_id", Employee, "email"),
        ],
        validate=_validate_employees,
        write=_write_employees,
        whole_file=True,
        aliases={
            "employee_id": "external_id",
            "employee_number": "external_id",
            "employee_no": "external_id",
            "worker_id": "external_id",
            "personnel_number": "external_id",
            "id": "external_id",
            "full_name": "name",
            "employee_name": "name",
            "display_name": "name",
            "work_email": "email",
            "email_address": "email",
            "e_mail": "email",
            "business_email": "email",
            "team_id": "team",
            "department": "team",
            "department_id": "team",
            "crm_role": "role",
            "manager_id": "manager",
            "manager_email": "manager",
            "line_manager": "manager",
            "reports_to": "manager",
            "supervisor_id": "manager",
            "hire_date": "start_date",
            "hired_on": "start_date",
            "date_of_hire": "start_date",
            "original_hire_date": "start_date",
            "start": "start_date",
            "termination_date": "leaving_date",
            "end_date": "leaving_date",
            "last_day": "leaving_date",
            "last_working_day": "leaving_date",
            "departure_date": "leaving_date",
            "termination_reason": "leaving_reason",
            "reason_for_leaving": "leaving_reason",
            "voluntary": "leaving_voluntary",
            "voluntary_termination": "leaving_voluntary",
            "termination_type": "leaving_voluntary",
            "leaving_type": "leaving_voluntary",
        },
    ),
}
