"""What the database refused, in words a person reads in their own language.

A database's error text is English and names tables and columns ("duplicate key value
violates unique constraint ..."). `refusal(error)` turns the refusals a record can meet
(a key already taken, a text too long, a number too large, a record named that does not
exist, a rule of a model broken, a date that is not one, a value left empty) into a
`Worded` message naming the field by its API name, as every other message does;
`detail(error)` keeps the database's own first lines for admins (the jobs page shows
them under the message). Anything else is "The database refused this record.", with
the detail."""

from __future__ import annotations

import re

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError
from django.db import DatabaseError
from django.db import models as db_models
from django.utils.functional import Promise
from django.utils.translation import gettext_noop

from retention.wording import Joined, Worded

_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)=\((?P<values>.*)\) (?P<rest>.*)$")
_LIMIT = re.compile(r"character varying\((\d+)\)")
_PRECISION = re.compile(r"precision (\d+), scale (\d+)")
_QUOTED = re.compile(r'"([^"]*)"')
_COPY_COLUMN = re.compile(r"column (\w+)")
_SQLITE = re.compile(r"^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?::\s*(.*))?$")


def detail(error: BaseException) -> str:
    """The error as the database or library gave it (type, message, DETAIL line): for
    admins, beside the message people read."""
    text = " ".join(line.strip() for line in str(error).strip().splitlines()[:2])
    return f"{type(error).__name__}: {text}".strip()[:1000]


def explain(
    error: BaseException, *, model: str | type | None = None, recipients: list[str] = ()
) -> dict:
    """The reason a record was left out, as set aside: {"reason": message people read,
    "detail": the raw text for admins ("" when the message says it all)}. `recipients`:
    the addresses of an e-mail the error refused (the mail server names them or not)."""
    mail = mail_refusal(error, recipients)
    if mail is not None:
        return {"reason": mail, "detail": detail(error)}
    if isinstance(error, ValidationError):
        return {"reason": Joined(error.messages), "detail": ""}
    if isinstance(error, DatabaseError):
        return {"reason": refusal(error, model=model), "detail": detail(error)}
    message = error.args[0] if getattr(error, "args", None) else None
    if isinstance(message, Worded | Joined):
        return {"reason": message, "detail": ""}
    if isinstance(error, BadHeaderError):  # an address or subject with a line break
        return {
            "reason": Worded(
                gettext_noop("An e-mail address or subject holds a line break; mend it.")
            ),
            "detail": detail(error),
        }
    return {
        "reason": Worded(gettext_noop("This record could not be processed (see the detail).")),
        "detail": detail(error),
    }


def mail_refusal(error: BaseException, recipients: list[str] = ()) -> Worded | Joined | None:
    """What a mail server said when it refused an e-mail (its reply code and text, which
    address), or None for an error that is not a server's reply. One message per refused
    recipient; a refused sender or message names the message's recipients."""
    import smtplib

    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        parts = [
            Worded(
                gettext_noop('The mail server refused %(address)s, answering "%(reply)s".'),
                address=address,
                reply=_smtp_reply(*answer),
            )
            for address, answer in error.recipients.items()
        ]
        return parts[0] if len(parts) == 1 else Joined(parts, " ")
    if isinstance(error, smtplib.SMTPResponseException) and not recipients:
        # sent where the message's addresses are not known here (send_mail in a step)
        return Worded(
            gettext_noop('The mail server refused the e-mail, answering "%(reply)s".'),
            reply=_smtp_reply(error.smtp_code, error.smtp_error),
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return Worded(
            gettext_noop(
                "The mail server refused the sender %(sender)s of the e-mail to %(address)s, "
                'answering "%(reply)s".'
            ),
            sender=_text(error.sender),
            address=", ".join(recipients),
            reply=_smtp_reply(error.smtp_code, error.smtp_error),
        )
    if isinstance(error, smtplib.SMTPResponseException):  # SMTPDataError and the like
        return Worded(
            gettext_noop(
                'The mail server refused the e-mail to %(address)s, answering "%(reply)s".'
            ),
            address=", ".join(recipients),
            reply=_smtp_reply(error.smtp_code, error.smtp_error),
        )
    return None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _smtp_reply(code, message) -> str:
    """ "550 5.1.1 mailbox unavailable": the reply code and its text on one line (a reply
    of several lines joined), as the server wrote it; at most 300 characters."""
    text = " ".join(_text(message).split())
    return f"{code} {text}".strip()[:300]


def refusal(error: BaseException, *, model: str | type | None = None) -> Worded:
    """The database's refusal of one record as a message naming the field. `model` (a
    model class or its English verbose name) names the field where the database does
    not (a value too long, a number too large)."""
    cause = error.__cause__ if error.__cause__ is not None else error
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    diag = getattr(cause, "diag", None)
    if code and diag is not None:
        return _postgres(code, diag, str(cause), _model(model, diag.table_name))
    found = _SQLITE.match(str(cause).strip())
    if found:
        return _sqlite(found[1], found[2] or "")
    return Worded(gettext_noop("The database refused this record."))


# --- PostgreSQL ---------------------------------------------------------------------------


def _postgres(code: str, diag, text: str, model) -> Worded:
    key = _KEY.match(diag.message_detail or "")
    if code == "23505":  # unique_violation
        named = _constraint_message(diag.constraint_name)
        if named:
            return named
        if key:
            return Worded(
                gettext_noop("Another record already has %(field)s %(value)s."),
                field=_fields(model, key["columns"]),
                value=key["values"],
            )
        return Worded(gettext_noop("Another record already has this value."))
    if code == "23503":  # foreign_key_violation
        if key and key["rest"].startswith("is still referenced"):
            return Worded(
                gettext_noop("Other records still refer to this one (%(table)s); it stays."),
                table=_table_label(_QUOTED.search(key["rest"])),
            )
        if key:
            return Worded(
                gettext_noop("%(field)s names a record that does not exist (%(value)s)."),
                field=_fields(model, key["columns"]),
                value=key["values"],
            )
        return Worded(gettext_noop("This record names another that does not exist."))
    if code == "23514":  # check_violation
        named = _constraint_message(diag.constraint_name)
        if named:
            return named
        return Worded(
            gettext_noop("This record breaks the rule %(rule)s."), rule=diag.constraint_name or ""
        )
    if code == "23502":  # not_null_violation
        return Worded(
            gettext_noop("%(field)s is required."), field=_fields(model, diag.column_name or "")
        )
    if code == "22001":  # string_data_right_truncation
        limit = _LIMIT.search(text)
        size = int(limit[1]) if limit else None
        field = _copy_column(diag) or _field_by(model, max_length=size)
        if field and size:
            return Worded(
                gettext_noop("%(field)s is longer than the %(limit)s characters it holds."),
                field=field,
                limit=size,
            )
        return Worded(gettext_noop("A text is longer than its field holds."))
    if code == "22003":  # numeric_value_out_of_range
        precision = _PRECISION.search(diag.message_detail or "")
        if precision:
            digits, places = int(precision[1]), int(precision[2])
            field = _copy_column(diag) or _field_by(model, digits=digits, places=places)
            return Worded(
                gettext_noop("%(field)s is too large: it must stay below %(limit)s.")
                if field
                else gettext_noop("A number is too large: it must stay below %(limit)s."),
                field=field,
                limit=f"{10 ** (digits - places):,}",
            )
        return Worded(gettext_noop("A number is too large for its field."))
    if code in ("22007", "22008"):  # invalid_datetime_format, datetime_field_overflow
        value = _QUOTED.search(text.splitlines()[0] if text else "")
        return Worded(
            gettext_noop("%(value)s is not a date the calendar has."),
            value=value[1] if value else "",
        )
    if code == "P0001":  # raise_exception: a trigger's own words, written to be read
        return Worded(
            gettext_noop("The database refused this record: %(reason)s"),
            reason=diag.message_primary or "",
        )
    if code == "22P02":  # invalid_text_representation
        value = _QUOTED.search(text.splitlines()[0] if text else "")
        return Worded(
            gettext_noop("%(value)s is not a value of the kind its field holds."),
            value=value[1] if value else "",
        )
    return Worded(gettext_noop("The database refused this record."))


def _sqlite(kind: str, rest: str) -> Worded:
    if kind == "CHECK":
        return _constraint_message(rest) or Worded(
            gettext_noop("This record breaks the rule %(rule)s."), rule=rest
        )
    columns = ", ".join(part.rsplit(".", 1)[-1] for part in rest.split(", ") if part)
    if kind == "UNIQUE":
        if rest and "." not in rest:  # a named constraint
            return _constraint_message(rest) or Worded(
                gettext_noop("Another record already has this value.")
            )
        return Worded(gettext_noop("Another record already has this %(field)s."), field=columns)
    if kind == "NOT NULL":
        return Worded(gettext_noop("%(field)s is required."), field=columns)
    return Worded(gettext_noop("This record names another that does not exist."))


# --- naming ---------------------------------------------------------------------------------


def source(message) -> str:
    """The English source of a (lazily) translated text."""
    if isinstance(message, Promise):
        args = getattr(message, "_args", ())
        return args[0] if args else str(message)
    return str(message)


def _constraint_message(name: str | None) -> Worded | None:
    """The message a model gives the constraint of this name, when it gives one."""
    if not name:
        return None
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name and constraint.violation_error_message:
                message = source(constraint.violation_error_message)
                if message != source(db_models.BaseConstraint.default_violation_error_message):
                    return Worded(message)
    return None


def _model(model, table: str | None):
    if isinstance(model, type):
        return model
    for candidate in apps.get_models():
        if table and candidate._meta.db_table == table:
            return candidate
        if isinstance(model, str) and source(candidate._meta.verbose_name) == model:
            return candidate
    return None


def _fields(model, columns: str) -> str:
    """The API names of the columns (owner_id -> owner)."""
    by_column = {}
    if model is not None:
        by_column = {
            f.column: f.name for f in model._meta.concrete_fields if getattr(f, "column", None)
        }
    return ", ".join(by_column.get(c.strip(), c.strip()) for c in columns.split(","))


def _field_by(model, *, max_length=None, digits=None, places=None) -> str:
    """The field(s) of the model that the database's size fits ("" when none does)."""
    if model is None:
        return ""
    names = [
        f.name
        for f in model._meta.concrete_fields
        if (max_length is not None and getattr(f, "max_length", None) == max_length)
        or (
            digits is not None
            and isinstance(f, db_models.DecimalField)
            and (f.max_digits, f.decimal_places) == (digits, places)
        )
    ]
    return " / ".join(names)


def _copy_column(diag) -> str:
    """The column a COPY names in its context line."""
    found = _COPY_COLUMN.search(getattr(diag, "context", None) or "")
    return found[1] if found else ""


def _table_label(found) -> Worded | str:
    """The kind of record a table holds, worded where the catalogue has its name."""
    if not found:
        return ""
    for model in apps.get_models():
        if model._meta.db_table == found[1]:
            return Worded(source(model._meta.verbose_name))
    return found[1]
