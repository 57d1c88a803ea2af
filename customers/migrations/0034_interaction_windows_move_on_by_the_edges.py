from django.db import migrations, models

COLUMNS = [
    "customer_id",
    "interactions",
    "outbound",
    "complaints",
    "support_tickets",
    "discount_requests",
    "usage",
    "renewal_talks",
    "employee_low",
    "employee_high",
    "satisfaction_latest",
    "satisfaction_previous",
]


# The windows' rows lack the days of their satisfaction scores: none until the next
# night builds them again from the roll-ups (interaction_windows.rebuild).
def forget_windows(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("TRUNCATE customers_interactionwindow")
        schema_editor.execute("UPDATE customers_interactionday_state SET window_as_of = NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0033_csvimport_date_order_and_text_limits"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="interactionday", name="interactionday_day"),
        migrations.AddIndex(
            model_name="interactionday",
            index=models.Index(fields=["day"], include=COLUMNS, name="interactionday_day_all"),
        ),
        migrations.AddField(
            model_name="interactionwindow",
            name="satisfaction_latest_day",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="interactionwindow",
            name="satisfaction_previous_day",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(forget_windows, migrations.RunPython.noop),
    ]
