from staff.access import HR_ROLES, PEOPLE_ROLES, has_role


def roles(request) -> dict[str, bool]:
    """What the navigation offers this user."""
    user = request.user
    return {
        "sees_people": has_role(user, PEOPLE_ROLES),
        "starts_departures": has_role(user, HR_ROLES),
    }
