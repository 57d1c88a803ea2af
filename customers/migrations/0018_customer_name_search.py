"""A trigram index for the customers list's search (name contains, any case), so a search
over a million customers reads the index instead of every row. PostgreSQL only: the
embedded SQLite default searches without it."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm ON customers_customer "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS customer_name_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("customers", "0017_import_kinds")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
