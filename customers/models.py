"""The company's central record of its customers: who they are, who owns them, what they
buy and every contact with them. It belongs to the company, not to any one rep."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from customers.currency import CurrencyFieldsChecked
from retention.days import EARLIEST_DAY, before_earliest_day, on_or_after_earliest_day
from retention.email_address import InternationalEmailField
from retention.satisfaction import SatisfactionField
from retention.text_input import validate_identifier
from retention.text_limits import LimitedTextField
from retention.wording import Day, Moment, Worded, label, reword
from staff.models import Employee

# One set of bounds for the dates people and systems send, applied by every door through
# the models' row_errors (clean(), the bulk upsert, the file import).
# EARLIEST_DAY: retention/days.py.
# Dates that may lie ahead (a contract's term) reach at most this many years past today:
# a contract can run for decades, a year 2999 or 9999 is a typing slip.
LATEST_YEARS_AHEAD = 100
# An auto-renewing contract runs at least a month: its end at least 27 days after its
# start, so 28 days counting both, which a February monthly plan (1-28 Feb) just reaches.
# Shorter terms would renew daily or weekly for ever (a one-day term from 2000 is
# thousands of follow-ons in one night); contracts that do not renew may be as short as
# a day.
SHORTEST_RENEWING_TERM_DAYS = 27


def latest_day() -> dt.date:
    """The last day a date that may lie ahead can be: LATEST_YEARS_AHEAD from today."""
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + LATEST_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + LATEST_YEARS_AHEAD, day=28)


def day_errors(row: dict, *, past: tuple[str, ...] = (), any_time: tuple[str, ...] = ()):
    """Errors of the dates in `row`: none before EARLIEST_DAY; those named in `past` not
    after today either (a date that has not come yet cannot have happened), those in
    `any_time` not after `latest_day()`."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    latest = latest_day()
    for name in past + any_time:
        day = row.get(name)
        if day is None:
            continue
        if day < EARLIEST_DAY:
            errors[name] = before_earliest_day(day)
        elif name in any_time and day > latest:
            errors[name] = Worded(
                gettext_noop(
                    "%(day)s is more than %(years)s years ahead (after %(latest)s); check the year."
                ),
                day=Day(day),
                years=LATEST_YEARS_AHEAD,
                latest=Day(latest),
            )
        elif name in past and day > today:
            errors[name] = Worded(
                gettext_noop("%(day)s is in the future; give a day that has happened."),
                day=Day(day),
            )
    return errors


class Segment(models.TextChoices):
    CORE = "core", _("Core")
    IMPORTANT = "important", _("Important")
    GENERAL = "general", _("General")


class ChurnReason(models.TextChoices):
    CONTRACT_EXPIRED = "contract_expired", _("Contract expired")
    PRICE = "price", _("Price")
    CONVENIENCE = "convenience", _("Convenience")
    QUALITY = "quality", _("Quality")
    SERVICE = "service", _("Service")
    COMPETITOR = "competitor", _("Went to a competitor")
    FOLLOWED_EMPLOYEE = "followed_employee", _("Followed a departed employee")
    BUSINESS_CLOSED = "business_closed", _("Business closed or acquired")
    OTHER = "other", _("Other")


class OwnerRole(models.TextChoices):
    PRIMARY = "primary", _("Primary owner")
    SECONDARY = "secondary", _("Secondary owner")


# A record that belongs to another customer, as every door says it (checks, the write's
# re-check under lock, forms and the admin), by the kind of record.
_MOVED = {
    "Contact": gettext_noop(
        "Contact %(key)s belongs to customer %(customer)s; it cannot move to another customer."
    ),
    "Contract": gettext_noop(
        "Contract %(key)s belongs to customer %(customer)s; it cannot move to another customer."
    ),
}


def moved_message(noun: str, key, customer_key) -> Worded:
    """ "Contact 'P-1' belongs to customer 'C-1'; it cannot move to another customer." """
    return Worded(_MOVED[noun], key=repr(key), customer=repr(customer_key))


def moved_between_customers(
    model: type[models.Model], rows: list[tuple[int, dict]], noun: str
) -> list[tuple[int, str, str]]:
    """Rows that name a stored record (by external id) under another customer than the
    one it belongs to: a contract or contact does not move between customers (its
    renewals, and the interactions naming the contact, stay with the first). One query."""
    keys = {row["external_id"] for _, row in rows if row.get("external_id")}
    if not keys:
        return []
    stored = {
        key: (customer_id, customer_key)
        for key, customer_id, customer_key in model.objects.filter(
            external_id__in=keys
        ).values_list("external_id", "customer_id", "customer__external_id")
    }
    return [
        (
            index,
            "customer",
            moved_message(noun, row["external_id"], stored[row["external_id"]][1]),
        )
        for index, row in rows
        if row.get("external_id") in stored
        and row.get("customer_id") is not None
        and stored[row["external_id"]][0] != row["customer_id"]
    ]


def _moved_error(instance: models.Model, noun: str) -> dict[str, str]:
    """clean()'s side of moved_between_customers, for a record edited one at a time."""
    if instance.pk is None or instance.customer_id is None:
        return {}
    stored = (
        type(instance)
        .objects.filter(pk=instance.pk)
        .values_list("customer_id", "customer__external_id")
        .first()
    )
    if stored is None or stored[0] == instance.customer_id:
        return {}
    name = instance.external_id or instance.pk
    return {"customer": moved_message(noun, name, stored[1])}


class Customer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CHURNED = "churned", _("Churned")

    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=64, unique=True, validators=[validate_identifier])
    segment = models.CharField(max_length=12, choices=Segment.choices, default=Segment.GENERAL)
    industry = models.CharField(max_length=80, blank=True)
    region = models.CharField(max_length=80, blank=True, db_index=True)
    customer_since = models.DateField(
        help_text=_("Start of the relationship; tenure counts from here.")
    )
    primary_owner = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="primary_customers",
        db_index=False,
    )
    secondary_owner = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secondary_customers",
        help_text=_("The inside/back-office owner, so no important account is single-threaded."),
        db_index=False,
    )
    # Looked up through customer_status_churned, which it leads.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    churned_on = models.DateField(null=True, blank=True)
    churn_reason = models.CharField(max_length=24, choices=ChurnReason.choices, blank=True)
    churn_reason_detail = LimitedTextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["primary_owner", "status"], name="customer_owner_status"),
            models.Index(fields=["secondary_owner", "status"], name="customer_owner2_status"),
            models.Index(fields=["status", "churned_on"], name="customer_status_churned"),
            # The customers list by name, keyset-paged: the index is in the column's
            # "names" collation (migration 0015), the order people read.
            models.Index(fields=["name", "id"], name="customer_name_id"),
            # Search matches the start of the external id in any case ("c0000" finds
            # C0000005): UPPER(external_id) LIKE 'C0000%'. That arm is read from the
            # index customer_external_id_prefix (UPPER(external_id) text_pattern_ops,
            # migration 0039, PostgreSQL only), which serves a prefix in any collation
            # and a whole id too, so PostgreSQL combines it with the trigram index on
            # the name (0018) instead of reading every customer.
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status="active", churned_on__isnull=True)
                    | Q(status="churned", churned_on__isnull=False) & ~Q(churn_reason="")
                ),
                name="customer_churn_fields_match_status",
                violation_error_message=_(
                    "A churned customer needs a churn date and reason; an active one has neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(secondary_owner__isnull=True) | ~Q(secondary_owner=F("primary_owner")),
                name="customer_owners_differ",
                violation_error_message=_(
                    "The secondary owner must be someone other than the primary."
                ),
            ),
            models.CheckConstraint(
                condition=Q(churned_on__isnull=True) | Q(churned_on__gte=F("customer_since")),
                name="customer_churn_after_start",
                violation_error_message=_(
                    "A customer cannot churn before the relationship started."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(
        self,
        *args,
        changed_by: Employee | None = None,
        change_reason: str = "",
        change_reason_params: dict | None = None,
        change_on: dt.date | None = None,
        **kwargs,
    ):
        """Save; an owner change closes the role's ownership period and opens the new
        owner's on `change_on` (today unless given: a handover done after the leaver's
        last day dates it on that day, as the last-day job does)."""
        with transaction.atomic():
            super().save(*args, **kwargs)
            for role, field in (
                (OwnerRole.PRIMARY, "primary_owner"),
                (OwnerRole.SECONDARY, "secondary_owner"),
            ):
                new_id = getattr(self, f"{field}_id")
                if new_id != self._loaded_owner(field):
                    OwnershipPeriod.record_change(
                        customer=self,
                        role=role,
                        new_owner_id=new_id,
                        on=change_on or timezone.localdate(),
                        changed_by=changed_by,
                        reason=change_reason,
                        reason_params=change_reason_params,
                    )
            self._loaded_owners = (self.primary_owner_id, self.secondary_owner_id)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so save() can tell an ownership change and write the history.
        instance._loaded_owners = (
            instance.__dict__.get("primary_owner_id"),
            instance.__dict__.get("secondary_owner_id"),
        )
        return instance

    @staticmethod
    def row_errors(row: dict) -> dict[str, str]:
        """The rules on one customer's own fields, for every door (clean() here, the bulk
        upsert and the file import in customers/upsert/)."""
        errors: dict[str, str] = {}
        if row["status"] == Customer.Status.CHURNED:
            if not row["churned_on"]:
                errors["churned_on"] = Worded(
                    gettext_noop("A churned customer needs the date it churned.")
                )
            if not row["churn_reason"]:
                errors["churn_reason"] = Worded(
                    gettext_noop("Every lost customer gets a churn reason.")
                )
        else:
            if row["churned_on"]:
                errors["churned_on"] = Worded(
                    gettext_noop("An active customer cannot have a churn date.")
                )
            if row["churn_reason"]:
                errors["churn_reason"] = Worded(
                    gettext_noop("An active customer cannot have a churn reason.")
                )
        if (
            row["churned_on"]
            and row["customer_since"]
            and row["churned_on"] < row["customer_since"]
        ):
            errors["churned_on"] = Worded(
                gettext_noop(
                    "The churn date %(churned_on)s is before the customer start %(since)s."
                ),
                churned_on=str(row["churned_on"]),
                since=str(row["customer_since"]),
            )
        if row["primary_owner_id"] and row["primary_owner_id"] == row["secondary_owner_id"]:
            errors["secondary_owner"] = Worded(
                gettext_noop("The secondary owner must be someone other than the primary.")
            )
        return day_errors(row, past=("customer_since", "churned_on")) | errors

    def clean(self) -> None:
        errors = self.row_errors(
            {
                name: getattr(self, name)
                for name in (
                    "status",
                    "churned_on",
                    "churn_reason",
                    "customer_since",
                    "primary_owner_id",
                    "secondary_owner_id",
                )
            }
        )
        new_owners = {
            field: getattr(self, f"{field}_id")
            for field in ("primary_owner", "secondary_owner")
            if getattr(self, f"{field}_id") is not None
            and getattr(self, f"{field}_id") != self._loaded_owner(field)
        }
        unable = Employee.cannot_own_customers(new_owners.values())
        for field, owner_id in new_owners.items():
            if owner_id in unable:
                errors.setdefault(field, unable[owner_id])
        if errors:
            raise ValidationError(errors)

    def _loaded_owner(self, field: str) -> int | None:
        loaded = getattr(self, "_loaded_owners", (None, None))
        return loaded[0] if field == "primary_owner" else loaded[1]


class OwnershipReason:
    """Why the system changed an owner: stored in OwnershipPeriod.reason as one of these
    codes (with its figures in reason_params) and worded in each reader's language; a
    reason anything else stores is shown as written."""

    IMPORT = "import"
    ADMIN = "admin"
    HANDOVER_LEAVES = "handover_leaves"
    HANDOVER_LEFT = "handover_left"
    OWNER_LEFT = "owner_left"

    @classmethod
    def text(cls, reason: str, params: dict | None) -> str:
        from django.utils.formats import date_format
        from django.utils.translation import gettext

        params = params or {}
        if reason in (cls.HANDOVER_LEAVES, cls.HANDOVER_LEFT):
            values = {"name": params.get("name", ""), "day": params.get("day", "")}
            with contextlib.suppress(TypeError, ValueError):
                values["day"] = date_format(dt.date.fromisoformat(values["day"]))
            if reason == cls.HANDOVER_LEAVES:
                return gettext("Handover: %(name)s leaves on %(day)s") % values
            return gettext("Handover: %(name)s left on %(day)s") % values
        if reason == cls.IMPORT:
            return gettext("Set by import")
        if reason == cls.ADMIN:
            return gettext("Changed in the admin")
        if reason == cls.OWNER_LEFT:
            return gettext("Previous owner left the company")
        return reason


class OwnershipPeriod(models.Model):
    """Who owned which customer, in which role, from when to when.

    Written on every owner change so later questions ("what happened to the customers
    after their owner left?") have an answer. An open period has no end date."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="ownership_periods", db_index=False
    )
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="ownership_periods", db_index=False
    )
    role = models.CharField(max_length=10, choices=OwnerRole.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    changed_by = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(
        max_length=200, blank=True, help_text=_("An OwnershipReason code, or words as written.")
    )
    reason_params = models.JSONField(
        null=True, blank=True, help_text=_("The figures of the reason's code (names, ISO days).")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "role", "started_on"]
        indexes = [
            models.Index(fields=["employee", "ended_on"], name="ownership_employee_end"),
            models.Index(fields=["customer", "started_on"], name="ownership_customer_start"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "role"],
                condition=Q(ended_on__isnull=True),
                name="one_open_ownership_per_role",
                violation_error_message=_("A customer has one current owner per role."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="ownership_end_after_start",
                violation_error_message=_("An ownership period cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.role} of {self.customer} from {self.started_on}"

    @property
    def reason_text(self) -> str:
        """Why the owner changed, in the active language."""
        return OwnershipReason.text(self.reason, self.reason_params)

    @classmethod
    def record_change(
        cls,
        *,
        customer: Customer,
        role: str,
        new_owner_id: int | None,
        on: dt.date,
        changed_by: Employee | None = None,
        reason: str = "",
        reason_params: dict | None = None,
    ) -> None:
        """Close the open period for this role and open one for the new owner (if any)."""
        open_period = (
            cls.objects.select_for_update()
            .filter(customer=customer, role=role, ended_on__isnull=True)
            .first()
        )
        if open_period is not None:
            if open_period.employee_id == new_owner_id:
                return
            open_period.ended_on = max(on, open_period.started_on)
            open_period.save(update_fields=["ended_on"])
        if new_owner_id is not None:
            cls.objects.create(
                customer=customer,
                employee_id=new_owner_id,
                role=role,
                started_on=on,
                changed_by=changed_by,
                reason=reason,
                reason_params=reason_params,
            )
        from staff import audit

        audit.record(
            "owner_change",
            "customer",
            customer.pk,
            customer_id=customer.pk,
            detail={
                "role": role,
                "from": open_period.employee_id if open_period else None,
                "to": new_owner_id,
                "reason": reason,
            },
        )


def app_external_id() -> str:
    """The external id of a record made in the app rather than sent by another system."""
    return f"app-{uuid.uuid4()}"


class NamedForExport(models.Model):
    """A record the export names by its external id and the import finds by it: one made
    in the app (a form, the admin, the API's single writes) with the field left empty gets
    one of its own ("app-" and a random UUID), so every exported row imports back."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.external_id:
            self.external_id = app_external_id()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "external_id"}
        super().save(*args, **kwargs)


class Contact(NamedForExport, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left the customer")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    external_id = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        default=app_external_id,
        validators=[validate_identifier],
    )
    name = models.CharField(max_length=160)
    role = models.CharField(max_length=120, blank=True, help_text=_("Job title at the customer."))
    email = InternationalEmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_decision_maker = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    known_since = models.DateField(
        default=timezone.localdate,
        help_text=_(
            "Since when we have this contact at the customer; scoring for an earlier "
            "day does not count them."
        ),
    )
    left_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["customer", "name"]
        indexes = [models.Index(fields=["customer", "status"], name="contact_customer_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", left_on__isnull=True)
                | Q(status="left", left_on__isnull=False),
                name="contact_left_has_date",
                violation_error_message=_(
                    "A contact who left needs the date; an active one has none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer})"

    @staticmethod
    def row_errors(row: dict) -> dict[str, str]:
        """The rules on one contact's own fields, for every door."""
        errors = day_errors(row, past=("known_since", "left_on"))
        known, left = row.get("known_since"), row["left_on"]
        if known and left and left < known and "left_on" not in errors:
            errors["left_on"] = Worded(
                gettext_noop("The leaving date %(left)s is before known since %(known)s."),
                left=str(left),
                known=str(known),
            )
        if row["status"] == Contact.Status.LEFT and not left:
            errors["left_on"] = Worded(gettext_noop("A contact who left needs the date they left."))
        if row["status"] == Contact.Status.ACTIVE and left:
            errors["left_on"] = Worded(
                gettext_noop("An active contact cannot have a leaving date; set status to left.")
            )
        return errors

    @staticmethod
    def batch_errors(rows: list[tuple[int, dict]]) -> list[tuple[int, str, str]]:
        """Rules that look at stored records, for many contacts with one query."""
        return moved_between_customers(Contact, rows, "Contact")

    def clean(self) -> None:
        errors = self.row_errors(
            {"status": self.status, "left_on": self.left_on, "known_since": self.known_since}
        )
        errors = {**_moved_error(self, "Contact"), **errors}
        if errors:
            raise ValidationError(errors)


class Contract(CurrencyFieldsChecked, models.Model):
    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Subscription")
        SERVICE = "service", _("Service agreement")
        LICENSE = "license", _("License")
        PROJECT = "project", _("Project")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RENEWED = "renewed", _("Renewed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contracts", db_index=False
    )
    external_id = models.CharField(max_length=64, unique=True, validators=[validate_identifier])
    start_date = models.DateField()
    end_date = models.DateField()
    annual_value = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[
            RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO currency code, e.g. EUR.")
        ],
    )
    # The annual value in the company's reporting currency, converted when the contract
    # is written (customers/currency.py); every sum, feature and figure reads this one.
    annual_value_reporting = models.DecimalField(
        "annual value (reporting currency)",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Empty only for contracts kept from before their currency had a rate."),
    )
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.SUBSCRIPTION)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    auto_renew = models.BooleanField(default=False)
    renewal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["customer", "-end_date"]
        indexes = [
            models.Index(fields=["customer", "end_date"], name="contract_customer_end"),
            models.Index(fields=["status", "end_date"], name="contract_status_end"),
            # The renewal lists walk contracts by end date and stop at a page.
            models.Index(fields=["end_date"], name="contract_end"),
            # "Next renewal within N days" over every customer (the customers list of an
            # admin): the window's live contracts read from the index alone, 65,000 at 1M
            # customers for 30 days (322 -> 143 ms for the list's count, docs/BENCHMARKS.md).
            models.Index(
                fields=["end_date", "customer"],
                name="contract_live_end_customer",
                condition=~Q(status__in=["cancelled", "expired"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="contract_end_after_start",
                violation_error_message=_("A contract cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(annual_value__gte=0),
                name="contract_value_not_negative",
                violation_error_message=_("The annual value cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.customer})"

    def save(self, *args, **kwargs):
        """Saved one at a time (admin, forms): recorded in the audit trail."""
        from customers.currency import fill_reporting_values
        from staff import audit

        created = self._state.adding
        fill_reporting_values([self])
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "annual_value_reporting"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            audit.record(
                "contract_change",
                "contract",
                self.external_id,
                customer_id=self.customer_id,
                detail={
                    "created": created,
                    "annual_value": str(self.annual_value),
                    "end_date": str(self.end_date),
                    "status": self.status,
                },
            )

    @staticmethod
    def row_errors(row: dict) -> dict[str, str]:
        """The rules on one contract's own fields, for every door (clean(), the bulk
        upsert, the file import) and for the nightly roll, which renews only contracts
        that keep them."""
        errors = day_errors(row, any_time=("start_date", "end_date"))
        start, end = row["start_date"], row["end_date"]
        if start and end and end < start:
            errors.setdefault(
                "end_date",
                Worded(
                    gettext_noop(
                        "The end date %(end_date)s is before the start date %(start_date)s."
                    ),
                    end_date=str(end),
                    start_date=str(start),
                ),
            )
        elif (
            start
            and end
            and row.get("auto_renew")
            and row.get("status", Contract.Status.ACTIVE) == Contract.Status.ACTIVE
            and (end - start).days < SHORTEST_RENEWING_TERM_DAYS
        ):
            # Only a contract that will renew: an ended, renewed or cancelled one keeps
            # whatever term it had (a contract cancelled mid-term ends on the day).
            errors.setdefault(
                "end_date",
                Worded(
                    gettext_noop(
                        "An auto-renewing contract must run at least %(shortest)s days (a "
                        "month); %(start_date)s to %(end_date)s is only %(days)s day(s). Give "
                        "a later end date or turn off auto-renew."
                    ),
                    shortest=SHORTEST_RENEWING_TERM_DAYS + 1,
                    start_date=str(start),
                    end_date=str(end),
                    days=(end - start).days + 1,
                ),
            )
        return errors

    @staticmethod
    def batch_errors(rows: list[tuple[int, dict]]) -> list[tuple[int, str, str]]:
        """Rules that look at stored records, for many contracts with a query each: a
        stored contract stays with its customer; its currency has a rate (and each row
        gets its value in the reporting currency)."""
        from customers.currency import contract_rows_errors

        return moved_between_customers(Contract, rows, "Contract") + contract_rows_errors(rows)

    def clean(self) -> None:
        from customers.currency import contract_rows_errors, currency_field_errors

        errors = self.row_errors(
            {
                "start_date": self.start_date,
                "end_date": self.end_date,
                "auto_renew": self.auto_renew,
                "status": self.status,
            }
        )
        errors.update(_moved_error(self, "Contract"))
        stored_renewal_of = (
            Contract.objects.filter(pk=self.pk).values_list("renewal_of_id", flat=True).first()
            if self.pk is not None
            else None
        )
        # Checked when set or changed here (a form without the field keeps what is stored).
        if self.renewal_of_id is not None and self.renewal_of_id != stored_renewal_of:
            if self.pk is not None and self.renewal_of_id == self.pk:
                errors["renewal_of"] = Worded(
                    gettext_noop("A contract cannot be a renewal of itself.")
                )
            elif self.customer_id is not None and (
                Contract.objects.filter(pk=self.renewal_of_id)
                .values_list("customer_id", flat=True)
                .first()
                != self.customer_id
            ):
                errors["renewal_of"] = Worded(
                    gettext_noop("The contract it renews belongs to another customer.")
                )
        if self.currency and self.start_date and not currency_field_errors(self):
            row = {
                "id": self.pk,
                "currency": self.currency,
                "annual_value": self.annual_value,
                "start_date": self.start_date,
            }
            for _, name, message in contract_rows_errors([(0, row)]):
                errors.setdefault(name, message)
        if errors:
            raise ValidationError(errors)


class Interaction(NamedForExport, models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        VISIT = "visit", _("Visit")
        COMPLAINT = "complaint", _("Complaint")
        SUPPORT_TICKET = "support_ticket", _("Support ticket")
        SURVEY = "survey", _("Survey")
        USAGE = "usage", _("Product usage")
        DISCOUNT_REQUEST = "discount_request", _("Discount request")
        RENEWAL_TALK = "renewal_talk", _("Renewal talk")
        NOTE = "note", _("Note")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound (customer to us)")
        OUTBOUND = "outbound", _("Outbound (us to customer)")
        INTERNAL = "internal", _("Internal / system")

    # Kinds where asking "how satisfied were they?" makes sense.
    RATED_KINDS = frozenset(
        {Kind.CALL, Kind.MEETING, Kind.VISIT, Kind.SURVEY, Kind.SUPPORT_TICKET, Kind.COMPLAINT}
    )

    # No single-column indexes on the two keys: the (key, happened_at) indexes below serve
    # every lookup by them, and each index costs time on every one of millions of inserts.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    employee = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
        db_index=False,
        help_text=_("Who handled it; empty for system events such as usage."),
    )
    # Indexed only where set (below): half of all interactions name no contact, and an
    # index entry for each of them would cost time on every insert and find nothing.
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.OUTBOUND
    )
    happened_at = models.DateTimeField()
    satisfaction = SatisfactionField(
        null=True,
        blank=True,
        help_text=_("1 (very unhappy) to 10 (delighted), where it applies."),
    )
    # One limit for the quick form, the admin, the API and the import.
    notes = LimitedTextField(blank=True, max_length=50_000)
    # Unique through the constraint below, which (unlike unique=True) adds no second
    # pattern-matching index on PostgreSQL. Interactions logged in the app get one
    # ("app-" and a random UUID), so every exported row imports back.
    external_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        default=app_external_id,
        validators=[validate_identifier],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-happened_at"]
        indexes = [
            models.Index(fields=["customer", "happened_at"], name="interaction_customer_time"),
            # By employee alone (not employee and time): a new row's entry goes to the end
            # of its employee's entries (ties are kept in row order), a page that stays in
            # memory, instead of a random place in the index. Serves ?employee= and the
            # check that an employee who is deleted has no interactions.
            models.Index(fields=["employee"], name="interaction_employee"),
            # All interactions by time (the admin's list, the API's ?ordering=happened_at,
            # training's windows): a page of the latest rows stays an index read at any
            # size. Its cost on insert is small where rows arrive in time order, as they do
            # from a live system (docs/BENCHMARKS.md, "Ingest").
            models.Index(fields=["happened_at"], name="interaction_time"),
            # The latest complaint and discount request before the scoring window, without
            # reading the other 97% of two years' interactions (customers/scoring/features.py).
            models.Index(
                fields=["customer", "kind", "happened_at"],
                condition=Q(kind__in=["complaint", "discount_request"]),
                name="interaction_rare_kind_time",
            ),
            models.Index(
                fields=["contact"],
                name="interaction_contact",
                condition=Q(contact__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=10),
                name="interaction_satisfaction_range",
                violation_error_message=_("Satisfaction is scored from 1 to 10."),
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                name="interaction_external_id_unique",
                violation_error_message=_("Another interaction has this external id."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.customer} at {self.happened_at:%Y-%m-%d}"

    # How far ahead of now an interaction may be dated (clocks and time zones differ).
    FUTURE_SLACK = dt.timedelta(days=1)
    EARLIEST_MOMENT = dt.datetime.combine(EARLIEST_DAY, dt.time(), dt.UTC)

    @classmethod
    def row_errors(cls, row: dict) -> dict[str, str]:
        """The rules on one interaction's own fields, for every door."""
        errors: dict[str, str] = {}
        if row["satisfaction"] is not None and row["kind"] not in cls.RATED_KINDS:
            errors["satisfaction"] = Worded(
                gettext_noop(
                    "An interaction of kind %(kind)s does not carry a satisfaction score."
                ),
                kind=(
                    label(cls.Kind(row["kind"]))
                    if row["kind"] in cls.Kind.values
                    else str(row["kind"])
                ),
            )
        happened = row["happened_at"]
        if happened and happened < cls.EARLIEST_MOMENT:
            errors["happened_at"] = before_earliest_day(happened.date())
        # The clock read directly (timezone.now() with USE_TZ): this runs once a row of
        # every bulk batch, and Django's settings lookup would cost more than the rule.
        elif happened and happened > dt.datetime.now(dt.UTC) + cls.FUTURE_SLACK:
            errors["happened_at"] = Worded(
                gettext_noop(
                    "%(moment)s is in the future; an interaction is logged once it happened."
                ),
                moment=Moment(row["happened_at"]),
            )
        return errors

    @staticmethod
    def batch_errors(rows: list[tuple[int, dict]]) -> list[tuple[int, str, str]]:
        """Rules that look at other records, for many interactions with one query: the
        contact must be one of the interaction's customer's."""
        contact_ids = {row["contact_id"] for _, row in rows if row.get("contact_id")}
        if not contact_ids:
            return []
        customer_of = dict(
            Contact.objects.filter(pk__in=contact_ids).values_list("id", "customer_id")
        )
        return [
            (index, "contact", Worded(gettext_noop("This contact belongs to another customer.")))
            for index, row in rows
            if row.get("contact_id") and customer_of.get(row["contact_id"]) != row["customer_id"]
        ]

    def clean(self) -> None:
        row = {
            name: getattr(self, name)
            for name in ("satisfaction", "kind", "happened_at", "contact_id", "customer_id")
        }
        errors = self.row_errors(row)
        for _index, name, message in self.batch_errors([(0, row)]) if self.customer_id else []:
            errors.setdefault(name, message)
        if errors:
            raise ValidationError(errors)


class UsageDay(models.Model):
    """One day's total of one product-usage event for a customer ("reports_run": 14).

    Integrations send daily totals (API `usage/bulk/`, CSV kind `usage`); the row for
    (customer, day, event) is replaced by what was last sent, so sending a day again is
    safe, and the nightly features read a few rows per customer instead of every click."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="usage_days", db_index=False
    )
    day = models.DateField(validators=[on_or_after_earliest_day])
    event = models.CharField(
        max_length=64, help_text=_('What was used, e.g. "logins", "reports_run", "seats_used".')
    )
    quantity = models.FloatField(
        validators=[MinValueValidator(0)], help_text=_("The day's total for this event.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "event"]
        indexes = [models.Index(fields=["day"], name="usageday_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "day", "event"],
                name="one_usage_total_per_customer_day_event",
                violation_error_message=_("A customer has one total per day and event."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0),
                name="usageday_quantity_not_negative",
                violation_error_message=_("A usage quantity is 0 or more."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day} {self.event}: {self.quantity:g}"


# The churn-scoring models live with the scoring code; imported here so the app (and
# `from customers.models import RiskScore`) finds them.
# The dashboard's nightly figures (customers/figures/models.py), for the same reason.
from customers.currency import ExchangeRate  # noqa: E402
from customers.figures.models import ChurnFigure, ExposureFigure, TierFigure  # noqa: E402
from customers.scoring.models import (  # noqa: E402
    InteractionDay,
    InteractionWindow,
    RiskModel,
    RiskScore,
    RiskScoreQuerySet,
    RiskTier,
    ScoringRun,
    StagedScore,
)

__all__ = [
    "ChurnFigure",
    "ChurnReason",
    "Contact",
    "Contract",
    "CsvImport",
    "Customer",
    "ExchangeRate",
    "ExposureFigure",
    "Interaction",
    "InteractionDay",
    "InteractionWindow",
    "OwnerRole",
    "OwnershipPeriod",
    "OwnershipReason",
    "RiskModel",
    "RiskScore",
    "RiskScoreQuerySet",
    "RiskTier",
    "ScoringRun",
    "Segment",
    "StagedScore",
    "TierFigure",
    "UsageDay",
]


def _import_path(instance: CsvImport, filename: str) -> str:
    """Where an upload is kept: a name of bounded length whatever the user's file was
    called (its full name stays in `original_name`), so the path always fits the
    file column and the file system, in any script."""
    stem, suffix = os.path.splitext(os.path.basename(filename))
    suffix = suffix if len(suffix) <= 8 else ""
    return f"imports/{timezone.now():%Y/%m}/{instance.kind}-{stem[:40]}{suffix}"


class CsvImport(models.Model):
    """One CSV file on its way in: uploaded, mapped, checked (dry run), imported. The
    Celery task doing the work writes its progress here; the page shows it."""

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        CONTACTS = "contacts", _("Contacts")
        CONTRACTS = "contracts", _("Contracts")
        INTERACTIONS = "interactions", _("Interactions")
        EXCHANGE_RATES = "exchange_rates", _("Exchange rates")
        USAGE = "usage", _("Product usage (daily totals)")
        TEAMS = "teams", _("Teams")
        EMPLOYEES = "employees", _("Employees")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded: map the columns")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")
        CANCELLED = "cancelled", _("Cancelled: nothing was written")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=_import_path)
    original_name = models.CharField(max_length=255)
    delimiter = models.CharField(
        max_length=1,
        default=",",
        help_text=_('"," or ";" for CSV, "x" for an Excel workbook.'),
    )
    decimal_mark = models.CharField(
        max_length=1,
        blank=True,
        choices=[(".", _("Point: 1,234.56")), (",", _("Comma: 1.234,56"))],
        help_text=_(
            "How the file writes numbers; empty: a point in comma-separated files, "
            "otherwise a number that reads two ways is refused."
        ),
    )
    date_order = models.CharField(
        max_length=3,
        blank=True,
        choices=[
            ("dmy", _("Day-month-year: 31.12.2025, 31/12/2025")),
            ("mdy", _("Month-day-year: 12/31/2025")),
            ("ymd", _("Year-month-day: 2025-12-31, 2025/12/31")),
        ],
        help_text=_(
            "How the file writes dates; empty: a date that reads two ways (01/02/2025) is refused."
        ),
    )
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, help_text=_("CSV column -> field."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    problem_count = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The error's English source and figures, to word it in the reader's language
    # (retention/wording.py).
    error_wording = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("%(kind)s from %(name)s") % {
            "kind": self.get_kind_display(),
            "name": self.original_name,
        }

    @property
    def error_text(self) -> str:
        """Why the check or import stopped, in the active language."""
        return reword({"message": self.error, **(self.error_wording or {})})

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    @property
    def working(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)
