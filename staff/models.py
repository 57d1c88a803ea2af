"""Teams and employees: the account owners whose departures the product guards against."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from retention.days import on_or_after_earliest_day
from retention.email_address import InternationalEmailField, email_key
from retention.text_input import validate_identifier
from retention.text_limits import LimitedTextField
from retention.wording import Day, Worded


def last_day_problem(last_day, *, today=None) -> str | None:
    """Why `last_day` cannot be recorded as a new departure's last day, or None. The one
    bound every door uses (page, API, employees import, admin): not more than
    DEPARTURE_GRACE_DAYS ago (a departure is recorded when it is announced) and not more
    than DEPARTURE_MAX_DAYS_AHEAD ahead (a notice period, not a date typed by mistake)."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext

    today = today or timezone.localdate()
    grace, ahead = settings.DEPARTURE_GRACE_DAYS, settings.DEPARTURE_MAX_DAYS_AHEAD
    if last_day < today - dt.timedelta(days=grace):
        return gettext(
            "The last day %(day)s is more than %(grace)d days in the past; record departures "
            "when they are announced."
        ) % {"day": date_format(last_day), "grace": grace}
    if last_day > today + dt.timedelta(days=ahead):
        return gettext(
            "The last day %(day)s is more than %(ahead)d days ahead; give the real last day "
            "(at the latest %(latest)s)."
        ) % {
            "day": date_format(last_day),
            "ahead": ahead,
            "latest": date_format(today + dt.timedelta(days=ahead)),
        }
    return None


def access_ended(status: str, departure_date, today=None) -> bool:
    """Left, or departing with the last day behind them (the last-day job may not have
    run yet): they may no longer own, take over or be given anything."""
    today = today or timezone.localdate()
    return status == Employee.Status.DEPARTED or (
        departure_date is not None and departure_date < today
    )


def goes_round(parent_of: dict, start) -> bool:
    """Whether following `parent_of` (a team's parent, an employee's manager) up from
    `start` comes back to it; a loop further up ends the walk without it."""
    seen, current = set(), parent_of.get(start)
    while current is not None and current not in seen:
        if current == start:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


class Team(models.Model):
    external_id = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("ID in the HR system."),
        validators=[validate_identifier],
    )
    name = models.CharField(max_length=120, unique=True)
    region = models.CharField(max_length=80, blank=True)
    manager = models.ForeignKey(
        "staff.Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A team cannot be its own parent.")})
        if self.parent_id and self.pk:
            # As the teams import refuses it: the parent must not sit below this team.
            parent_of = dict(
                Team.objects.filter(parent__isnull=False).values_list("id", "parent_id")
            )
            parent_of[self.pk] = self.parent_id
            if goes_round(parent_of, self.pk):
                raise ValidationError(
                    {
                        "parent": f"{self.parent.name!r} is below {self.name!r}: teams "
                        "would go round in a circle."
                    }
                )


class Employee(models.Model):
    class Role(models.TextChoices):
        ACCOUNT_MANAGER = "account_manager", _("Account manager")
        MANAGER = "manager", _("Manager")
        HR = "hr", _("HR")
        ADMIN = "admin", _("Admin")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DEPARTING = "departing", _("Departing")
        DEPARTED = "departed", _("Departed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )
    external_id = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("ID in the HR system."),
        validators=[validate_identifier],
    )
    name = models.CharField(max_length=160)
    email = InternationalEmailField(unique=True)
    # Unique without case: Ben.Berg@x and ben.berg@x are one person (set by save()).
    email_key = models.CharField(
        max_length=1000,
        unique=True,
        editable=False,
        help_text=_("The e-mail address as compared: case-folded, composed (email_key)."),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the pages and e-mails; empty: the browser's preference."),
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    is_key_employee = models.BooleanField(default=False)
    hired_on = models.DateField(validators=[on_or_after_earliest_day])
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    departure_date = models.DateField(
        null=True,
        blank=True,
        validators=[on_or_after_earliest_day],
        help_text=_("Last working day, once a departure is recorded."),
    )
    departure_announced_on = models.DateField(
        null=True,
        blank=True,
        validators=[on_or_after_earliest_day],
        help_text=_("When the company learned of the departure; risk counts from here."),
    )
    departure_reason = models.CharField(max_length=200, blank=True)
    departure_voluntary = models.BooleanField(
        null=True, blank=True, help_text=_("Resigned (yes) or let go (no); empty while unknown.")
    )
    confidentiality_until = models.DateField(
        null=True, blank=True, validators=[on_or_after_earliest_day]
    )
    non_compete_until = models.DateField(
        null=True, blank=True, validators=[on_or_after_earliest_day]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active") | Q(departure_date__isnull=False),
                name="employee_leaving_has_departure_date",
                violation_error_message=_(
                    "A departing or departed employee needs a departure date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(departure_date__isnull=True)
                | Q(departure_date__gte=models.F("hired_on")),
                name="employee_departure_after_hire",
                violation_error_message=_("The departure date cannot be before the hire date."),
            ),
            models.CheckConstraint(
                condition=Q(departure_announced_on__isnull=True)
                | Q(departure_announced_on__lte=models.F("departure_date")),
                name="employee_announced_before_departure",
                violation_error_message=_("A departure is announced on or before the last day."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.email_key = email_key(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)

    #: Why someone leaving may not own or take over customers (cannot_own_customers).
    LEAVING_REFUSAL = gettext_noop("%(name)s is leaving and cannot take customers over.")

    @classmethod
    def may_own_customers(cls, prefix: str = "") -> Q:
        """The people who may be given customers (as owner or successor), as a filter:
        the roles that look after a book (OWNER_ROLES), active (not leaving, not left),
        with a login that is not disabled. The lists that offer owners and successors
        read it; cannot_own_customers says why someone is not in it."""
        return Q(**{f"{prefix}role__in": OWNER_ROLES, f"{prefix}status": cls.Status.ACTIVE}) & ~Q(
            **{f"{prefix}user__is_active": False}
        )

    @classmethod
    def cannot_own_customers(cls, ids, today=None) -> dict[int, str]:
        """Of these employees, those who may not own or take over customers, each with
        the reason: the one rule of every door that gives a customer an owner (customer
        admin, bulk API, file import, handover successors, ownership changes, the
        last-day job). They left, their last day has passed (their access ended, even
        before the last-day job marks them departed), they are leaving, their login is
        disabled, or their role does not own customers (HR and admins do not: an HR
        owner could not see the customer's interactions, log contact or act on its
        alerts). One query."""
        ids = set(ids)
        if not ids:
            return {}
        unable = cls.cannot_work_on_customers(ids, today)
        for pk, name, status, role in cls.objects.filter(pk__in=ids - set(unable)).values_list(
            "pk", "name", "status", "role"
        ):
            if role not in OWNER_ROLES:
                unable[pk] = Worded(
                    gettext_noop(
                        "%(name)s's role is %(role)s: only account managers and managers own "
                        "or take over customers."
                    ),
                    name=name,
                    role=str(cls.Role(role).label) if role in cls.Role.values else role,
                )
            elif status == cls.Status.DEPARTING:
                unable[pk] = Worded(cls.LEAVING_REFUSAL, name=name)
        return unable

    @classmethod
    def cannot_work_on_customers(cls, ids, today=None) -> dict[int, str]:
        """Of these employees, those who may not be given work on customers (a handover
        step), each with the reason: they left, their last day has passed (their access
        ended, even before the last-day job marks them departed), or their login is
        disabled. One query."""
        ids = set(ids)
        if not ids:
            return {}
        unable = {}
        found = list(
            cls.objects.filter(pk__in=ids).values_list(
                "pk", "name", "status", "departure_date", "user__is_active"
            )
        )
        for pk in ids - {record[0] for record in found}:
            unable[pk] = Worded(gettext_noop("Unknown employee #%(id)s."), id=pk)
        for pk, name, status, departure_date, login_active in found:
            if status == cls.Status.DEPARTED:
                unable[pk] = Worded(
                    gettext_noop("%(name)s has left the company and cannot own customers."),
                    name=name,
                )
            elif access_ended(status, departure_date, today):
                unable[pk] = Worded(
                    gettext_noop(
                        "%(name)s's last day was %(day)s: their access has ended and they cannot "
                        "own or take over customers."
                    ),
                    name=name,
                    day=Day(departure_date),
                )
            elif login_active is False:
                unable[pk] = Worded(
                    gettext_noop("%(name)s's login is disabled; they cannot own customers."),
                    name=name,
                )
        return unable

    @classmethod
    def active_customers_owned(cls, ids) -> dict[int, int]:
        """How many active customers each of these employees owns, primary or secondary
        (only those who own any). Two queries."""
        from django.apps import apps
        from django.db.models import Count

        customers = apps.get_model("customers", "Customer").objects.filter(status="active")
        owned: dict[int, int] = {}
        for field in ("primary_owner_id", "secondary_owner_id"):
            for pk, n in (
                customers.filter(**{f"{field}__in": set(ids)})
                .values(field)
                .annotate(n=Count("id"))
                .values_list(field, "n")
            ):
                owned[pk] = owned.get(pk, 0) + n
        return owned

    @classmethod
    def role_change_problem(cls, name: str, role: str, owned: int) -> Worded | None:
        """Why someone who owns `owned` active customers cannot move to `role`: their
        customers would have an owner who may not see them (HR, admins). Their customers
        are handed over first (a departure's handover, or a new owner on each)."""
        if role in OWNER_ROLES or not owned:
            return None
        return Worded(
            gettext_noop(
                "%(name)s owns active customers (%(count)s): give them other owners before "
                "changing the role to %(role)s (only account managers and managers own "
                "customers)."
            ),
            name=name,
            count=owned,
            role=str(cls.Role(role).label) if role in cls.Role.values else role,
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_role = instance.__dict__.get("role")
        return instance

    _loaded_role: str | None = None

    @property
    def is_active_owner(self) -> bool:
        """Whether new customers may still be given to this person."""
        return self.status == self.Status.ACTIVE

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.email
            and Employee.objects.filter(email_key=email_key(self.email))
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["email"] = _("Another employee has this e-mail address.")
        if self.status != self.Status.ACTIVE and not self.departure_date:
            errors["departure_date"] = _("A departing or departed employee needs a departure date.")
        if self.departure_date and self.hired_on and self.departure_date < self.hired_on:
            errors["departure_date"] = _(
                "The departure date %(departure_date)s is before the hire date %(hired_on)s."
            ) % {"departure_date": self.departure_date, "hired_on": self.hired_on}
        if (
            self.departure_announced_on
            and self.departure_date
            and self.departure_announced_on > self.departure_date
        ):
            errors["departure_announced_on"] = _(
                "The departure was announced on %(announced_on)s, after the last day %(last_day)s."
            ) % {"announced_on": self.departure_announced_on, "last_day": self.departure_date}
        if self.manager_id and self.pk and self.manager_id == self.pk:
            errors["manager"] = _("An employee cannot be their own manager.")
        elif self.manager_id and self.pk:
            # As the employees import refuses it: the manager must not report to this
            # employee, however far down.
            manager_of = dict(
                Employee.objects.filter(manager__isnull=False).values_list("id", "manager_id")
            )
            manager_of[self.pk] = self.manager_id
            if goes_round(manager_of, self.pk):
                errors["manager"] = Worded(
                    gettext_noop(
                        "%(manager)s reports to %(employee)s: managers would go round in a circle."
                    ),
                    manager=repr(self.manager.name),
                    employee=repr(self.name),
                )
        ahead = settings.DEPARTURE_MAX_DAYS_AHEAD
        if self.departure_date and self.departure_date > timezone.localdate() + dt.timedelta(
            days=ahead
        ):
            errors["departure_date"] = last_day_problem(self.departure_date)
        errors.update(self._agreement_errors())
        if self.pk and self.role != self._loaded_role:
            owned = self.active_customers_owned([self.pk]).get(self.pk, 0)
            problem = self.role_change_problem(self.name, self.role, owned)
            if problem:
                errors["role"] = problem
        if errors:
            raise ValidationError(errors)

    def _agreement_errors(self) -> dict[str, str]:
        """Confidentiality and non-compete end dates: not before the hire date, and at most
        AGREEMENT_MAX_YEARS from today (a year typed as 9999 is a mistake)."""
        from django.utils.formats import date_format
        from django.utils.translation import gettext

        today = timezone.localdate()
        years = settings.AGREEMENT_MAX_YEARS
        latest = today + dt.timedelta(days=round(365.25 * years))
        errors = {}
        for field in ("confidentiality_until", "non_compete_until"):
            day = getattr(self, field)
            if day is None:
                continue
            if self.hired_on and day < self.hired_on:
                errors[field] = gettext("%(day)s is before the hire date %(hired)s.") % {
                    "day": date_format(day),
                    "hired": date_format(self.hired_on),
                }
            elif day > latest:
                errors[field] = gettext(
                    "%(day)s is more than %(years)d years ahead (at the latest %(latest)s)."
                ) % {"day": date_format(day), "years": years, "latest": date_format(latest)}
        return errors


#: The roles that own customers and take them over; HR and admins do not (README,
#: "Who may own a customer").
OWNER_ROLES = (Employee.Role.ACCOUNT_MANAGER, Employee.Role.MANAGER)


class ApiToken(models.Model):
    """A key for another system (or a person's script) to use the REST API. The key is
    shown once when the token is made; only its SHA-256 is stored. A token acts with the
    role of its user's employee record, or, for an integration without a user, with the
    role given here."""

    class Role(models.TextChoices):
        INTEGRATION = "integration", _("Integration (reads everything, imports data)")
        ACCOUNT_MANAGER = "account_manager", _("Account manager")
        MANAGER = "manager", _("Manager")
        HR = "hr", _("HR")
        ADMIN = "admin", _("Admin")

    PREFIX_LENGTH = 8

    name = models.CharField(max_length=100, help_text=_("Which system or script uses it."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("Acts as this user (and their role). Leave empty for an integration."),
    )
    role = models.CharField(
        max_length=16,
        choices=Role.choices,
        default=Role.INTEGRATION,
        help_text=_("The role of an integration token; a user's token has the user's role."),
    )
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        import hashlib

        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, name: str, user=None, role: str = Role.INTEGRATION, created_by=None):
        """Make a token; returns (token, key). The key is not stored and cannot be shown
        again."""
        token = cls(name=name, user=user, role=role, created_by=created_by)
        key = token.set_new_key()
        token.save()
        return token, key

    def set_new_key(self) -> str:
        import secrets

        key = "rt_" + secrets.token_urlsafe(32)
        self.prefix = key[3 : 3 + self.PREFIX_LENGTH]
        self.key_hash = self.hash(key)
        return key

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    def delete(self):
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """Who looked at, exported or changed customer data: when, from where, what (and,
    for exports, why). Append-only: the application never changes or deletes a record."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        OWNER_CHANGE = "owner_change", _("Changed the owner")
        CONTRACT_CHANGE = "contract_change", _("Changed a contract")
        SCORE_OVERRIDE = "score_override", _("Overrode a score")
        ACCESS_GRANT = "access_grant", _("Granted access to a customer")
        ACCESS_REVOKE = "access_revoke", _("Revoked access to a customer")
        JOB_RERUN = "job_rerun", _("Ran a nightly step again")
        IMPORT_CANCEL = "import_cancel", _("Cancelled a file import")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    employee = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        db_index=False,
    )
    token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.CharField(max_length=160, help_text=_("Who, as shown at the time."))
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    customer_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text=_("The customer concerned, if one.")
    )
    rows = models.PositiveIntegerField(default=1, help_text=_("Records viewed or exported."))
    reason = LimitedTextField(blank=True, max_length=2000, help_text=_("Required for exports."))
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["employee", "action", "at"], name="audit_employee_action_at")
        ]

    def __str__(self) -> str:
        return (
            f"{self.actor} {self.get_action_display().lower()} {self.object_type} {self.object_id}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")


class AccessWarning(models.Model):
    """Someone looked at or exported an unusual number of customers in a day, or exported
    while leaving (DOMAIN.md section 2): their manager and HR were told."""

    class Kind(models.TextChoices):
        UNUSUAL_VOLUME = "unusual_volume", _("Unusual number of customers viewed or exported")
        DEPARTING_EXPORT = "departing_export", _("Exported customer data while leaving")

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="access_warnings", db_index=False
    )
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    touched = models.PositiveIntegerField(
        help_text=_("Customer records viewed plus rows exported.")
    )
    daily_average = models.FloatField(help_text=_("The same over the 30 days before, per day."))
    exports = models.PositiveIntegerField(default=0)
    notified = models.JSONField(default=list, blank=True, help_text=_("Who was told (e-mail)."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "day", "kind"], name="one_access_warning_per_kind_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} on {self.day}: {self.get_kind_display()}"


class ExportRequest(models.Model):
    """An export asked for by someone who is leaving: it waits for their manager's
    approval and can then be used once."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="export_requests")
    kind = models.CharField(max_length=20)
    reason = LimitedTextField(max_length=500)
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    # The reason the system gives when a leaver's API reads pass the day's allowance
    # (staff/reads.py); stored in English, worded in the reader's language.
    API_READS = gettext_noop(
        "Reading more than %(allowance)s customer records in a day (%(kind)s)."
    )
    _API_READS = re.compile(r"Reading more than (\d+) customer records in a day \((.+)\)\.")

    def __str__(self) -> str:
        return f"{self.employee} asks to export {self.kind}"

    @property
    def reason_text(self) -> str:
        """The reason in the active language (the leaver's own words stay as written)."""
        match = self._API_READS.fullmatch(self.reason)
        if match:
            # the kind is stored in English (staff/reads.py): a label the catalogue words
            return _(self.API_READS) % {"allowance": match[1], "kind": _(match[2])}
        return self.reason


class AccessGrant(models.Model):
    """A manager lets an account manager see a customer in full (contacts, notes, contract
    values) for a while, beyond their own book: to prepare a handover, or to stand in."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="access_grants"
    )
    grantee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="access_grants", db_index=False
    )
    granted_by = models.ForeignKey(Employee, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200)
    until = models.DateField(help_text=_("The last day the access lasts."))
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["grantee", "until"], name="accessgrant_grantee_until")]

    def __str__(self) -> str:
        return f"{self.grantee} sees {self.customer} until {self.until}"

    @classmethod
    def live_customer_ids(cls, employee: Employee, today=None):
        """The customers `employee` has been granted today, as a subquery."""
        today = today or timezone.localdate()
        return cls.objects.filter(
            grantee=employee, until__gte=today, revoked_at__isnull=True
        ).values("customer_id")
