from staff.access import (
    HR_ROLES,
    MANAGER_ROLES,
    PEOPLE_ROLES,
    Role,
    employee_of,
    has_role,
    role_of,
    sees_records,
)


def roles(request) -> dict[str, bool | int]:
    """What the navigation offers this user, with their open alerts and handover steps
    counted."""
    from alerts.models import Alert
    from alerts.views import inbox_for
    from handover.selectors import open_steps

    user = request.user
    if not user.is_authenticated:
        return {}
    employee = employee_of(user)
    return {
        "sees_people": has_role(user, PEOPLE_ROLES),
        "sees_dashboard": has_role(user, MANAGER_ROLES),
        "starts_departures": has_role(user, HR_ROLES),
        # HR owns no customers and reads no alerts (staff/access.py): no book, no inbox.
        "has_book": role_of(user) != Role.HR,
        "sees_alerts": sees_records(role_of(user), "alert"),
        "open_alerts": Alert.objects.filter(inbox_for(employee), status="open").count()
        if employee
        else 0,
        "open_steps": open_steps(employee).count() if employee else 0,
    }
