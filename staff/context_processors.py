from staff.access import HR_ROLES, PEOPLE_ROLES, employee_of, has_role


def roles(request) -> dict[str, bool | int]:
    """What the navigation offers this user, with their open alert count."""
    from alerts.models import Alert
    from alerts.views import inbox_for

    user = request.user
    employee = employee_of(user)
    return {
        "sees_people": has_role(user, PEOPLE_ROLES),
        "starts_departures": has_role(user, HR_ROLES),
        "open_alerts": Alert.objects.filter(inbox_for(employee), status="open").count()
        if employee
        else 0,
    }
