from django.db import migrations

from retention.migration_ops import postgresql_only

# A TRUNCATE of the interactions (the demo's --reset, a test flush) fires no row or
# delete trigger: it forgets the roll-ups' state instead, so the next refresh rebuilds
# them (and the windows) from what is left.
INSTALL = """
CREATE FUNCTION customers_interaction_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM customers_interactionday_state;
    DELETE FROM customers_interaction_change;
    RETURN NULL;
END
$$;
CREATE TRIGGER interaction_truncated AFTER TRUNCATE ON customers_interaction
    FOR EACH STATEMENT EXECUTE FUNCTION customers_interaction_truncated();
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS interaction_truncated ON customers_interaction;
DROP FUNCTION IF EXISTS customers_interaction_truncated();
"""


class Migration(migrations.Migration):
    dependencies = [("customers", "0026_interaction_windows")]

    operations = [postgresql_only(INSTALL, UNINSTALL)]
