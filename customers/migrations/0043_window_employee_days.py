from django.db import migrations, models


# The windows are built again by the next night, with the days the employee bounds were
# last seen (until then the features read the daily roll-ups, as before a first night).
def forget_windows(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("TRUNCATE customers_interactionwindow")
        schema_editor.execute("UPDATE customers_interactionday_state SET window_as_of = NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0042_identifiers_normalised"),
    ]

    operations = [
        migrations.AddField(
            model_name="interactionwindow",
            name="employee_low_day",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="interactionwindow",
            name="employee_high_day",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(forget_windows, migrations.RunPython.noop, elidable=True),
    ]
