"""Bulk upserts keyed by external_id, for the API and the file import: the one place a
batch of records is validated and normalised, with the same rules (the models' own, see
`Interaction.row_errors` and friends) that forms and the admin apply one record at a time.

A batch is validated whole before anything is written: every bad row is reported with
its index, field and message, and a batch with any bad row writes nothing. Rows are then
COPYed into a temporary table and written with one INSERT ... ON CONFLICT DO NOTHING (the
new rows) and one UPDATE of the rows whose values differ, so sending the same batch twice
changes nothing the second time (not even updated_at) and does not even lock the rows. References to other records use their external
ids (customers, contacts, contracts) or e-mail addresses (employees), resolved with one
query per reference per batch.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Model
from django.db.models.functions import Lower
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
    OwnerRole,
    OwnershipPeriod,
    OwnershipReason,
    Segment,
    UsageDay,
)
from customers.row_values import (
    RowError,
    blank,
    choice,
    date,
    email,
    flag,
    moment,
    money,
    rate,
    score,
    storable,
    text,
)
from customers.row_values import currency as currency_code
from retention.email_address import email_key
from retention.wording import Worded
from staff import audit
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
                day=str(row["day"]),
            )
        }
    return {}


def _quantity(value):
    """A day's total of a usage event: a number, 0 or more."""
    if blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise RowError(
            Worded(gettext_noop("%(value)s is not a number."), value=repr(value))
        ) from None
    if not (0 <= number < 1e12):
        raise RowError(
            Worded(
                gettext_noop("%(value)s must be a number from 0 up to 999,999,999,999."),
                value=repr(value),
            )
        )
    return number


def _write_usage(rows: list[dict], present: set[str] | None = None) -> tuple[int, int]:
    """Each row replaces the stored total of its (customer, day, event): sending a day
    again, or a corrected total, is safe. Returns (created, updated); unchanged totals
    are not touched."""
    table = UsageDay._meta.db_table
    now = timezone.now()
    created = updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            params: list = []
            for row in batch:
                params.extend([row["customer_id"], row["day"], row["event"], row["quantity"], now])
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} (customer_id, day, event, quantity, updated_at) "
                f"VALUES {values} ON CONFLICT (customer_id, day, event) DO UPDATE "
                "SET quantity = EXCLUDED.quantity, updated_at = EXCLUDED.updated_at "
                f"WHERE {table}.quantity IS DISTINCT FROM EXCLUDED.quantity "
                + ("RETURNING (xmax = 0)" if connection.vendor == "postgresql" else "RETURNING 0"),
                params,
            )
            inserted = [flag for (flag,) in cursor.fetchall()]
            created += sum(1 for flag in inserted if flag)
            updated += sum(1 for flag in inserted if not flag)
    return created, updated


KINDS: dict[str, Kind] = {
    "customers": Kind(
        Customer,
        [
            Column("external_id", text(64), required=True),
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
            Column("external_id", text(64), required=True),
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
    ),
    "contracts": Kind(
        Contract,
        [
            Column("external_id", text(64), required=True),
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
        derived=("annual_value_reporting",),
    ),
    "interactions": Kind(
        Interaction,
        [
            Column("external_id", text(64), required=True),
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
        derived=("external_id",),
        natural_key=lambda row: currency.rate_external_id(row["currency"], row["day"]),
        key=("currency", "day"),
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


@dataclass
class Outcome:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


def validate(
    kind_name: str, rows: list, *, present: set[str] | None = None
) -> tuple[list[dict], list[dict]]:
    """Parse and check every row. Returns (clean rows with database columns, errors).
    Each error is {"index", "field", "message"} with the row's 0-based index in the batch.

    `present`: the fields the batch gives (a file's mapped columns); the others keep their
    value on records that exist (and their default on new ones), and the whole-row rules
    see the record as it will be. None: each row is the whole record."""
    kind = KINDS[kind_name]
    clean, errors = parse_rows(kind, rows, present)
    if kind.validate is not None:
        clean = kind.validate(clean, errors, present)
        errors.sort(key=lambda e: (e["index"] if e["index"] is not None else -1, e["field"] or ""))
        return clean, errors
    _check_batch(kind, clean, errors, present)
    errors.sort(key=lambda e: (e["index"], e["field"] or ""))
    return clean, errors


def parse_rows(kind: Kind, rows: list, present: set[str] | None) -> tuple[list[dict], list[dict]]:
    """Each row's columns parsed (references kept as sent, stripped); the errors of the
    values that cannot be read, by index and field."""
    errors: list[dict] = []
    known = set(kind.fields)
    clean: list[dict] = []
    for index, raw in enumerate(rows):
        if not isinstance(raw, dict):
            errors.append(
                {
                    "index": index,
                    "field": None,
                    "message": Worded(gettext_noop("Each row is an object.")),
                }
            )
            clean.append({})
            continue
        row: dict = {}
        for name in raw.keys() - known:
            errors.append(
                {
                    "index": index,
                    "field": str(name),
                    "message": Worded(gettext_noop("Unknown field; see the schema.")),
                }
            )
        for column in kind.columns:
            if present is not None and column.name not in present:
                continue
            value = raw.get(column.name)
            try:
                parsed = column.parse(value)
            except RowError as problem:
                errors.append({"index": index, "field": column.name, "message": str(problem)})
                continue
            if parsed in (None, "") and column.required:
                errors.append(
                    {
                        "index": index,
                        "field": column.name,
                        "message": Worded(gettext_noop("Required.")),
                    }
                )
                continue
            row[column.name] = column.default if parsed in (None, "") else parsed
        for reference in kind.references:
            if present is not None and reference.name not in present:
                continue
            value = raw.get(reference.name)
            if blank(value):
                if reference.required:
                    errors.append(
                        {
                            "index": index,
                            "field": reference.name,
                            "message": Worded(gettext_noop("Required.")),
                        }
                    )
                row[reference.name] = None
            elif not isinstance(value, str | int):
                errors.append(
                    {
                        "index": index,
                        "field": reference.name,
                        "message": Worded(gettext_noop("must be text.")),
                    }
                )
            else:
                try:
                    row[reference.name] = storable(str(value).strip())
                except RowError as problem:
                    errors.append(
                        {"index": index, "field": reference.name, "message": str(problem)}
                    )
                    row[reference.name] = None
        if kind.natural_key and all(c.name in row for c in kind.columns if c.required):
            row["external_id"] = kind.natural_key(row)
        clean.append(row)
    return clean, errors


def _check_batch(kind: Kind, clean: list[dict], errors: list[dict], present) -> None:
    _resolve_references(kind, clean, errors, present)
    if present is not None:
        _fill_from_existing(kind, clean, present)
    bad = {e["index"] for e in errors}
    seen: dict[str, int] = {}
    for index, row in enumerate(clean):
        parts = tuple(row.get(name) for name in kind.key)
        if None in parts:
            continue
        key = parts[0] if len(parts) == 1 else parts
        if key in seen:
            errors.append(
                {
                    "index": index,
                    "field": kind.key[0] if len(parts) == 1 else kind.key[-1],
                    "message": Worded(
                        gettext_noop("%(value)s is also in row %(row)s of this request."),
                        value=repr(key),
                        row=seen[key],
                    )
                    if len(parts) == 1
                    else Worded(
                        gettext_noop(
                            "The same customer, day and event is also in row %(row)s of this "
                            "request."
                        ),
                        row=seen[key],
                    ),
                }
            )
        seen.setdefault(key, index)
        if kind.check and index not in bad:
            filled = {c.name: row.get(c.name, c.default) for c in kind.columns}
            filled |= {r.column: row.get(r.column) for r in kind.references}
            for name, message in kind.check(filled).items():
                errors.append({"index": index, "field": name, "message": message})
    if kind.batch_check:
        good = [(i, row) for i, row in enumerate(clean) if row and i not in bad]
        for index, name, message in kind.batch_check(good):
            errors.append({"index": index, "field": name, "message": message})


def _fill_from_existing(kind: Kind, rows: list[dict], present: set[str]) -> None:
    """Fields the batch does not give: as stored on records that exist, else defaults."""
    absent_columns = [c for c in kind.columns if c.name not in present]
    absent_references = [r for r in kind.references if r.name not in present]
    if not absent_columns and not absent_references:
        return
    keys = [row["external_id"] for row in rows if row.get("external_id")]
    names = [c.name for c in absent_columns] + [r.column for r in absent_references]
    if connection.vendor == "postgresql":  # one array parameter: cheap for 10,000 keys
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT external_id, {', '.join(names)} FROM {kind.model._meta.db_table} "
                "WHERE external_id = ANY(%s)",
                [keys],
            )
            stored = {
                record[0]: dict(zip(names, record[1:], strict=True)) for record in cursor.fetchall()
            }
    else:
        stored = {
            record["external_id"]: record
            for record in kind.model.objects.filter(external_id__in=keys).values(
                "external_id", *names
            )
        }
    for row in rows:
        if not row:
            continue
        before = stored.get(row.get("external_id"), {})
        for column in absent_columns:
            row[column.name] = before.get(column.name, column.default)
        for reference in absent_references:
            row[reference.column] = before.get(reference.column)


def _resolve_references(
    kind: Kind, rows: list[dict], errors: list[dict], present: set[str] | None = None
) -> None:
    """Turn each reference (external id or e-mail) into a database id: one query each.
    E-mail addresses are compared without case and surrounding spaces; an employee who
    has left, or whose login is disabled, cannot be made a customer's owner (a customer
    they still own keeps them until handover, so its unchanged row, e.g. from an export,
    is fine: the rule of Customer.clean)."""
    for reference in kind.references:
        if present is not None and reference.name not in present:
            continue
        by_email = reference.model is Employee
        wanted = {row[reference.name] for row in rows if row.get(reference.name)}
        if by_email:  # an employee is named by e-mail (any case) or by the HR system's id
            by_address = dict(
                Employee.objects.annotate(key=Lower("email"))
                .filter(key__in={email_key(value) for value in wanted})
                .values_list("key", "id")
            )
            unmatched = {value for value in wanted if email_key(value) not in by_address}
            by_id = dict(
                Employee.objects.filter(external_id__in=unmatched).values_list("external_id", "id")
                if unmatched
                else ()
            )
            found = {
                value: by_address.get(email_key(value), by_id.get(value))
                for value in wanted
                if email_key(value) in by_address or value in by_id
            }
        else:
            found = _ids_by(reference.model, reference.key, wanted)
        unable, kept = {}, set()
        if by_email and kind.model is Customer:
            unable = Employee.cannot_own_customers(found.values())
            kept = _stored_owners(rows, reference.column, set(unable))
        not_found = NOT_FOUND[reference.model._meta.model_name]
        for index, row in enumerate(rows):
            value = row.pop(reference.name, None) if row else None
            if not row:
                continue
            if value is None:
                row[reference.column] = None
            elif value not in found:
                errors.append(
                    {
                        "index": index,
                        "field": reference.name,
                        "message": Worded(not_found, value=repr(value)),
                    }
                )
            elif found[value] in unable and ((row.get("external_id"), found[value]) not in kept):
                errors.append(
                    {
                        "index": index,
                        "field": reference.name,
                        "message": unable[found[value]],
                    }
                )
            else:
                row[reference.column] = found[value]


def _ids_by(model: type[Model], key: str, values: set) -> dict:
    """{value: id} of the records whose `key` is one of `values`. On PostgreSQL one array
    parameter: a list of 10,000 placeholders costs more to build than the query to run."""
    if not values:
        return {}
    if connection.vendor != "postgresql":
        return dict(model.objects.filter(**{f"{key}__in": values}).values_list(key, "id"))
    column = model._meta.get_field(key).column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column}, id FROM {model._meta.db_table} WHERE {column} = ANY(%s)",
            [list(values)],
        )
        return dict(cursor.fetchall())


def _stored_owners(rows: list[dict], column: str, employees: set[int]) -> set[tuple]:
    """(external id, employee id) of the customers in `rows` that already have one of
    these employees in this owner column: one query, none when there is no one to ask
    about."""
    keys = [row["external_id"] for row in rows if row and row.get("external_id")]
    if not employees or not keys:
        return set()
    return set(
        Customer.objects.filter(external_id__in=keys, **{f"{column}__in": employees}).values_list(
            "external_id", column
        )
    )


def upsert(
    kind_name: str,
    rows: list,
    *,
    dry_run: bool = False,
    present: set[str] | None = None,
    max_rows: int | None = MAX_ROWS,
) -> Outcome:
    """Validate the whole batch, then (unless dry_run or any row is bad) write it in one
    transaction. Returns what was created, updated and left unchanged. `present`: see
    validate; fields not in it are not written on records that exist. `max_rows`: None
    for a file of a kind checked whole (its rows name each other)."""
    outcome = Outcome(received=len(rows))
    if max_rows is not None and len(rows) > max_rows:
        outcome.errors = [
            {
                "index": None,
                "field": None,
                "message": Worded(
                    gettext_noop("%(rows)s rows; send at most %(most)s per request."),
                    rows=f"{len(rows):,}",
                    most=f"{MAX_ROWS:,}",
                ),
            }
        ]
        return outcome
    clean, outcome.errors = validate(kind_name, rows, present=present)
    if outcome.errors or not clean:
        return outcome
    if dry_run:
        return _try_write(kind_name, clean, present)
    return write_valid(kind_name, clean, present=present)


class _DryRun(Exception):
    """Rolls a trial write back."""


def _try_write(kind_name: str, clean: list[dict], present: set[str] | None) -> Outcome:
    """What writing the batch would do (created, updated, unchanged), found by writing it
    in a transaction that is always rolled back: the counts are the real run's, by the
    same code, and nothing stays written."""
    try:
        with transaction.atomic():
            outcome = write_valid(kind_name, clean, present=present)
            raise _DryRun
    except _DryRun:
        return outcome


def write_valid(kind_name: str, clean: list[dict], *, present: set[str] | None = None) -> Outcome:
    """Write rows `validate` found clean (all of them, in one transaction)."""
    kind = KINDS[kind_name]
    outcome = Outcome(received=len(clean))
    if not clean:
        return outcome
    if kind.model is Contact:
        _default_known_since(clean)
    # One order for every writer: two clients sending the same batch in opposite orders
    # lock its rows in the same order, so neither waits on the other in a cycle.
    clean.sort(key=lambda row: tuple(str(row[name]) for name in kind.key))
    keys = [row["external_id"] for row in clean] if kind.write is None else []
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            if kind.write is not None:
                with transaction.atomic():
                    outcome.created, outcome.updated = kind.write(clean, present)
                outcome.unchanged = len(clean) - outcome.created - outcome.updated
            else:
                _write_outcome(kind, clean, keys, outcome, present)
            return outcome
        except OperationalError as error:
            if attempt == WRITE_ATTEMPTS or not _retryable(error):
                raise
            time.sleep(0.05 * attempt)
    return outcome


WRITE_ATTEMPTS = 4


def _retryable(error: OperationalError) -> bool:
    """A serialization failure or deadlock: the transaction was rolled back as a whole and
    can simply run again."""
    return getattr(error.__cause__, "pgcode", None) in ("40001", "40P01")


def _write_outcome(
    kind: Kind, clean: list[dict], keys: list[str], outcome: Outcome, present: set[str] | None
) -> None:
    model = kind.model
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        existing = {}
        if model is Customer or not postgres:  # owners before, or who is new (no xmax)
            existing = {
                row["external_id"]: row
                for row in model.objects.filter(external_id__in=keys).values(
                    "external_id", *[r.column for r in kind.references]
                )
            }
        changed = _write(kind, clean, present)
        if postgres:
            outcome.created = sum(changed.values())
        else:
            outcome.created = sum(1 for key in keys if key not in existing)
        outcome.updated = len(changed) - outcome.created
        outcome.unchanged = len(clean) - len(changed)
        _after_write(kind, clean, existing, changed)


def _after_write(
    kind: Kind, rows: list[dict], before: dict[str, dict], changed: dict[str, bool]
) -> None:
    """What follows from the rows a batch wrote, in the same transaction: the one place
    where anything kept up to date from the records (history, audit, derived values,
    running aggregates) learns of them. `changed`: the external ids written, each with
    whether it was inserted; unchanged rows are not in it. Set-based, like the write."""
    model = kind.model
    if model is Customer:
        _record_owner_changes(rows, before, set(changed))
    if model is ExchangeRate and changed:
        currency.reconvert({row["currency"] for row in rows if row["external_id"] in changed})
    if model is Contract and changed:
        audit.record_many(
            "contract_change",
            "contract",
            (
                (
                    row["external_id"],
                    row["customer_id"],
                    {"created": changed[row["external_id"]]},
                )
                for row in rows
                if row["external_id"] in changed
            ),
        )


def _default_known_since(rows: list[dict]) -> None:
    """A contact sent without known_since has been known since the customer started."""
    missing = {row["customer_id"] for row in rows if row["known_since"] is None}
    if not missing:
        return
    started = dict(Customer.objects.filter(pk__in=missing).values_list("id", "customer_since"))
    for row in rows:
        if row["known_since"] is None:
            row["known_since"] = started[row["customer_id"]]


def _write(kind: Kind, rows: list[dict], present: set[str] | None = None) -> dict[str, bool]:
    """INSERT ... ON CONFLICT DO UPDATE only where something differs; returns the
    external ids of the rows inserted or changed, each with whether it was inserted
    (known on PostgreSQL from xmax; elsewhere False)."""
    model = kind.model
    table = model._meta.db_table
    columns = [c.name for c in kind.columns] + [r.column for r in kind.references]
    columns += [d for d in kind.derived if d not in columns]
    now = timezone.now()
    stamp = ["created_at"] + (["updated_at"] if kind.has_updated_at else [])
    values_sql = "(" + ", ".join(["%s"] * (len(columns) + len(stamp))) + ")"
    updatable = [
        c.name if isinstance(c, Column) else c.column
        for c in [*kind.columns, *kind.references]
        if c.name != "external_id" and (present is None or c.name in present)
    ] + [d for d in kind.derived if d != "external_id"]
    set_sql = ", ".join(f"{c} = EXCLUDED.{c}" for c in updatable)
    if kind.has_updated_at:
        set_sql += ", updated_at = EXCLUDED.updated_at"
    differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in updatable)
    changed: dict[str, bool] = {}
    if connection.vendor == "postgresql":
        return _write_by_copy(table, columns, stamp, now, rows, updatable, kind.has_updated_at)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            params: list = []
            for row in batch:
                params.extend(row.get(column) for column in columns)
                params.extend([now] * len(stamp))
            # SQLite stores aware datetimes as naive UTC text.
            params = [
                connection.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v
                for v in params
            ]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns + stamp)}) "
                f"VALUES {', '.join([values_sql] * len(batch))} "
                f"ON CONFLICT (external_id) DO UPDATE SET {set_sql} WHERE {differs} "
                "RETURNING external_id, FALSE",
                params,
            )
            changed.update(cursor.fetchall())
    return changed


def _write_by_copy(table, columns, stamp, now, rows, updatable, has_updated_at) -> dict[str, bool]:
    """PostgreSQL: COPY the batch into a temporary table (much cheaper than parsing
    VALUES lists), then two statements:

    1. INSERT ... SELECT ... ON CONFLICT DO NOTHING: the new rows. A row that exists is
       skipped without being locked (DO UPDATE would lock it, writing to its page even
       when nothing changes, which is most of the cost of re-sending a batch).
    2. UPDATE ... FROM the batch, only where a value differs: the changed rows. Skipped
       when every row was new. A row another transaction inserted meanwhile is waited for
       by step 1 and then seen, committed, by step 2, so no value is lost.

    Returns the external ids written, each with whether it was inserted."""
    stamps = "," + ",".join([now.isoformat()] * len(stamp))
    buffer = io.StringIO(
        "".join(",".join(_copy_text(row.get(c)) for c in columns) + stamps + "\n" for row in rows)
    )
    names = ", ".join(columns + stamp)
    set_sql = ", ".join(f"{c} = b.{c}" for c in updatable)
    if has_updated_at:
        set_sql += ", updated_at = b.updated_at"
    differs = " OR ".join(f"t.{c} IS DISTINCT FROM b.{c}" for c in updatable) or "FALSE"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS upsert_batch")
        cursor.execute(
            f"CREATE TEMP TABLE upsert_batch AS SELECT {names} FROM {table} WITH NO DATA"
        )
        with connection.wrap_database_errors:  # a refused value is a DataError
            cursor.cursor.copy_expert(
                f"COPY upsert_batch ({names}) FROM STDIN WITH (FORMAT csv)", buffer
            )
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM upsert_batch "
            "ORDER BY external_id ON CONFLICT (external_id) DO NOTHING RETURNING external_id"
        )
        changed = {key: True for (key,) in cursor.fetchall()}
        if len(changed) < len(rows) and updatable:
            # Rows locked in one order (external id), as every writer does.
            cursor.execute(
                f"UPDATE {table} AS t SET {set_sql} FROM ("
                f"  SELECT b.* FROM upsert_batch b JOIN {table} t USING (external_id) "
                f"  WHERE {differs} ORDER BY b.external_id FOR UPDATE OF t"
                f") AS b WHERE t.external_id = b.external_id AND ({differs}) "
                "RETURNING t.external_id"
            )
            changed.update((key, False) for (key,) in cursor.fetchall())
        cursor.execute("DROP TABLE upsert_batch")
    return changed


def _copy_text(value) -> str:
    """One CSV field for COPY: NULL is an unquoted empty field, every text is quoted (so
    an empty text stays empty, not NULL)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _record_owner_changes(rows: list[dict], before: dict[str, dict], changed: set[str]) -> None:
    """Ownership history for customers whose owners the batch set or changed: the open
    period closes today and the new owner's opens, as Customer.save() does one by one; a
    customer's first owner in a role (a new customer) owns it from its customer_since."""
    today = timezone.localdate()
    moves: list[tuple[str, str, int | None]] = []  # (external_id, role, new owner)
    for row in rows:
        key = row["external_id"]
        if key not in changed:
            continue
        old = before.get(key, {})
        for role, column in (
            (OwnerRole.PRIMARY, "primary_owner_id"),
            (OwnerRole.SECONDARY, "secondary_owner_id"),
        ):
            if row[column] != old.get(column):
                moves.append((key, role, row[column]))
    if not moves:
        return
    ids = dict(
        Customer.objects.filter(external_id__in={m[0] for m in moves}).values_list(
            "external_id", "id"
        )
    )
    # A customer's first owner in a role owned it from the customer's own start (the
    # history an import brings), not from the day of the import.
    owned_before = set(
        OwnershipPeriod.objects.filter(customer_id__in=ids.values())
        .values_list("customer_id", "role")
        .distinct()
    )
    since = {row["external_id"]: row["customer_since"] for row in rows}
    for role in (OwnerRole.PRIMARY, OwnerRole.SECONDARY):
        customer_ids = [ids[key] for key, r, _ in moves if r == role]
        open_periods = list(
            OwnershipPeriod.objects.filter(
                customer_id__in=customer_ids, role=role, ended_on__isnull=True
            )
        )
        for period in open_periods:
            period.ended_on = max(today, period.started_on)
        OwnershipPeriod.objects.bulk_update(open_periods, ["ended_on"], batch_size=WRITE_BATCH)
    audit.record_many(
        "owner_change",
        "customer",
        (
            (
                ids[key],
                ids[key],
                {
                    "role": role,
                    "from": before.get(key, {}).get(
                        "primary_owner_id" if role == OwnerRole.PRIMARY else "secondary_owner_id"
                    ),
                    "to": owner,
                    "reason": "Set by import",
                },
            )
            for key, role, owner in moves
        ),
    )
    OwnershipPeriod.objects.bulk_create(
        [
            OwnershipPeriod(
                customer_id=ids[key],
                employee_id=owner,
                role=role,
                started_on=today
                if (ids[key], role) in owned_before
                else min(since.get(key) or today, today),
                reason=OwnershipReason.IMPORT,
            )
            for key, role, owner in moves
            if owner is not None
        ],
        batch_size=WRITE_BATCH,
    )
