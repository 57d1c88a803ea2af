"""departures_seen_by_each (many people at once, for the digests) follows the same rule
as departures_seen_by (one signed-in person): whose last day each person may read."""

import pytest

from staff.access import departures_seen_by, departures_seen_by_each
from staff.models import Employee
from tests.factories import EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Employee.Role


def test_many_at_once_agree_with_one_at_a_time(django_assert_max_num_queries):
    """Mo manages Sales (and North, below it); Ann is in Sales, Bo in North, Cy reports to
    Mo from Ops, which Pat manages, with Dee. Hana is HR, Root an account manager with a
    superuser login, Al an account manager, Nia a manager without a login."""
    ops, head_office = TeamFactory(name="Ops"), TeamFactory(name="Head office")
    mo = EmployeeFactory(name="Mo", role=Role.MANAGER, team=head_office, user=UserFactory())
    pat = EmployeeFactory(name="Pat", role=Role.MANAGER, team=head_office, user=UserFactory())
    sales = TeamFactory(name="Sales", manager=mo)
    north = TeamFactory(name="North", parent=sales)
    ops.manager = pat
    ops.save()
    ann = EmployeeFactory(name="Ann", team=sales, user=UserFactory())
    bo = EmployeeFactory(name="Bo", team=north)
    cy = EmployeeFactory(name="Cy", team=ops, manager=mo)
    dee = EmployeeFactory(name="Dee", team=ops)
    hana = EmployeeFactory(name="Hana", role=Role.HR, team=head_office, user=UserFactory())
    root = EmployeeFactory(name="Root", user=UserFactory(is_superuser=True))
    al = EmployeeFactory(name="Al", user=UserFactory())
    nia = EmployeeFactory(name="Nia", role=Role.MANAGER, team=head_office)
    people = list(Employee.objects.select_related("user").order_by("pk"))

    with django_assert_max_num_queries(2):  # the team tree, the managers' people
        seen = departures_seen_by_each(people)

    assert seen == {
        mo.pk: {mo.pk, ann.pk, bo.pk, cy.pk},
        pat.pk: {pat.pk, cy.pk, dee.pk},
        ann.pk: {ann.pk},
        bo.pk: set(),  # no login
        cy.pk: set(),
        dee.pk: set(),
        hana.pk: None,
        root.pk: None,
        al.pk: {al.pk},
        nia.pk: set(),
    }
    for person in people:
        if person.user is not None:
            assert seen[person.pk] == departures_seen_by(person.user), person.name
