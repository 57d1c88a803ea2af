"""The customers search matches the start of an external id in any case ("c0000" finds
C0000005), so the index on UPPER(external_id) becomes one with text_pattern_ops: it serves
UPPER(external_id) LIKE 'C0000%' whatever the database's collation, and the equality of a
whole id as the old one did. PostgreSQL only, like the name's trigram index (0018): the
embedded SQLite default searches without it."""

from django.db import migrations

from retention.migration_ops import postgresql_only


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0038_contract_live_end_customer"),
    ]

    operations = [
        postgresql_only(
            "CREATE INDEX IF NOT EXISTS customer_external_id_prefix ON customers_customer "
            "(UPPER(external_id::text) text_pattern_ops)",
            "DROP INDEX IF EXISTS customer_external_id_prefix",
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_external_id_upper",
        ),
    ]
