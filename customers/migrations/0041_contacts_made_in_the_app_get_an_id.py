import uuid

from django.db import migrations, models

import customers.models


def give_app_made_records_an_id(apps, schema_editor):
    """Contacts made in the app so far, and interactions whose id was cleared in the
    admin, have no external id, so their export could not be imported back: give each
    one, as the app now does."""
    tables = {"Contact": "customers_contact", "Interaction": "customers_interaction"}
    if schema_editor.connection.vendor == "postgresql":
        for table in tables.values():
            schema_editor.execute(
                f"UPDATE {table} SET external_id = 'app-' || gen_random_uuid()::text "
                "WHERE external_id IS NULL OR external_id = ''"
            )
        return
    for name in tables:
        model = apps.get_model("customers", name)
        unnamed = model.objects.filter(
            models.Q(external_id__isnull=True) | models.Q(external_id="")
        )
        for record in unnamed.only("pk"):
            record.external_id = f"app-{uuid.uuid4()}"
            record.save(update_fields=["external_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0040_foreign_keys_led_by_a_composite_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="contact",
            name="external_id",
            field=models.CharField(
                blank=True,
                default=customers.models.app_external_id,
                max_length=64,
                null=True,
                unique=True,
            ),
        ),
        migrations.RunPython(give_app_made_records_an_id, migrations.RunPython.noop),
    ]
