"""Who may see what, in one place: role gates for pages, and which customers a person
sees in full (used by the API's querysets and the pages that list customers).

- admin (and integrations, through their API key): every customer;
- manager: the customers owned (primary or secondary) by members of the teams they
  manage, and of those teams' sub-teams, and their own;
- account manager: the customers they own, primary or secondary, and those a manager
  granted them until a day (AccessGrant);
- HR: the customers in handover plans that are not cancelled: the customer, its
  contracts (values) and its handover tasks; not its contacts, interactions, risk scores
  (their reasons tell of the interactions: "interactions down 68%"), alerts, retention
  actions or usage (HR_CUSTOMER_RECORDS, read by the customer page, the API and the
  admin alike)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from retention.wording import Worded
from staff.models import Employee, Team

Role = Employee.Role
HR_ROLES = (Role.HR, Role.ADMIN)
MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
PEOPLE_ROLES = (Role.HR, Role.MANAGER, Role.ADMIN)


#: The records of a customer in a handover plan that HR sees: names, values and handover
#: status. Everything else about the customer (contacts, interactions, and what is read
#: from them: scores and their reasons, alerts, actions, usage) is its owners'.
HR_CUSTOMER_RECORDS = frozenset({"customer", "contract", "handovertask"})


def sees_records(role: str | None, kind: str) -> bool:
    """Whether `role` sees records of this kind (a model name: "contract", "riskscore")
    of the customers it sees (customer_scope): everyone does, but HR only
    HR_CUSTOMER_RECORDS."""
    return role != Role.HR or kind in HR_CUSTOMER_RECORDS


def employee_of(user) -> Employee | None:
    return getattr(user, "employee", None) if user.is_authenticated else None


def role_of(user) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    employee = employee_of(user)
    return employee.role if employee is not None else None


def visible_to(user, queryset, prefix: str = ""):
    """`queryset` narrowed to the customers (or their records, through `prefix`) the
    signed-in user sees in full."""
    scope = customer_scope(role_of(user), employee_of(user), prefix)
    return queryset if scope is None else queryset.filter(scope)


def has_role(user, roles: tuple[str, ...]) -> bool:
    if user.is_superuser:
        return True
    employee = employee_of(user)
    return employee is not None and employee.role in roles


def role_required(*roles: str) -> Callable:
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied(_("Your role does not give access to this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def managed_team_ids(employee: Employee) -> set[int]:
    """The teams `employee` manages and every team below them (one query for the tree)."""
    return managed_team_ids_of_each([employee.pk])[employee.pk]


def managed_team_ids_of_each(employee_ids) -> dict[int, set[int]]:
    """managed_team_ids for many people at once, by employee id (one query for the tree)."""
    wanted = set(employee_ids)
    children: dict[int | None, list[int]] = {}
    managed: dict[int, list[int]] = {pk: [] for pk in wanted}
    for team_id, parent_id, manager_id in Team.objects.values_list("id", "parent_id", "manager_id"):
        children.setdefault(parent_id, []).append(team_id)
        if manager_id in wanted:
            managed[manager_id].append(team_id)
    return {pk: _teams_below(children, teams) for pk, teams in managed.items()}


def _teams_below(children: dict[int | None, list[int]], managed: list[int]) -> set[int]:
    seen: set[int] = set()
    while managed:
        team_id = managed.pop()
        if team_id not in seen:
            seen.add(team_id)
            managed.extend(children.get(team_id, []))
    return seen


def report_team_ids(user) -> set[int] | None:
    """The teams whose figures a report shows the user: None (every team) for admins and
    HR, the teams a manager manages and their sub-teams, nothing for anyone else."""
    role = role_of(user)
    if role in (Role.ADMIN, Role.HR):
        return None
    me = employee_of(user)
    return managed_team_ids(me) if role == Role.MANAGER and me else set()


def customer_scope(role: str | None, employee: Employee | None, prefix: str = "") -> Q | None:
    """The customers this role and person see in full, as a filter on a queryset whose
    customer is reached through `prefix` ("" for Customer itself, "customer__" for its
    records); None means every customer."""
    if role in ("admin", "integration"):
        return None
    if role == "hr":
        from handover.models import HandoverTask

        # Customers in a handover plan, while it is not cancelled (the person stayed).
        in_plans = HandoverTask.objects.exclude(plan__status="cancelled").values("customer_id")
        return Q(**{f"{prefix}pk__in" if not prefix else f"{prefix}id__in": in_plans})
    if employee is None:
        return Q(pk__in=[])
    from staff.models import AccessGrant

    # The granted customers and the managed teams' people are read here, as lists of
    # ids: the filter is then a few lists of ids on the owner and primary key indexes
    # that PostgreSQL combines (a bitmap OR), where subqueries and joins to the owners'
    # teams inside an OR made it test every customer of a million.
    granted = list(AccessGrant.live_customer_ids(employee).values_list("customer_id", flat=True))
    own = (
        Q(**{f"{prefix}primary_owner": employee})
        | Q(**{f"{prefix}secondary_owner": employee})
        | Q(**{f"{prefix}pk__in" if not prefix else f"{prefix}id__in": granted})
    )
    if role == "manager":
        teams = managed_team_ids(employee)
        members = list(Employee.objects.filter(team__in=teams).values_list("pk", flat=True))
        return (
            own
            | Q(**{f"{prefix}primary_owner__in": members})
            | Q(**{f"{prefix}secondary_owner__in": members})
        )
    return own


def is_leaving(employee: Employee | None, today=None) -> bool:
    """Departing, or within EXPORT_WATCH_DEPARTURE_DAYS of a recorded last day."""
    import datetime as dt

    from django.conf import settings

    if employee is None:
        return False
    if employee.status == Employee.Status.DEPARTING:
        return True
    today = today or timezone.localdate()
    notice = dt.timedelta(days=settings.EXPORT_WATCH_DEPARTURE_DAYS)
    return employee.departure_date is not None and today >= employee.departure_date - notice


def sees_employee(user, employee: Employee) -> bool:
    """HR and admins see every employee's departure; a manager those in the teams they
    manage (and sub-teams) and their direct reports."""
    role = role_of(user)
    if role in (Role.ADMIN, Role.HR):
        return True
    me = employee_of(user)
    if role != Role.MANAGER or me is None:
        return False
    return employee.manager_id == me.pk or employee.team_id in managed_team_ids(me)


def employee_scope(user, prefix: str = "") -> Q | None:
    """The employees whose departures `user` sees, as a filter (None: all); see
    sees_employee."""
    return departure_scope(role_of(user), employee_of(user), prefix)


def departure_scope(role: str | None, employee: Employee | None, prefix: str = "") -> Q | None:
    """Whose departure (the handover plan: last day, reason, voluntary or not) this role
    and person see, as a filter on employees reached through `prefix` (None: everyone's):
    HR, admins and integrations all; a manager the people of the teams they manage (and
    below) and their direct reports; nobody else anyone's plan (an account manager sees
    their own handover steps and tasks, not a plan). The plan pages, the handover-plans
    API and the admin's plans read it."""
    if role in (Role.ADMIN, Role.HR, "integration"):
        return None
    if role != Role.MANAGER or employee is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}manager": employee}) | Q(
        **{f"{prefix}team__in": managed_team_ids(employee)}
    )


def departures_seen_by(user) -> set[int] | None:
    """The ids of the employees whose departure (their last day) `user` may read, as
    sees_employee rules, plus themself; None: everyone's. Texts that name an owner's
    last day (a reason, an alert, the customer page's handover line) follow it. Worked
    out once per user object (one query for a manager)."""
    cached = getattr(user, "_departures_seen", False)
    if cached is not False:
        return cached
    scope = employee_scope(user)
    me = employee_of(user)
    if scope is None:
        seen = None
    elif role_of(user) == Role.MANAGER and me is not None:
        seen = set(Employee.objects.filter(scope).values_list("pk", flat=True))
    else:
        seen = set()
    if seen is not None and me is not None:
        seen.add(me.pk)
    with contextlib.suppress(AttributeError):  # AnonymousUser takes no attributes
        user._departures_seen = seen
    return seen


#: The refusal of someone leaving as an owner, successor or grantee, worded for a reader
#: who may not know of the departure: it names no departure.
CANNOT_TAKE_CUSTOMERS_NOW = gettext_noop("%(name)s cannot take customers over at the moment.")


def offered_people(user, people: QuerySet[Employee]) -> QuerySet[Employee]:
    """The people of `people` a list offers `user` to choose as owner, successor or
    grantee: the active ones, and those leaving whose departure `user` may not read
    (departures_seen_by). A list that left the latter out would tell who is leaving;
    choosing one is refused without saying why (unable_as_read_by)."""
    seen = departures_seen_by(user)
    active = Q(status=Employee.Status.ACTIVE)
    if seen is None:
        return people.filter(active)
    # Past their last day they have left (their access ended): no one's secret, not offered.
    leaving = Q(status=Employee.Status.DEPARTING, departure_date__gte=timezone.localdate())
    return people.filter(active | (leaving & ~Q(pk__in=seen)))


def unable_as_read_by(user, unable: dict[int, str]) -> dict[int, str]:
    """Employee.cannot_own_customers's reasons as `user` may read them: someone leaving
    whose departure `user` may not read is refused as CANNOT_TAKE_CUSTOMERS_NOW, the
    others as they are. `user` None (the system itself) reads every reason."""
    if user is None:
        return unable
    seen = departures_seen_by(user)
    if seen is None:
        return unable
    return {
        pk: Worded(CANNOT_TAKE_CUSTOMERS_NOW, name=reason.params["name"])
        if pk not in seen and getattr(reason, "code", None) == Employee.LEAVING_REFUSAL
        else reason
        for pk, reason in unable.items()
    }


def departures_seen_by_each(employees) -> dict[int, set[int] | None]:
    """departures_seen_by for many people at once, by employee id, with the same rule
    (sees_employee): None for admins (superusers) and HR; a manager the people of the
    teams they manage and below and their direct reports; everyone themself. The people
    come with their user (select_related("user")); one without a user account reads
    no one's departure. Two queries whatever their number (the team tree, then the
    managers' people), none when no one is a manager."""
    seen: dict[int, set[int] | None] = {}
    managers = []
    for employee in employees:
        user = employee.user
        role = None if user is None else Role.ADMIN if user.is_superuser else employee.role
        if user is None:
            seen[employee.pk] = set()
        elif role in (Role.ADMIN, Role.HR):
            seen[employee.pk] = None
        else:
            seen[employee.pk] = {employee.pk}
            if role == Role.MANAGER:
                managers.append(employee.pk)
    if managers:
        teams = managed_team_ids_of_each(managers)
        all_teams = set().union(*teams.values())
        people = Employee.objects.filter(Q(manager__in=managers) | Q(team__in=all_teams))
        managers_of_team: dict[int, list[int]] = {}
        for manager, their_teams in teams.items():
            for team_id in their_teams:
                managers_of_team.setdefault(team_id, []).append(manager)
        for pk, manager_id, team_id in people.values_list("pk", "manager_id", "team_id"):
            for manager in {manager_id} & teams.keys() | set(managers_of_team.get(team_id, ())):
                seen[manager].add(pk)
    return seen


def sees_departure_of(user, employee_id: int | None) -> bool:
    seen = departures_seen_by(user)
    return seen is None or (employee_id is not None and employee_id in seen)


def employee_fields(model) -> list[str]:
    """The names of `model`'s fields that point at an employee (owners, routing, who)."""
    return [
        field.name
        for field in model._meta.fields
        if field.is_relation and field.related_model is Employee
    ]


class VisibleInAdmin:
    """Admin mixin: the Django admin lists and opens only the customers (or their records,
    through `customer_prefix`) that staff/access.py lets the signed-in person see, so a
    staff account that is not an admin sees no more there than in the app."""

    customer_prefix = ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not sees_records(role_of(request.user), self.model._meta.model_name):
            return queryset.none()  # HR: names, values and handover status only
        return visible_to(request.user, queryset, self.customer_prefix)

    def changelist_view(self, request, extra_context=None):
        """A list page of customer records is a read like an API list: audited with its
        rows, and within a leaver's daily allowance (staff/reads.py)."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is None:
            return response
        rows = len(changelist.result_list)
        refused = self._read(request, rows, detail={"admin": request.path})
        return refused or response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        return self._record_page_read(request, response)

    def get_actions(self, request):
        """The "Delete selected" action first shows a page listing every selected record
        and what would go with it: a read like a list page, audited with its rows and
        within a leaver's allowance (select_across lists a whole table)."""
        actions = super().get_actions(request)
        if "delete_selected" not in actions:
            return actions
        delete_selected, name, description = actions["delete_selected"]

        def read_then_delete_selected(modeladmin, request, queryset):
            if not request.POST.get("post"):  # the confirmation page, not the deletion
                _, counts, _, _ = modeladmin.get_deleted_objects(queryset, request)
                refused = modeladmin._read(
                    request,
                    sum(counts.values()) or queryset.count(),
                    detail={"admin": request.path, "action": "delete_selected"},
                )
                if refused:
                    return refused
            return delete_selected(modeladmin, request, queryset)

        actions["delete_selected"] = (read_then_delete_selected, name, description)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        # The confirmation page lists the record and what would go with it: a read too.
        response = super().delete_view(request, object_id, extra_context)
        return self._record_page_read(request, response, "object")

    def _record_page_read(self, request, response, key: str = "original"):
        """One record opened (GET): one event for it, and one per kind of record shown
        inline with it (a customer's contacts and contracts) with their rows; all of them
        count towards a leaver's allowance."""
        context = getattr(response, "context_data", None) or {}
        obj = context.get(key)
        if request.method != "GET" or not isinstance(obj, self.model):
            return response
        customer_id = obj.pk if not self.customer_prefix else obj.customer_id
        inline_rows = {}
        for inline in context.get("inline_admin_formsets", []):
            formset = inline.formset
            kind = formset.model._meta.model_name
            inline_rows[kind] = inline_rows.get(kind, 0) + formset.initial_form_count()
        events = [(self.model._meta.model_name, 1, {"object_id": obj.pk})]
        events += [(kind, rows, {}) for kind, rows in inline_rows.items() if rows]
        refused = self._read(
            request, events, customer_id=customer_id, detail={"admin": request.path}
        )
        return refused or response

    def _read(self, request, events, **fields):
        """`events`: a number of rows of this model, or (kind, rows, fields) per kind read.
        None if the reads are recorded; a 403 if a leaver's allowance needs approval."""
        from django.http import HttpResponseForbidden
        from django.urls import reverse

        from staff import audit
        from staff.reads import approval_message, read_within_allowance

        kind = self.model._meta.model_name
        if isinstance(events, int):
            events = [(kind, events, {})]
        total = sum(rows for _, rows, _ in events)

        def record():
            for event_kind, rows, own in events:
                audit.record_read(event_kind, rows, **{**fields, **own})

        pending = read_within_allowance(
            employee_of(request.user),
            kind,
            total,
            record,
            request.build_absolute_uri(reverse("export_requests")),
        )
        if pending is not None:
            return HttpResponseForbidden(approval_message(pending.pk, kind))
        return None

    def get_readonly_fields(self, request, obj=None):
        """Picking an owner or any other employee (a customer's owners, an interaction's
        employee, an alert's routing, a successor) is for admins: owners change through
        the app's handover and reassignment, which check who may take a customer."""
        fields = list(super().get_readonly_fields(request, obj))
        if role_of(request.user) != Role.ADMIN:
            fields += [name for name in employee_fields(self.model) if name not in fields]
        return fields

    def save_model(self, request, obj, form, change):
        # A record a staff member adds is theirs (its employee field is read-only to them).
        me = employee_of(request.user)
        if (
            not change
            and me is not None
            and role_of(request.user) != Role.ADMIN
            and "employee" in employee_fields(self.model)
            and obj.employee_id is None
        ):
            obj.employee = me
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A record can only be added to (or moved to) a customer the person sees.
        from customers.models import Customer

        if db_field.related_model is Customer:
            kwargs["queryset"] = visible_to(request.user, Customer.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
