"""Names sort the way people read them, whatever the server's default collation (often
"C", which puts "apple" and "Émile" after "Zeta"): an ICU collation on the name columns
of customers, contacts, employees and teams. Latin letters first, case and accents as in
a dictionary; Chinese names by pinyin; then other scripts.

PostgreSQL only (SQLite keeps its own order). The collation is set in SQL, not as the
fields' db_collation, so the SQLite fallback still migrates: a later migration that
changes one of these columns' type must say COLLATE "names" again."""

from django.contrib.postgres.operations import CreateCollation
from django.db import migrations

NAME_COLUMNS = [
    ("customers_customer", "name", 200),
    ("customers_contact", "name", 160),
    ("staff_employee", "name", 160),
    ("staff_team", "name", 120),
]


def collate(apps, schema_editor, collation='"names"'):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, length in NAME_COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length}) COLLATE {collation}"
        )


def uncollate(apps, schema_editor):
    collate(apps, schema_editor, collation='"default"')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_sync_xid"),
        ("staff", "0008_employee_email_without_case"),
    ]

    operations = [
        CreateCollation("names", provider="icu", locale="zh-u-co-pinyin-kr-latn-hani"),
        migrations.RunPython(collate, uncollate),
    ]
