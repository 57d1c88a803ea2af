"""Bulk upserts keyed by external_id, for the API and the CSV import.

A batch is validated whole before anything is written: every bad row is reported with
its index, field and message, and a batch with any bad row writes nothing. Rows are then
written with one INSERT ... ON CONFLICT (external_id) DO UPDATE per 1,000 rows, which
only touches a row whose values differ, so sending the same batch twice changes nothing
the second time (not even updated_at). References to other records use their external
ids (customers, contacts, contracts) or e-mail addresses (employees), resolved with one
query per reference per batch.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from customers.models import (
    ChurnReason,
    Contact,
    Contract,
    Customer,
    Interaction,
    OwnerRole,
    OwnershipPeriod,
    Segment,
    UsageDay,
)
from customers.row_values import (
    RowError,
    blank,
    choice,
    currency,
    date,
    flag,
    moment,
    money,
    score,
    storable,
    text,
)
from staff import audit
from staff.models import Employee

MAX_ROWS = 10_000
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
    has_updated_at: bool = True
    key: tuple[str, ...] = ("external_id",)  # what names a record (unique in a batch)
    write: Callable[[list[dict]], tuple[int, int]] | None = None  # own writer: (created, updated)

    @property
    def fields(self) -> list[str]:
        return [c.name for c in self.columns] + [r.name for r in self.references]


def _check_customer(row: dict) -> dict[str, str]:
    errors = {}
    if row["status"] == Customer.Status.CHURNED:
        if not row["churned_on"]:
            errors["churned_on"] = "A churned customer needs the date it churned."
        if not row["churn_reason"]:
            errors["churn_reason"] = "Every lost customer gets a churn reason."
    else:
        if row["churned_on"]:
            errors["churned_on"] = "An active customer cannot have a churn date."
        if row["churn_reason"]:
            errors["churn_reason"] = "An active customer cannot have a churn reason."
    if row["churned_on"] and row["churned_on"] < row["customer_since"]:
        errors["churned_on"] = (
            f"The churn date {row['churned_on']} is before the customer start "
            f"{row['customer_since']}."
        )
    if row["primary_owner_id"] and row["primary_owner_id"] == row["secondary_owner_id"]:
        errors["secondary_owner"] = "The secondary owner must be someone other than the primary."
    return errors


def _check_contact(row: dict) -> dict[str, str]:
    if row["status"] == Contact.Status.LEFT and not row["left_on"]:
        return {"left_on": "A contact who left needs the date."}
    if row["status"] == Contact.Status.ACTIVE and row["left_on"]:
        return {"left_on": "An active contact has no leaving date; set status to left."}
    return {}


def _check_contract(row: dict) -> dict[str, str]:
    if row["end_date"] < row["start_date"]:
        return {"end_date": f"The end {row['end_date']} is before the start {row['start_date']}."}
    return {}


def _check_interaction(row: dict) -> dict[str, str]:
    if row["satisfaction"] is not None and row["kind"] not in Interaction.RATED_KINDS:
        return {"satisfaction": f"A {row['kind']} is not rated; leave satisfaction empty."}
    return {}


def _check_usage(row: dict) -> dict[str, str]:
    if row["day"] and row["day"] > timezone.localdate() + dt.timedelta(days=1):
        return {"day": f"{row['day']} is in the future; send totals of days that happened."}
    return {}


def _quantity(value):
    """A day's total of a usage event: a number, 0 or more."""
    if blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise RowError(f"{value!r} is not a number.") from None
    if not (0 <= number < 1e12):
        raise RowError(f"{value!r} must be a number from 0 up to 999,999,999,999.")
    return number


def _write_usage(rows: list[dict]) -> tuple[int, int]:
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
            Column("churn_reason_detail", text(2000), default=""),
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
            Column("email", text(254), default=""),
            Column("phone", text(40), default=""),
            Column("is_decision_maker", flag, default=False),
            Column("status", choice(Contact.Status.values), default=Contact.Status.ACTIVE),
            Column("known_since", date),
            Column("left_on", date),
        ],
        [Reference("customer", "customer_id", Customer, "external_id", required=True)],
        _check_contact,
    ),
    "contracts": Kind(
        Contract,
        [
            Column("external_id", text(64), required=True),
            Column("start_date", date, required=True),
            Column("end_date", date, required=True),
            Column("annual_value", money, required=True),
            Column("currency", currency, default="EUR"),
            Column("kind", choice(Contract.Kind.values), default=Contract.Kind.SUBSCRIPTION),
            Column("status", choice(Contract.Status.values), default=Contract.Status.ACTIVE),
            Column("auto_renew", flag, default=False),
        ],
        [Reference("customer", "customer_id", Customer, "external_id", required=True)],
        _check_contract,
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
            Column("notes", text(10_000), default=""),
        ],
        [
            Reference("customer", "customer_id", Customer, "external_id", required=True),
            Reference("employee", "employee_id", Employee, "email"),
            Reference("contact", "contact_id", Contact, "external_id"),
        ],
        _check_interaction,
        has_updated_at=False,
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


def validate(kind_name: str, rows: list) -> tuple[list[dict], list[dict]]:
    """Parse every row. Returns (clean rows with database columns, errors). Each error
    is {"index", "field", "message"} with the row's 0-based index in the batch."""
    kind = KINDS[kind_name]
    errors: list[dict] = []
    known = set(kind.fields)
    clean: list[dict] = []
    for index, raw in enumerate(rows):
        if not isinstance(raw, dict):
            errors.append({"index": index, "field": None, "message": "Each row is an object."})
            clean.append({})
            continue
        row: dict = {}
        for name in raw.keys() - known:
            errors.append(
                {"index": index, "field": str(name), "message": "Unknown field; see the schema."}
            )
        for column in kind.columns:
            value = raw.get(column.name)
            try:
                parsed = column.parse(value)
            except RowError as problem:
                errors.append({"index": index, "field": column.name, "message": str(problem)})
                continue
            if parsed in (None, "") and column.required:
                errors.append({"index": index, "field": column.name, "message": "Required."})
                continue
            row[column.name] = column.default if parsed in (None, "") else parsed
        for reference in kind.references:
            value = raw.get(reference.name)
            if blank(value):
                if reference.required:
                    errors.append({"index": index, "field": reference.name, "message": "Required."})
                row[reference.name] = None
            elif not isinstance(value, str | int):
                errors.append({"index": index, "field": reference.name, "message": "must be text."})
            else:
                try:
                    row[reference.name] = storable(str(value).strip())
                except RowError as problem:
                    errors.append(
                        {"index": index, "field": reference.name, "message": str(problem)}
                    )
                    row[reference.name] = None
        clean.append(row)
    _resolve_references(kind, clean, errors)
    bad = {e["index"] for e in errors}
    seen: dict[str, int] = {}
    for index, row in enumerate(clean):
        parts = tuple(row.get(name) for name in kind.key)
        if None in parts:
            continue
        key = parts[0] if len(parts) == 1 else parts
        if key in seen:
            what = repr(key) if len(parts) == 1 else "The same customer, day and event"
            errors.append(
                {
                    "index": index,
                    "field": kind.key[0] if len(parts) == 1 else kind.key[-1],
                    "message": f"{what} is also in row {seen[key]} of this request.",
                }
            )
        seen.setdefault(key, index)
        if kind.check and index not in bad:
            filled = {c.name: row.get(c.name, c.default) for c in kind.columns}
            filled |= {r.column: row.get(r.column) for r in kind.references}
            for name, message in kind.check(filled).items():
                errors.append({"index": index, "field": name, "message": message})
    errors.sort(key=lambda e: (e["index"], e["field"] or ""))
    return clean, errors


def _resolve_references(kind: Kind, rows: list[dict], errors: list[dict]) -> None:
    """Turn each reference (external id or e-mail) into a database id: one query each."""
    for reference in kind.references:
        wanted = {row[reference.name] for row in rows if row.get(reference.name)}
        found = dict(
            reference.model.objects.filter(**{f"{reference.key}__in": wanted}).values_list(
                reference.key, "id"
            )
        )
        departed = set()
        if reference.model is Employee and kind.model is Customer:
            departed = set(
                Employee.objects.filter(
                    email__in=wanted, status=Employee.Status.DEPARTED
                ).values_list("email", flat=True)
            )
        for index, row in enumerate(rows):
            value = row.pop(reference.name, None) if row else None
            if not row:
                continue
            if value is None:
                row[reference.column] = None
            elif value not in found:
                noun = reference.model._meta.verbose_name
                errors.append(
                    {
                        "index": index,
                        "field": reference.name,
                        "message": f"No {noun} with {reference.key.replace('_', ' ')} {value!r}.",
                    }
                )
            elif value in departed:
                errors.append(
                    {
                        "index": index,
                        "field": reference.name,
                        "message": f"{value} has left the company and cannot own customers.",
                    }
                )
            else:
                row[reference.column] = found[value]


def upsert(kind_name: str, rows: list, *, dry_run: bool = False) -> Outcome:
    """Validate the whole batch, then (unless dry_run or any row is bad) write it in one
    transaction. Returns what was created, updated and left unchanged."""
    outcome = Outcome(received=len(rows))
    if len(rows) > MAX_ROWS:
        outcome.errors = [
            {
                "index": None,
                "field": None,
                "message": f"{len(rows):,} rows; send at most {MAX_ROWS:,} per request.",
            }
        ]
        return outcome
    clean, outcome.errors = validate(kind_name, rows)
    if outcome.errors or dry_run or not clean:
        return outcome
    kind = KINDS[kind_name]
    if kind.write is not None:
        with transaction.atomic():
            outcome.created, outcome.updated = kind.write(clean)
        outcome.unchanged = len(clean) - outcome.created - outcome.updated
        return outcome
    model = kind.model
    if model is Contact:
        _default_known_since(clean)
    keys = [row["external_id"] for row in clean]
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
        changed = _write(kind, clean)
        if postgres:
            outcome.created = sum(changed.values())
        else:
            outcome.created = sum(1 for key in keys if key not in existing)
        outcome.updated = len(changed) - outcome.created
        outcome.unchanged = len(clean) - len(changed)
        if model is Customer:
            _record_owner_changes(clean, existing, set(changed))
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
                    for row in clean
                    if row["external_id"] in changed
                ),
            )
    return outcome


def _default_known_since(rows: list[dict]) -> None:
    """A contact sent without known_since has been known since the customer started."""
    missing = {row["customer_id"] for row in rows if row["known_since"] is None}
    if not missing:
        return
    started = dict(Customer.objects.filter(pk__in=missing).values_list("id", "customer_since"))
    for row in rows:
        if row["known_since"] is None:
            row["known_since"] = started[row["customer_id"]]


def _write(kind: Kind, rows: list[dict]) -> dict[str, bool]:
    """INSERT ... ON CONFLICT DO UPDATE only where something differs; returns the
    external ids of the rows inserted or changed, each with whether it was inserted
    (known on PostgreSQL from xmax; elsewhere False)."""
    model = kind.model
    table = model._meta.db_table
    columns = [c.name for c in kind.columns] + [r.column for r in kind.references]
    now = timezone.now()
    stamp = ["created_at"] + (["updated_at"] if kind.has_updated_at else [])
    values_sql = "(" + ", ".join(["%s"] * (len(columns) + len(stamp))) + ")"
    updatable = [c for c in columns if c != "external_id"]
    set_sql = ", ".join(f"{c} = EXCLUDED.{c}" for c in updatable)
    if kind.has_updated_at:
        set_sql += ", updated_at = EXCLUDED.updated_at"
    differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in updatable)
    changed: dict[str, bool] = {}
    if connection.vendor == "postgresql":
        return _write_by_copy(table, columns, stamp, now, rows, set_sql, differs)
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


def _write_by_copy(table, columns, stamp, now, rows, set_sql, differs) -> dict[str, bool]:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT ... SELECT ...
    ON CONFLICT. Much cheaper than parsing VALUES lists; xmax = 0 marks the new rows."""
    stamps = "," + ",".join([now.isoformat()] * len(stamp))
    buffer = io.StringIO(
        "".join(",".join(_copy_text(row.get(c)) for c in columns) + stamps + "\n" for row in rows)
    )
    names = ", ".join(columns + stamp)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS upsert_batch")
        cursor.execute(
            f"CREATE TEMP TABLE upsert_batch AS SELECT {names} FROM {table} WITH NO DATA"
        )
        cursor.cursor.copy_expert(
            f"COPY upsert_batch ({names}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM upsert_batch "
            f"ON CONFLICT (external_id) DO UPDATE SET {set_sql} WHERE {differs} "
            "RETURNING external_id, (xmax = 0)"
        )
        changed = dict(cursor.fetchall())
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
    period closes today and the new owner's opens, as Customer.save() does one by one."""
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
                started_on=today,
                reason="Set by import",
            )
            for key, role, owner in moves
            if owner is not None
        ],
        batch_size=WRITE_BATCH,
    )
