"""What each kind of record takes: its columns and how each is read, the records it
names, its whole-row and batch rules, and for usage totals its own writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers import currency
from customers.models import (
    ChurnReason,
    Contact,
    Contract,
    Customer,
    ExchangeRate,
    Interaction,
    Segment,
    UsageDay,
)
from customers.row_values import (
    RowError,
    as_written,
    blank,
    choice,
    date,
    email,
    flag,
    moment,
    money,
    plain_number,
    rate,
    score,
    text,
)
from customers.row_values import currency as currency_code
from retention.wording import Day, Worded
from staff.models import Employee

MAX_ROWS = 10_000

# What a reference names that is not there, by the model it names.
NOT_FOUND = {
    "employee": gettext_noop("No employee with email or external id %(value)s."),
    "customer": gettext_noop("No customer with external id %(value)s."),
    "contact": gettext_noop("No contact with external id %(value)s."),
    "team": gettext_noop("No team with external id %(value)s."),
}
WRITE_BATCH = 1_000


# --- what each kind of record takes ------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # in the request, and the database column unless it is a reference
    parse: Callable
    required: bool = False
    default: object = None


@dataclass(frozen=True)
class Reference:
    name: str  # in the request
    column: str  # the database column it fills
    model: type[Model]
    key: str  # the field of `model` the request gives
    required: bool = False


@dataclass(frozen=True)
class Kind:
    model: type[Model]
    columns: list[Column]
    references: list[Reference] = field(default_factory=list)
    check: Callable[[dict], dict[str, str]] | None = None  # whole-row rules
    # rules across the batch and the database: [(index, row)] -> [(index, field, message)]
    batch_check: Callable[[list[tuple[int, dict]]], list[tuple[int, str, str]]] | None = None
    # database columns the checks compute (written, never sent)
    derived: tuple[str, ...] = ()
    # the key of a record that has no external id of its own, from its parsed row
    natural_key: Callable[[dict], str] | None = None
    has_updated_at: bool = True
    key: tuple[str, ...] = ("external_id",)  # what names a record (unique in a batch)
    # own writer: (rows, present) -> (created, updated)
    write: Callable[[list[dict], set[str] | None], tuple[int, int]] | None = None
    # own validation after the columns are parsed (references left as sent):
    # (rows, errors, present) -> clean rows; appends to errors
    validate: Callable[[list[dict], list[dict], set[str] | None], list[dict]] | None = None
    # column names an export of another system commonly uses for a field
    aliases: dict[str, str] = field(default_factory=dict)
    # a file of this kind is checked and written as one batch (its rows name each other)
    whole_file: bool = False
    # what a record of this kind is called in "Contact 'X' belongs to customer 'Y'; it
    # cannot move to another customer." when a record does not move between customers
    # (checked before the write and again, under lock, while writing)
    stays_with_customer: str = ""
    # what a row repeating another's key (of more than one field) is told, with %(row)s
    repeated_key: str = gettext_noop(
        "The same customer, day and event is also in row %(row)s of this request."
    )

    @property
    def fields(self) -> list[str]:
        return [c.name for c in self.columns] + [r.name for r in self.references]


def _length(model: type[Model], name: str) -> int:
    """The longest value the model (and so its forms and admin) takes for a field."""
    return model._meta.get_field(name).max_length


# Whole-row rules are the models' own (the same `row_errors` their clean() applies).
_check_customer = Customer.row_errors
_check_contact = Contact.row_errors
_check_contract = Contract.row_errors
_check_interaction = Interaction.row_errors


def _check_usage(row: dict) -> dict[str, str]:
    if row["day"] and row["day"] > timezone.localdate() + dt.timedelta(days=1):
        return {
            "day": Worded(
                gettext_noop("%(day)s is in the future; send totals of days that happened."),
                day=Day(row["day"]),
            )
        }
    return {}


def _quantity(value):
    """A day's total of a usage event: a number, 0 or more."""
    if blank(value):
        return None
    exact = plain_number(value)
    if exact.is_finite() and len(exact.normalize().as_tuple().digits) > 15:
        # Stored as a double: past 15 significant digits it would come back changed
        # (99999999999.99999 as 99999999999.99998), and a re-send of that "unchanged".
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s has more than 15 significant digits; a usage quantity keeps 15."
                ),
                value=repr(as_written(value)),
            )
        )
    number = float(exact)
    if not (0 <= number < 1e12):
        raise RowError(
            Worded(
                gettext_noop("%(value)s must be a number from 0 up to 999,999,999,999."),
                value=repr(value),
            )
        )
    return number


_quantity.reads_number = True


def _write_usage(rows: list[dict], present: set[str] | None = None) -> tuple[int, int]:
    """Each row replaces the stored total of its (customer, day, event): sending a day
    again, or a corrected total, is safe. Returns (created, updated); unchanged totals
    are not touched."""
    table = UsageDay._meta.db_table
    now = timezone.now()
    created = updated = 0
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            stored = set() if postgres else _stored_usage_keys(batch)
            params: list = []
            for row in batch:
                params.extend([row["customer_id"], row["day"], row["event"], row["quantity"], now])
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} (customer_id, day, event, quantity, updated_at) "
                f"VALUES {values} ON CONFLICT (customer_id, day, event) DO UPDATE "
                "SET quantity = EXCLUDED.quantity, updated_at = EXCLUDED.updated_at "
                f"WHERE {table}.quantity IS DISTINCT FROM EXCLUDED.quantity "
                # PostgreSQL says which rows the statement inserted (xmax 0); elsewhere a
                # written row is new when its key was not stored before the statement.
                + ("RETURNING (xmax = 0)" if postgres else "RETURNING customer_id, day, event"),
                params,
            )
            if postgres:
                inserted = [flag for (flag,) in cursor.fetchall()]
            else:
                inserted = [
                    (customer_id, str(day), event) not in stored
                    for customer_id, day, event in cursor.fetchall()
                ]
            created += sum(1 for flag in inserted if flag)
            updated += sum(1 for flag in inserted if not flag)
    return created, updated


def _stored_usage_keys(batch: list[dict]) -> set[tuple[int, str, str]]:
    """The (customer, day, event) of the batch that already have a total."""
    found = UsageDay.objects.filter(
        customer_id__in={row["customer_id"] for row in batch},
        day__in={row["day"] for row in batch},
        event__in={row["event"] for row in batch},
    ).values_list("customer_id", "day", "event")
    return {(customer_id, str(day), event) for customer_id, day, event in found}


KINDS: dict[str, Kind] = {
    "customers": Kind(
        Customer,
        [
            Column("external_id", text(64, names_a_record=True), required=True),
            Column("name", text(200), required=True),
            Column("segment", choice(Segment.values), default=Segment.GENERAL),
            Column("industry", text(80), default=""),
            Column("region", text(80), default=""),
            Column("customer_since", date, required=True),
            Column("status", choice(Customer.Status.values), default=Customer.Status.ACTIVE),
            Column("churned_on", date),
            Column("churn_reason", choice(ChurnReason.values), default=""),
            Column(
                "churn_reason_detail",
                text(_length(Customer, "churn_reason_detail")),
                default="",
            ),
        ],
        [
            Reference("primary_owner", "primary_owner_id", Employee, "email"),
            Reference("secondary_owner", "secondary_owner_id", Employee, "email"),
        ],
        _check_customer,
    ),
    "contacts": Kind(
        Contact,
        [
            Column("external_id", text(64, names_a_record=True), required=True),
            Column("name", text(160), required=True),
            Column("role", text(120), default=""),
            Column("email", email(_length(Contact, "email")), default=""),
            Column("phone", text(40), default=""),
            Column("is_decision_maker", flag, default=False),
            Column("status", choice(Contact.Status.values), default=Contact.Status.ACTIVE),
            Column("known_since", date),
            Column("left_on", date),
        ],
        [Reference("customer", "customer_id", Customer, "external_id", required=True)],
        _check_contact,
        batch_check=Contact.batch_errors,
        stays_with_customer="Contact",
    ),
    "contracts": Kind(
        Contract,
        [
            Column("external_id", text(64, names_a_record=True), required=True),
            Column("start_date", date, required=True),
            Column("end_date", date, required=True),
            Column("annual_value", money, required=True),
            Column("currency", currency_code, default=settings.REPORTING_CURRENCY),
            Column("kind", choice(Contract.Kind.values), default=Contract.Kind.SUBSCRIPTION),
            Column("status", choice(Contract.Status.values), default=Contract.Status.ACTIVE),
            Column("auto_renew", flag, default=False),
        ],
        [Reference("customer", "customer_id", Customer, "external_id", required=True)],
        _check_contract,
        batch_check=Contract.batch_errors,
        stays_with_customer="Contract",
        derived=("annual_value_reporting",),
    ),
    "interactions": Kind(
        Interaction,
        [
            Column("external_id", text(64, names_a_record=True), required=True),
            Column("kind", choice(Interaction.Kind.values), required=True),
            Column(
                "direction",
                choice(Interaction.Direction.values),
                default=Interaction.Direction.OUTBOUND,
            ),
            Column("happened_at", moment, required=True),
            Column("satisfaction", score),
            Column("notes", text(_length(Interaction, "notes")), default=""),
        ],
        [
            Reference("customer", "customer_id", Customer, "external_id", required=True),
            Reference("employee", "employee_id", Employee, "email"),
            Reference("contact", "contact_id", Contact, "external_id"),
        ],
        _check_interaction,
        batch_check=Interaction.batch_errors,
        has_updated_at=False,
    ),
    "exchange_rates": Kind(
        ExchangeRate,
        [
            Column("currency", currency_code, required=True),
            Column("day", date, required=True),
            Column("rate", rate, required=True),
        ],
        check=lambda row: (
            {
                "currency": Worded(
                    gettext_noop("%(currency)s is the reporting currency; its rate is always 1."),
                    currency=row["currency"],
                )
            }
            if row["currency"] == currency.reporting_currency()
            else {}
        ),
        batch_check=currency.rate_rows_errors,
        derived=("external_id",),
        natural_key=lambda row: currency.rate_external_id(row["currency"], row["day"]),
        key=("currency", "day"),
        repeated_key=gettext_noop(
            "The same currency and day is also in row %(row)s of this request."
        ),
    ),
    # Product usage: one day's total per customer and event name (models.UsageDay).
    "usage": Kind(
        UsageDay,
        [
            Column("day", date, required=True),
            Column("event", text(64), required=True),
            Column("quantity", _quantity, required=True),
        ],
        [Reference("customer", "customer_id", Customer, "external_id", required=True)],
        _check_usage,
        key=("customer_id", "day", "event"),
        write=_write_usage,
    ),
}
