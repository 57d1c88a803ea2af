from django.db import migrations

from retention.migration_ops import postgresql_only

# A live alert follows its customer's owner and, when much is at stake, the manager of
# the owner's team. Besides a new score (which the nightly pass finds by its day), three
# writes change that routing: a customer's owner, an employee's team, a team's manager.
# Every statement that makes one notes the customers it re-routes, whatever makes it
# (the app, the bulk upsert and import, a handover, a statement by hand), so the nightly
# pass looks at those customers instead of comparing every live alert with its routing
# (alerts/services.py). A TRUNCATE of customers, employees or teams forgets the passes:
# the next one looks at everyone.
INSTALL = """
CREATE TABLE alerts_routing_change (customer_id bigint NOT NULL);

CREATE FUNCTION alerts_routing_customer_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alerts_routing_change (customer_id)
    SELECT n.id FROM routing_customer_old o JOIN routing_customer_new n ON n.id = o.id
    WHERE o.primary_owner_id IS DISTINCT FROM n.primary_owner_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION alerts_routing_employee_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alerts_routing_change (customer_id)
    SELECT c.id FROM routing_employee_old o JOIN routing_employee_new n ON n.id = o.id
    JOIN customers_customer c ON c.primary_owner_id = n.id
    WHERE o.team_id IS DISTINCT FROM n.team_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION alerts_routing_team_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alerts_routing_change (customer_id)
    SELECT c.id FROM routing_team_old o JOIN routing_team_new n ON n.id = o.id
    JOIN staff_employee e ON e.team_id = n.id
    JOIN customers_customer c ON c.primary_owner_id = e.id
    WHERE o.manager_id IS DISTINCT FROM n.manager_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION alerts_routing_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM alerts_alertpass;
    DELETE FROM alerts_routing_change;
    RETURN NULL;
END
$$;

CREATE TRIGGER routing_customer_updated AFTER UPDATE ON customers_customer
    REFERENCING OLD TABLE AS routing_customer_old NEW TABLE AS routing_customer_new
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_routing_customer_noted();
CREATE TRIGGER routing_employee_updated AFTER UPDATE ON staff_employee
    REFERENCING OLD TABLE AS routing_employee_old NEW TABLE AS routing_employee_new
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_routing_employee_noted();
CREATE TRIGGER routing_team_updated AFTER UPDATE ON staff_team
    REFERENCING OLD TABLE AS routing_team_old NEW TABLE AS routing_team_new
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_routing_team_noted();
CREATE TRIGGER routing_customer_truncated AFTER TRUNCATE ON customers_customer
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_routing_truncated();
CREATE TRIGGER routing_employee_truncated AFTER TRUNCATE ON staff_employee
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_routing_truncated();
CREATE TRIGGER routing_team_truncated AFTER TRUNCATE ON staff_team
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_routing_truncated();
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS routing_customer_updated ON customers_customer;
DROP TRIGGER IF EXISTS routing_employee_updated ON staff_employee;
DROP TRIGGER IF EXISTS routing_team_updated ON staff_team;
DROP TRIGGER IF EXISTS routing_customer_truncated ON customers_customer;
DROP TRIGGER IF EXISTS routing_employee_truncated ON staff_employee;
DROP TRIGGER IF EXISTS routing_team_truncated ON staff_team;
DROP FUNCTION IF EXISTS alerts_routing_customer_noted();
DROP FUNCTION IF EXISTS alerts_routing_employee_noted();
DROP FUNCTION IF EXISTS alerts_routing_team_noted();
DROP FUNCTION IF EXISTS alerts_routing_truncated();
DROP TABLE IF EXISTS alerts_routing_change;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0012_text_limits"),
        ("customers", "0034_figure_changes"),
        ("staff", "0013_text_limits"),
    ]

    operations = [postgresql_only(INSTALL, UNINSTALL)]
