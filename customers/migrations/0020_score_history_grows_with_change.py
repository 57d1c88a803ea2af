"""Risk scores hold over a span of days (day .. valid_until) instead of one row a day.

The existing daily rows are collapsed in SQL, set-based, whatever the table's size: a
customer's rows on consecutive scored days whose model, tier, whole percentage points of
probability, annual value, reason and warning-sign codes, single-threaded flag and active
contacts agree become the first of them, holding until the day after the last. A customer
missing from a later scored day (churned) has their row end on that day. The decisions are
made in a temporary table, then one DELETE and one UPDATE apply them. Reversing writes the
daily rows back for every complete scoring run."""

from django.db import migrations, models

COLLAPSE = """
CREATE TEMP TABLE score_days ON COMMIT DROP AS
SELECT day, lead(day) OVER (ORDER BY day) AS next_day
FROM (SELECT DISTINCT day FROM customers_riskscore) d;

CREATE TEMP TABLE score_islands ON COMMIT DROP AS
WITH keyed AS (
    SELECT s.id, s.customer_id, s.day, d.next_day,
           md5(concat_ws('|', s.model_id, s.tier, round(s.probability * 100),
                         s.annual_value, jsonb_path_query_array(s.reasons, '$[*].signal'),
                         jsonb_path_query_array(s.signals, '$[*].signal'),
                         s.single_threaded, s.active_contacts)) AS key
    FROM customers_riskscore s JOIN score_days d ON d.day = s.day
), marked AS (
    SELECT *, CASE WHEN lag(next_day) OVER w = day AND lag(key) OVER w = key
                   THEN 0 ELSE 1 END AS starts
    FROM keyed WINDOW w AS (PARTITION BY customer_id ORDER BY day)
), numbered AS (
    SELECT *, sum(starts) OVER (PARTITION BY customer_id ORDER BY day) AS island
    FROM marked
)
SELECT id, starts = 1 AS kept,
       last_value(next_day) OVER (
           PARTITION BY customer_id, island ORDER BY day
           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
       ) AS valid_until
FROM numbered;

DELETE FROM customers_riskscore s USING score_islands i WHERE s.id = i.id AND NOT i.kept;
UPDATE customers_riskscore s SET valid_until = i.valid_until
FROM score_islands i WHERE s.id = i.id AND i.kept AND i.valid_until IS NOT NULL;
"""

EXPAND = """
INSERT INTO customers_riskscore (customer_id, day, model_id, probability, tier, annual_value,
    revenue_at_risk, reasons, single_threaded, active_contacts, signals)
SELECT s.customer_id, r.day, s.model_id, s.probability, s.tier, s.annual_value,
       s.revenue_at_risk, s.reasons, s.single_threaded, s.active_contacts, s.signals
FROM customers_riskscore s
JOIN customers_scoringrun r ON r.status = 'complete' AND r.day > s.day
     AND (s.valid_until IS NULL OR r.day < s.valid_until);
"""


def collapse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(COLLAPSE)  # no parameters: "%" is a LIKE wildcard here
        return
    # The embedded database (SQLite) of a demo: every daily row is kept and ends on the
    # next scored day (a customer scored then has a new row; one missing from it left).
    # Correct, though not collapsed; a demo has a few thousand rows.
    score = apps.get_model("customers", "RiskScore")
    days = sorted(set(score.objects.values_list("day", flat=True)))
    for day, next_day in zip(days, days[1:], strict=False):
        score.objects.filter(day=day).update(valid_until=next_day)


def expand(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(EXPAND)  # no parameters: "%" is a LIKE wildcard here


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0019_merge_20261130_0757"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="riskscore",
            name="riskscore_day_tier",
        ),
        migrations.RemoveIndex(
            model_name="riskscore",
            name="riskscore_day_rar",
        ),
        migrations.AddField(
            model_name="riskscore",
            name="valid_until",
            field=models.DateField(
                blank=True,
                help_text="The first day this score no longer held; empty while it is current.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="riskscore",
            name="day",
            field=models.DateField(help_text="The first day this score held."),
        ),
        migrations.RunPython(collapse, expand),
        migrations.AddIndex(
            model_name="riskscore",
            index=models.Index(
                condition=models.Q(("valid_until__isnull", True)),
                fields=["tier", "-revenue_at_risk"],
                name="riskscore_current_tier",
            ),
        ),
        migrations.AddIndex(
            model_name="riskscore",
            index=models.Index(
                condition=models.Q(("valid_until__isnull", True)),
                fields=["-revenue_at_risk"],
                name="riskscore_current_rar",
            ),
        ),
        migrations.AddIndex(
            model_name="riskscore",
            index=models.Index(fields=["day"], name="riskscore_began"),
        ),
        migrations.AddIndex(
            model_name="riskscore",
            index=models.Index(
                condition=models.Q(("valid_until__isnull", False)),
                fields=["valid_until"],
                name="riskscore_ended",
            ),
        ),
        migrations.AddConstraint(
            model_name="riskscore",
            constraint=models.UniqueConstraint(
                condition=models.Q(("valid_until__isnull", True)),
                fields=("customer",),
                name="one_current_risk_score_per_customer",
                violation_error_message="A customer has one current risk score.",
            ),
        ),
        migrations.AddConstraint(
            model_name="riskscore",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_until__isnull", True),
                    ("valid_until__gt", models.F("day")),
                    _connector="OR",
                ),
                name="riskscore_ends_after_it_begins",
                violation_error_message="A score ends after the day it begins.",
            ),
        ),
    ]
