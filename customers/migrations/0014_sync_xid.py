"""The transaction that last wrote each synced row (retention/api/sync.py)."""

from django.db import migrations

from retention.api import sync


class Migration(migrations.Migration):
    dependencies = [("customers", "0013_money_with_currency")]

    operations = [migrations.RunPython(sync.install, sync.uninstall)]
