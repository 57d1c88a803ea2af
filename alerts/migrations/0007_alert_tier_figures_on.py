from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("alerts", "0006_tier_plays")]

    operations = [
        migrations.RenameField("alert", "last_seen_on", "figures_on"),
        migrations.AlterField(
            model_name="alert",
            name="figures_on",
            field=models.DateField(
                help_text="The day of the figures: when it was raised, or when the customer's "
                "risk tier, value or routing last changed while it stayed live."
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="tier",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[(1, "Very high"), (2, "High"), (3, "Medium"), (4, "Low"), (5, "Very low")],
                null=True,
            ),
        ),
    ]
