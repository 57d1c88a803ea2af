"""The demo company's teams, managers, account managers and their logins, with the
departures (past and coming) the handover pages show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from customers.demo.names import DEMO_PASSWORD, FIRST_NAMES, HISTORY_DAYS, LAST_NAMES, REGIONS
from retention.email_address import email_key
from staff.models import Employee, Team


@dataclass
class DemoSummary:
    teams: int = 0
    employees: int = 0
    customers: int = 0
    churned: int = 0
    contacts: int = 0
    contracts: int = 0
    interactions: int = 0
    ownership_periods: int = 0
    exchange_rates: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StaffPlan:
    ids: np.ndarray  # employee ids
    team_of: np.ndarray  # team index per employee
    is_am: np.ndarray  # can own customers
    key: np.ndarray
    departed_on: np.ndarray  # day offset from history start, or -1
    departing_on: np.ndarray  # day offset, or -1
    successor: np.ndarray  # employee index taking over the book on departure, or -1
    team_region: list[str]


def create_staff(
    rng, n_customers: int, start: dt.date, as_of: dt.date, summary: DemoSummary
) -> StaffPlan:
    n_teams = max(5, n_customers // 2500)
    account_managers_per_team = 6 if n_customers <= 5000 else max(6, n_customers // (n_teams * 300))
    User = get_user_model()
    teams = Team.objects.bulk_create(
        [
            Team(
                name=f"Team {REGIONS[i % 5]}" + (f" {i // 5 + 1}" if i >= 5 else ""),
                region=REGIONS[i % 5],
            )
            for i in range(n_teams)
        ]
    )
    summary.teams = len(teams)
    employees: list[Employee] = []
    team_of: list[int] = []
    is_am: list[bool] = []
    name_counter = 0

    def person(role: str, team_index: int | None) -> Employee:
        nonlocal name_counter
        first = FIRST_NAMES[name_counter % len(FIRST_NAMES)]
        last = LAST_NAMES[(name_counter // len(FIRST_NAMES) + name_counter) % len(LAST_NAMES)]
        name_counter += 1
        hired = start - dt.timedelta(days=int(rng.integers(30, 3000)))
        email = f"{first}.{last}.{name_counter}@demo.example".lower()
        employee = Employee(
            name=f"{first} {last}",
            email=email,
            email_key=email_key(email),  # bulk_create does not call save()
            role=role,
            hired_on=hired,
            team=teams[team_index] if team_index is not None else None,
            external_id=f"HR-{name_counter:06d}",
        )
        employees.append(employee)
        team_of.append(team_index if team_index is not None else -1)
        is_am.append(role == Employee.Role.ACCOUNT_MANAGER)
        return employee

    for t in range(n_teams):
        person(Employee.Role.MANAGER, t)
        for _ in range(account_managers_per_team):
            person(Employee.Role.ACCOUNT_MANAGER, t)
    person(Employee.Role.HR, None)
    person(Employee.Role.HR, None)
    person(Employee.Role.ADMIN, None)
    Employee.objects.bulk_create(employees)
    employees = list(Employee.objects.order_by("id"))
    team_of_arr = np.array(team_of)
    is_am_arr = np.array(is_am)
    n = len(employees)

    # Managers manage their team; account managers report to them.
    managers = {
        team_of[i]: employees[i] for i in range(n) if employees[i].role == Employee.Role.MANAGER
    }
    for t, team in enumerate(teams):
        team.manager = managers[t]
    Team.objects.bulk_update(teams, ["manager"])
    for i, employee in enumerate(employees):
        if is_am[i]:
            employee.manager = managers[team_of[i]]

    am_index = np.flatnonzero(is_am_arr)
    key = np.zeros(n, dtype=bool)
    key[rng.choice(am_index, size=max(2, len(am_index) // 5), replace=False)] = True

    # Departures: ~1 in 6 account managers left during the history, ~1 in 16 is leaving now.
    departed_on = np.full(n, -1)
    departing_on = np.full(n, -1)
    successor = np.full(n, -1)
    shuffled = rng.permutation(am_index)
    n_departed = max(4, len(am_index) // 6)
    n_departing = max(2, len(am_index) // 16)
    # The demo manager (team 0's) has a departure to work on: the first one leaving now is
    # in their team.
    in_team_0 = [k for k in range(n_departed, len(shuffled)) if team_of[shuffled[k]] == 0]
    if in_team_0:
        k = in_team_0[0]
        shuffled[n_departed], shuffled[k] = shuffled[k], shuffled[n_departed]
    for i in shuffled[:n_departed]:
        departed_on[i] = int(rng.integers(120, HISTORY_DAYS - 30))
    for i in shuffled[n_departed : n_departed + n_departing]:
        departing_on[i] = HISTORY_DAYS + int(rng.integers(12, 60))
    staying = set(shuffled[n_departed:].tolist())
    for i in shuffled[:n_departed]:
        teammates = [
            j for j in am_index if team_of[j] == team_of[i] and j in staying and departing_on[j] < 0
        ]
        successor[i] = (
            rng.choice(teammates) if teammates else managers_index(employees, managers[team_of[i]])
        )

    reasons = [
        "Better offer elsewhere",
        "Relocation",
        "Career change",
        "Restructuring",
        "Started own business",
    ]
    for i, employee in enumerate(employees):
        employee.is_key_employee = bool(key[i])
        if departed_on[i] >= 0:
            employee.status = Employee.Status.DEPARTED
            employee.departure_date = start + dt.timedelta(days=int(departed_on[i]))
            employee.departure_voluntary = bool(rng.random() < 0.75)
            employee.departure_reason = reasons[int(rng.integers(0, len(reasons)))]
            employee.departure_announced_on = employee.departure_date - dt.timedelta(
                days=int(rng.integers(14, 60))
            )
        elif departing_on[i] >= 0:
            employee.status = Employee.Status.DEPARTING
            employee.departure_date = start + dt.timedelta(days=int(departing_on[i]))
            employee.departure_voluntary = True
            employee.departure_reason = reasons[int(rng.integers(0, 3))]
            employee.departure_announced_on = as_of - dt.timedelta(days=int(rng.integers(0, 10)))
        employee.confidentiality_until = (employee.departure_date or as_of) + dt.timedelta(days=730)
        if employee.is_key_employee:
            employee.non_compete_until = (employee.departure_date or as_of) + dt.timedelta(days=365)
    Employee.objects.bulk_update(
        employees,
        [
            "manager",
            "is_key_employee",
            "status",
            "departure_date",
            "departure_voluntary",
            "departure_reason",
            "departure_announced_on",
            "confidentiality_until",
            "non_compete_until",
        ],
        batch_size=1000,
    )

    # Logins: every employee of the demo-sized company; at benchmark scale only the named ones.
    users = []
    login_for = {}
    password_hash = make_password(DEMO_PASSWORD)  # one hash for all: hashing is slow by design
    named = {
        "am": int(sorted(shuffled[n_departed + n_departing :], key=lambda i: (not key[i], i))[0]),
        "manager": int(managers_index(employees, managers[0])),
        "hr": int(np.flatnonzero(np.array([e.role == Employee.Role.HR for e in employees]))[0]),
        "admin": int(
            np.flatnonzero(np.array([e.role == Employee.Role.ADMIN for e in employees]))[0]
        ),
    }
    for username, i in named.items():
        login_for[i] = username
    if n <= 200:
        for i, employee in enumerate(employees):
            login_for.setdefault(i, employee.email.split("@")[0])
    for i, username in login_for.items():
        employee = employees[i]
        user = User(
            username=username,
            email=employee.email,
            first_name=employee.name.split()[0],
            last_name=employee.name.split()[-1],
            is_active=employee.status != Employee.Status.DEPARTED,
            is_staff=employee.role == Employee.Role.ADMIN,
            is_superuser=employee.role == Employee.Role.ADMIN,
        )
        user.password = password_hash
        users.append((i, user))
    User.objects.bulk_create([user for _, user in users])
    created = {
        u.username: u
        for u in User.objects.filter(username__in=[user.username for _, user in users])
    }
    for i, user in users:
        employees[i].user = created[user.username]
    Employee.objects.bulk_update([employees[i] for i, _ in users], ["user"], batch_size=1000)
    for username, i in named.items():
        summary.logins.append((username, f"{employees[i].name}, {employees[i].get_role_display()}"))
    summary.employees = n

    return StaffPlan(
        ids=np.array([e.id for e in employees]),
        team_of=team_of_arr,
        is_am=is_am_arr,
        key=key,
        departed_on=departed_on,
        departing_on=departing_on,
        successor=successor,
        team_region=[team.region for team in teams],
    )


def managers_index(employees: list[Employee], manager: Employee) -> int:
    return next(i for i, e in enumerate(employees) if e.pk == manager.pk)
