"""Employees are unique by a stored e-mail key (retention.email_address.email_key,
computed in Python), no longer by the database's lower(email): PostgreSQL's lower()
depends on the collation (ASCII only under "C") and differs from Python's for İ and a
final Σ, so an address typed exactly as stored could not be found and a clash passed the
checks and failed on insert."""

import unicodedata

from django.db import migrations, models


def _key(value: str) -> str:
    # retention.email_address.email_key as of this migration, without the punycode
    # reading (stored addresses are already in their Unicode form).
    value = unicodedata.normalize("NFC", (value or "").strip())
    return unicodedata.normalize("NFC", value.casefold())


def fill_keys(apps, schema_editor):
    Employee = apps.get_model("staff", "Employee")
    seen: dict[str, str] = {}
    people = list(Employee.objects.only("id", "email"))
    for person in people:
        person.email_key = _key(person.email)
        if person.email_key in seen:
            raise RuntimeError(
                f"Two employees have one e-mail address without case: {seen[person.email_key]!r} "
                f"and {person.email!r}. Change one of them, then migrate again."
            )
        seen[person.email_key] = person.email
    Employee.objects.bulk_update(people, ["email_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("staff", "0016_employee_days_from_1900")]

    operations = [
        migrations.AddField(
            model_name="employee",
            name="email_key",
            field=models.CharField(editable=False, max_length=1000, null=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="employee",
            name="email_key",
            field=models.CharField(
                editable=False,
                help_text="The e-mail address as compared: case-folded, composed (email_key).",
                max_length=1000,
                unique=True,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="employee",
            name="employee_email_unique_without_case",
        ),
    ]
