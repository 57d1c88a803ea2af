from django.db import migrations

from retention.migration_ops import postgresql_only

# A customer's live alerts follow its new owner in the statement that changes the owner,
# whatever makes it (a handover's ownership change, the admin, the bulk upsert and
# import): the owner who gave it away no longer sees or acts on them, the new one does at
# once. An alert escalated to a manager goes to the new owner's team's manager. The
# nightly pass still notes the customer and refreshes the rest of the routing.
INSTALL = """
CREATE OR REPLACE FUNCTION alerts_routing_customer_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alerts_routing_change (customer_id)
    SELECT n.id FROM routing_customer_old o JOIN routing_customer_new n ON n.id = o.id
    WHERE o.primary_owner_id IS DISTINCT FROM n.primary_owner_id;
    UPDATE alerts_alert a
    SET owner_id = n.primary_owner_id,
        manager_id = CASE WHEN a.manager_id IS NULL THEN NULL ELSE (
            SELECT t.manager_id FROM staff_employee e JOIN staff_team t ON t.id = e.team_id
            WHERE e.id = n.primary_owner_id) END
    FROM routing_customer_old o JOIN routing_customer_new n ON n.id = o.id
    WHERE a.customer_id = n.id AND o.primary_owner_id IS DISTINCT FROM n.primary_owner_id
      AND a.status IN ('open', 'acknowledged', 'snoozed');
    RETURN NULL;
END
$$;
"""

UNINSTALL = """
CREATE OR REPLACE FUNCTION alerts_routing_customer_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alerts_routing_change (customer_id)
    SELECT n.id FROM routing_customer_old o JOIN routing_customer_new n ON n.id = o.id
    WHERE o.primary_owner_id IS DISTINCT FROM n.primary_owner_id;
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("alerts", "0016_digest_handed_over")]

    operations = [postgresql_only(INSTALL, UNINSTALL)]
