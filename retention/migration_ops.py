"""Operations shared by migrations."""

from __future__ import annotations

from django.db import migrations


def postgresql_only(sql: str, reverse_sql: str = "") -> migrations.RunPython:
    """Run `sql` when migrating forwards and `reverse_sql` backwards, on PostgreSQL only:
    triggers, UNLOGGED tables and other statements the embedded SQLite default neither
    understands nor needs (the code reading their tables has an SQLite path). Each is one
    string of statements, run through the schema editor as a RunSQL would be."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql" and sql:
            schema_editor.execute(sql)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql" and reverse_sql:
            schema_editor.execute(reverse_sql)

    return migrations.RunPython(forwards, backwards)
