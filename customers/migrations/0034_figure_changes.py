from django.db import migrations

from retention.migration_ops import postgresql_only

# Every statement that writes what the monthly churn figures count (a customer's start,
# churn date, owner, region or segment; a contract's customer, days or value; an
# employee's team) notes the teams whose figures it can change and the first month it can
# change, for customers/figures/nightly.py to recompute only those teams' months. A month
# counts who was active, and the contracts in force, on its first day, and who was lost
# in it: a customer who starts, or a contract that starts or changes, on the 17th changes
# the months from the next one (`figure_month_after`); a churn date changes its own month. Figures count each customer towards the team of their current owner, so a
# customer's change notes the team of its old owner and of its new one. A TRUNCATE of
# any of the three tables forgets the figures' state: the next computation is whole.
INSTALL = """
CREATE TABLE customers_figure_change (
    team_id bigint,
    from_month date NOT NULL
);
CREATE TABLE customers_figure_state (
    day date NOT NULL,
    first_month date NOT NULL
);

-- The first day of the first month that starts on or after `day` (no day: every month).
CREATE FUNCTION figure_month_after(day date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(date_trunc('month', day + interval '1 month' - interval '1 day')::date,
                    date '0001-01-01')
$$;

CREATE FUNCTION customers_figure_customer_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customers_figure_change (team_id, from_month)
        SELECT e.team_id, figure_month_after(min(n.customer_since))
        FROM figure_customer_new n LEFT JOIN staff_employee e ON e.id = n.primary_owner_id
        GROUP BY e.team_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO customers_figure_change (team_id, from_month)
        SELECT e.team_id, figure_month_after(min(o.customer_since))
        FROM figure_customer_old o LEFT JOIN staff_employee e ON e.id = o.primary_owner_id
        GROUP BY e.team_id;
    ELSE
        -- Who counts where changes every month the customer was active in, a start
        -- the months from the earlier of its two values, a churn date the months from
        -- the earlier of its two values' own.
        INSERT INTO customers_figure_change (team_id, from_month)
        SELECT e.team_id, min(c.from_month)
        FROM (
            SELECT o.primary_owner_id AS old_owner, n.primary_owner_id AS new_owner,
                   least(
                       CASE WHEN (o.primary_owner_id, o.region, o.segment, o.customer_since)
                                 IS DISTINCT FROM
                                 (n.primary_owner_id, n.region, n.segment, n.customer_since)
                            THEN figure_month_after(least(o.customer_since, n.customer_since))
                       END,
                       CASE WHEN o.churned_on IS DISTINCT FROM n.churned_on
                            THEN date_trunc('month', least(o.churned_on, n.churned_on))::date
                       END
                   ) AS from_month
            FROM figure_customer_old o JOIN figure_customer_new n ON n.id = o.id
            WHERE (o.primary_owner_id, o.region, o.segment, o.customer_since, o.churned_on)
                  IS DISTINCT FROM
                  (n.primary_owner_id, n.region, n.segment, n.customer_since, n.churned_on)
        ) changed
        CROSS JOIN LATERAL (VALUES (changed.old_owner, changed.from_month),
                                   (changed.new_owner, changed.from_month)) c(owner_id, from_month)
        LEFT JOIN staff_employee e ON e.id = c.owner_id
        GROUP BY e.team_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION customers_figure_contract_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customers_figure_change (team_id, from_month)
        SELECT e.team_id, figure_month_after(min(n.start_date))
        FROM figure_contract_new n
        JOIN customers_customer c ON c.id = n.customer_id
        LEFT JOIN staff_employee e ON e.id = c.primary_owner_id
        GROUP BY e.team_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO customers_figure_change (team_id, from_month)
        SELECT e.team_id, figure_month_after(min(o.start_date))
        FROM figure_contract_old o
        JOIN customers_customer c ON c.id = o.customer_id
        LEFT JOIN staff_employee e ON e.id = c.primary_owner_id
        GROUP BY e.team_id;
    ELSE
        INSERT INTO customers_figure_change (team_id, from_month)
        SELECT e.team_id, min(t.from_month)
        FROM (
            SELECT o.customer_id AS old_customer, n.customer_id AS new_customer,
                   figure_month_after(least(o.start_date, n.start_date)) AS from_month
            FROM figure_contract_old o JOIN figure_contract_new n ON n.id = o.id
            WHERE (o.customer_id, o.start_date, o.end_date, o.annual_value_reporting)
                  IS DISTINCT FROM
                  (n.customer_id, n.start_date, n.end_date, n.annual_value_reporting)
        ) changed
        CROSS JOIN LATERAL (VALUES (changed.old_customer, changed.from_month),
                                   (changed.new_customer, changed.from_month))
            t(customer_id, from_month)
        JOIN customers_customer c ON c.id = t.customer_id
        LEFT JOIN staff_employee e ON e.id = c.primary_owner_id
        GROUP BY e.team_id;
    END IF;
    RETURN NULL;
END
$$;

-- An employee's customers move with them to their new team, in every month.
CREATE FUNCTION customers_figure_employee_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customers_figure_change (team_id, from_month)
    SELECT DISTINCT t.team_id, date '0001-01-01'
    FROM figure_employee_old o JOIN figure_employee_new n ON n.id = o.id
    CROSS JOIN LATERAL (VALUES (o.team_id), (n.team_id)) t(team_id)
    WHERE o.team_id IS DISTINCT FROM n.team_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION customers_figure_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM customers_figure_state;
    DELETE FROM customers_figure_change;
    RETURN NULL;
END
$$;

CREATE TRIGGER figure_customer_inserted AFTER INSERT ON customers_customer
    REFERENCING NEW TABLE AS figure_customer_new
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_customer_noted();
CREATE TRIGGER figure_customer_updated AFTER UPDATE ON customers_customer
    REFERENCING OLD TABLE AS figure_customer_old NEW TABLE AS figure_customer_new
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_customer_noted();
CREATE TRIGGER figure_customer_deleted AFTER DELETE ON customers_customer
    REFERENCING OLD TABLE AS figure_customer_old
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_customer_noted();
CREATE TRIGGER figure_contract_inserted AFTER INSERT ON customers_contract
    REFERENCING NEW TABLE AS figure_contract_new
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_contract_noted();
CREATE TRIGGER figure_contract_updated AFTER UPDATE ON customers_contract
    REFERENCING OLD TABLE AS figure_contract_old NEW TABLE AS figure_contract_new
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_contract_noted();
CREATE TRIGGER figure_contract_deleted AFTER DELETE ON customers_contract
    REFERENCING OLD TABLE AS figure_contract_old
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_contract_noted();
CREATE TRIGGER figure_employee_updated AFTER UPDATE ON staff_employee
    REFERENCING OLD TABLE AS figure_employee_old NEW TABLE AS figure_employee_new
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_employee_noted();
CREATE TRIGGER figure_customer_truncated AFTER TRUNCATE ON customers_customer
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_truncated();
CREATE TRIGGER figure_contract_truncated AFTER TRUNCATE ON customers_contract
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_truncated();
CREATE TRIGGER figure_employee_truncated AFTER TRUNCATE ON staff_employee
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figure_truncated();
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS figure_customer_inserted ON customers_customer;
DROP TRIGGER IF EXISTS figure_customer_updated ON customers_customer;
DROP TRIGGER IF EXISTS figure_customer_deleted ON customers_customer;
DROP TRIGGER IF EXISTS figure_contract_inserted ON customers_contract;
DROP TRIGGER IF EXISTS figure_contract_updated ON customers_contract;
DROP TRIGGER IF EXISTS figure_contract_deleted ON customers_contract;
DROP TRIGGER IF EXISTS figure_employee_updated ON staff_employee;
DROP TRIGGER IF EXISTS figure_customer_truncated ON customers_customer;
DROP TRIGGER IF EXISTS figure_contract_truncated ON customers_contract;
DROP TRIGGER IF EXISTS figure_employee_truncated ON staff_employee;
DROP FUNCTION IF EXISTS customers_figure_customer_noted();
DROP FUNCTION IF EXISTS customers_figure_contract_noted();
DROP FUNCTION IF EXISTS customers_figure_employee_noted();
DROP FUNCTION IF EXISTS customers_figure_truncated();
DROP FUNCTION IF EXISTS figure_month_after(date);
DROP TABLE IF EXISTS customers_figure_change;
DROP TABLE IF EXISTS customers_figure_state;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0033_csvimport_date_order_and_text_limits"),
        ("staff", "0013_text_limits"),
    ]

    operations = [postgresql_only(INSTALL, UNINSTALL)]
