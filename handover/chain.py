"""Who acts for a leaver: their manager (`manager_of`), the chain of managers above
(`managers_up_the_chain`: who takes customers nobody else takes), and the nearest of them
still here (`acting_manager`: notices, ownership-change steps, escalations)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from staff.models import Employee


def manager_of(employee: Employee) -> Employee | None:
    """Who takes what nobody else takes: the line manager, else the team's manager."""
    if employee.manager_id and employee.manager_id != employee.pk:
        return employee.manager
    if employee.team_id and employee.team.manager_id and employee.team.manager_id != employee.pk:
        return employee.team.manager
    return None


def managers_up_the_chain(employee: Employee, most: int = 20) -> list[Employee]:
    """Who takes over from `employee`, nearest first, each once, at most `most`: the line
    manager, the manager of their team, the managers of the teams above it; then, the
    same way, the managers of each of those people (a loop in the data ends it)."""
    chain: list[Employee] = []
    seen = {employee.pk}

    def add(person: Employee | None) -> None:
        if person is not None and person.pk not in seen and len(chain) < most:
            chain.append(person)
            seen.add(person.pk)

    def own_managers(person: Employee) -> None:
        if person.manager_id:
            add(person.manager)
        team, teams = person.team, set()
        while team is not None and team.pk not in teams:
            teams.add(team.pk)
            if team.manager_id:
                add(team.manager)
            team = team.parent

    own_managers(employee)
    reached = 0
    while reached < len(chain) and len(chain) < most:
        own_managers(chain[reached])
        reached += 1
    return chain


def acting_manager(employee: Employee, today: dt.date | None = None) -> Employee | None:
    """The manager who acts for `employee`'s handover now: the nearest up the chain
    (managers_up_the_chain) who has not left and whose login is not disabled (they can
    act on nothing). Receives the start notice, the ownership-change steps and the
    escalations."""
    today = today or timezone.localdate()
    for manager in managers_up_the_chain(employee):
        gone = (
            manager.status == Employee.Status.DEPARTED
            or (manager.departure_date is not None and manager.departure_date < today)
            or (manager.user_id is not None and not manager.user.is_active)  # signs in no more
        )
        if not gone:
            return manager
    return None
