"""Raising, routing and closing alerts. Safe to run again for the same day."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from alerts import tallies
from alerts.digests import send_digests  # noqa: F401 - the nightly task's second half
from alerts.models import Alert, AlertPass, SignalRule, TierPlay
from alerts.webhooks import queue_alert_event
from customers.models import Customer, RiskScore, RiskTier, ScoringRun
from retention.bulk import analyze_if_stale
from retention.text_limits import check_length
from staff.models import Employee, Team


@dataclass
class AlertRun:
    opened: int = 0  # new alerts
    kept: int = 0  # live alerts whose sign still fires
    refreshed: int = 0  # of those, the ones whose tier, value or routing changed
    reopened: int = 0  # snoozes that reached their day with the sign still firing
    cleared: int = 0  # live alerts whose sign no longer fires (or was switched off)
    looked_at: int | None = None  # customers whose signs were read; None: every customer
    skipped: str = ""


# The day's firing signs, one row per customer and enabled sign, with the routing.
# {signs} expands a score's stored signals; it is the only part that differs by database.
_EXPAND_SIGNS = {
    "postgresql": (
        "CROSS JOIN LATERAL jsonb_array_elements(t.signals) sig",
        "sig->>'signal'",
        "sig->>'text'",
        "coalesce(sig->'params', '{}'::jsonb)",
        "jsonb_build_object('was', b.tier, 'now', t.tier, 'since', %(week_ago_text)s::text)",
    ),
    "sqlite": (
        "JOIN json_each(t.signals) sig",
        "sig.value->>'$.signal'",
        "sig.value->>'$.text'",
        "coalesce(sig.value->'$.params', '{}')",
        "json_object('was', b.tier, 'now', t.tier, 'since', %(week_ago_text)s)",
    ),
}
_FIRING_SQL = """
CREATE TEMP TABLE alert_firing AS
WITH today AS (
    SELECT customer_id, probability, tier, annual_value, revenue_at_risk, signals
    FROM {scores}
    WHERE day <= %(day)s AND (valid_until IS NULL OR valid_until > %(day)s){only_candidates}
), signs AS (
    SELECT t.customer_id, {sign_code} AS signal, substr({sign_text}, 1, 300) AS text,
           {sign_params} AS params, t.probability, t.tier, t.annual_value, t.revenue_at_risk
    FROM today t {expand}
    WHERE {sign_code} IN ({enabled})
    UNION ALL
    SELECT t.customer_id, 'tier_jump',
           'Risk tier rose from ' || (CASE b.tier {tier_labels} END)
           || ' to ' || (CASE t.tier {tier_labels} END) || ' since ' || %(week_ago_text)s,
           {jump_params}, t.probability, t.tier, t.annual_value, t.revenue_at_risk
    FROM today t JOIN {scores} b ON b.customer_id = t.customer_id AND b.day <= %(week_ago)s
         AND (b.valid_until IS NULL OR b.valid_until > %(week_ago)s)
    WHERE %(tier_jump_on)s AND b.tier >= t.tier + %(tiers)s
)
SELECT g.customer_id, g.signal, g.text, g.params, g.probability, g.tier, g.annual_value,
       g.revenue_at_risk, c.segment, c.primary_owner_id AS owner_id,
       CASE WHEN g.tier = %(very_high)s OR g.revenue_at_risk >= %(manager_at)s
            THEN team.manager_id END AS manager_id
FROM signs g
JOIN {customers} c ON c.id = g.customer_id
LEFT JOIN {employees} e ON e.id = c.primary_owner_id
LEFT JOIN {teams} team ON team.id = e.team_id
"""
# The customers whose alerts can have changed since the last pass (on `since`), when the
# rules are the same: whose score began or ended since (a new score, a churn); whose
# score a week before changed since (a tier jump starts or ends); a snooze that reached
# its day; an alert resolved since (a sign still firing opens a new one); and whose live
# alerts' routing can have changed (a new owner, the owner's new team or its new manager).
# Everything else reads the same signs from the same score as last time: every sign but
# the tier jump is decided by the scoring run for its day, whatever in it depends on the
# date (a contract ending within 90 or 180 days, days without contact, an owner's last
# day), and stored with the score; when the signs that fire change, the score gets a new
# row (customers/scoring/history.py), which the first line below finds.
_CANDIDATES_SQL = """
CREATE TEMP TABLE alert_candidates AS
SELECT customer_id FROM {scores} WHERE day > %(since)s AND day <= %(day)s
UNION SELECT customer_id FROM {scores} WHERE valid_until > %(since)s AND valid_until <= %(day)s
UNION SELECT customer_id FROM {scores}
      WHERE %(tier_jump_on)s AND day > %(since_week_ago)s AND day <= %(week_ago)s
UNION SELECT customer_id FROM {scores}
      WHERE %(tier_jump_on)s AND valid_until > %(since_week_ago)s AND valid_until <= %(week_ago)s
UNION SELECT customer_id FROM {alerts}
      WHERE status = 'snoozed' AND snoozed_until <= %(day)s
UNION SELECT customer_id FROM {alerts}
      WHERE status = 'resolved' AND closed_on >= %(resolved_since)s
UNION {rerouted}
"""
# On PostgreSQL, triggers note the customers whose owner, owner's team or team's manager
# changed (migration alerts.0013); the pass takes those notes in its transaction.
_REROUTED_NOTED = "SELECT customer_id FROM alert_rerouted"
# Elsewhere, every live alert is compared with the owner, their team's manager and the score.
_REROUTED_COMPARED = """SELECT a.customer_id FROM {alerts} a
      JOIN {customers} c ON c.id = a.customer_id
      LEFT JOIN {employees} e ON e.id = c.primary_owner_id
      LEFT JOIN {teams} team ON team.id = e.team_id
      LEFT JOIN {scores} s ON s.customer_id = a.customer_id AND s.valid_until IS NULL
      WHERE a.status IN ('open', 'acknowledged', 'snoozed') AND (
          a.owner_id IS DISTINCT FROM c.primary_owner_id
          OR a.manager_id IS DISTINCT FROM (
              CASE WHEN s.tier = %(very_high)s OR s.revenue_at_risk >= %(manager_at)s
                   THEN team.manager_id END))"""
_ROUTING_CHANGES = "alerts_routing_change"
_SAME_ALERT = "a.customer_id = f.customer_id AND a.signal = f.signal"
_LIVE_SQL = "a.status IN ('open', 'acknowledged', 'snoozed')"


def raise_alerts(*, day: dt.date) -> AlertRun:
    """Compare the warning signs of the day's scores with the live alerts: open what is
    new, wake snoozes that reached their day, follow changes of tier, value and routing,
    close what cleared. Set-based: a handful of statements whatever the company's size,
    one transaction, and safe to run again for the same day."""
    result = AlertRun()
    run = ScoringRun.objects.filter(day=day, status=ScoringRun.Status.COMPLETE).first()
    if run is None:
        result.skipped = f"no complete scoring run on {day}"
        return result
    if ScoringRun.objects.filter(day__gt=day, status=ScoringRun.Status.COMPLETE).exists():
        result.skipped = f"a later scoring run than {day} exists; alerts follow the latest"
        return result
    rules = SignalRule.ensure_defaults()
    TierPlay.lookup()  # writes the default plays the first time
    enabled = [code for code, rule in rules.items() if rule.enabled and code != "tier_jump"]
    week_ago = day - dt.timedelta(days=7)
    vendor = connection.vendor
    expand, sign_code, sign_text, sign_params, jump_params = _EXPAND_SIGNS[vendor]
    table = {
        "scores": RiskScore._meta.db_table,
        "customers": Customer._meta.db_table,
        "employees": Employee._meta.db_table,
        "teams": Team._meta.db_table,
        "alerts": Alert._meta.db_table,
        "rules": SignalRule._meta.db_table,
        "plays": TierPlay._meta.db_table,
    }
    params = {
        "day": day,
        "week_ago": week_ago,
        "week_ago_text": week_ago.isoformat(),
        "tier_jump_on": rules["tier_jump"].enabled,
        "tiers": int(rules["tier_jump"].thresholds.get("tiers", 2)),
        "very_high": int(RiskTier.VERY_HIGH),
        "manager_at": settings.ALERT_MANAGER_REVENUE_AT_RISK,
    }
    params |= {f"rule_{i}": code for i, code in enumerate(enabled)}
    rules_key = _rules_key(rules, params)
    since = _changes_since(day, rules_key)
    firing_sql = _FIRING_SQL.format(
        expand=expand,
        sign_code=sign_code,
        sign_text=sign_text,
        sign_params=sign_params,
        jump_params=jump_params,
        enabled=", ".join(f"%(rule_{i})s" for i in range(len(enabled))) or "NULL",
        tier_labels=" ".join(f"WHEN {t.value} THEN '{_english(t.label)}'" for t in RiskTier),
        only_candidates=""
        if since is None
        else " AND customer_id IN (SELECT customer_id FROM alert_candidates)",
        **table,
    )
    only_candidates = (
        "" if since is None else "AND a.customer_id IN (SELECT customer_id FROM alert_candidates)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":  # one run at a time; a second waits, then finds no work
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('alerts.raise_alerts'))")
        cursor.execute("DROP TABLE IF EXISTS alert_candidates")
        noted = vendor == "postgresql"
        if noted:  # taken whatever the pass: a whole pass looks at these customers too
            cursor.execute("DROP TABLE IF EXISTS alert_rerouted")
            cursor.execute("CREATE TEMP TABLE alert_rerouted (customer_id bigint NOT NULL)")
            cursor.execute(
                f"""WITH taken AS (DELETE FROM {_ROUTING_CHANGES} RETURNING customer_id)
                INSERT INTO alert_rerouted SELECT DISTINCT customer_id FROM taken"""
            )
        if since is not None:
            resolved_since = since.finished_at.astimezone(timezone.get_current_timezone()).date()
            params |= {
                "since": since.day,
                "since_week_ago": since.day - dt.timedelta(days=7),
                "resolved_since": resolved_since - dt.timedelta(days=1),
            }
            rerouted = _REROUTED_NOTED if noted else _REROUTED_COMPARED.format(**table)
            cursor.execute(_CANDIDATES_SQL.format(rerouted=rerouted, **table), params)
            result.looked_at = cursor.rowcount
            cursor.execute("CREATE INDEX alert_candidates_key ON alert_candidates (customer_id)")
            cursor.execute("ANALYZE alert_candidates")
        cursor.execute("DROP TABLE IF EXISTS alert_firing")
        cursor.execute(firing_sql, params)
        _explain_tier_jumps(cursor, day)
        cursor.execute("CREATE INDEX alert_firing_key ON alert_firing (customer_id, signal)")
        cursor.execute("ANALYZE alert_firing")
        cursor.execute(
            f"""UPDATE {table["alerts"]} AS a SET status = 'open', snoozed_until = NULL
            FROM alert_firing f
            WHERE {_SAME_ALERT} AND a.status = 'snoozed' AND a.snoozed_until <= %(day)s""",
            params,
        )
        result.reopened = cursor.rowcount
        cursor.execute(
            f"""UPDATE {table["alerts"]} AS a SET
                text = f.text, params = f.params, probability = f.probability, tier = f.tier,
                annual_value = f.annual_value, revenue_at_risk = f.revenue_at_risk,
                owner_id = f.owner_id, manager_id = f.manager_id, figures_on = %(day)s
            FROM alert_firing f
            WHERE {_SAME_ALERT} AND {_LIVE_SQL} AND (
                a.tier IS DISTINCT FROM f.tier OR a.annual_value <> f.annual_value
                OR a.owner_id IS DISTINCT FROM f.owner_id
                OR a.manager_id IS DISTINCT FROM f.manager_id)""",
            params,
        )
        result.refreshed = cursor.rowcount
        cursor.execute(
            f"""UPDATE {table["alerts"]} AS a SET
                status = 'cleared', closed_on = %(day)s, note = ''
            WHERE {_LIVE_SQL} {only_candidates}
              AND NOT EXISTS (SELECT 1 FROM alert_firing f WHERE {_SAME_ALERT})
            RETURNING id""",
            params,
        )
        cleared = [row[0] for row in cursor.fetchall()]
        # The signs with no live alert, found before inserting: an anti-join against the
        # table being inserted into can turn into a scan per row of a growing table.
        cursor.execute("DROP TABLE IF EXISTS alert_new")
        cursor.execute(
            f"""CREATE TEMP TABLE alert_new AS SELECT f.* FROM alert_firing f
            WHERE NOT EXISTS (
                SELECT 1 FROM {table["alerts"]} a WHERE {_SAME_ALERT} AND {_LIVE_SQL})"""
        )
        cursor.execute(
            f"""INSERT INTO {table["alerts"]} (customer_id, signal, status, text, params, play,
                tier, annual_value, probability, revenue_at_risk, owner_id, manager_id,
                opened_on, figures_on, note)
            SELECT f.customer_id, f.signal, 'open', f.text, f.params,
                   CASE WHEN coalesce(p.text, '') = '' THEN r.play
                        WHEN r.play = '' THEN p.text
                        ELSE p.text || ' ' || r.play END,
                   f.tier, f.annual_value, f.probability, f.revenue_at_risk, f.owner_id,
                   f.manager_id, %(day)s, %(day)s, ''
            FROM alert_new f
            JOIN {table["rules"]} r ON r.code = f.signal
            LEFT JOIN {table["plays"]} p ON p.id = (
                SELECT id FROM {table["plays"]} tp
                WHERE tp.tier = f.tier AND tp.segment IN (f.segment, '') AND tp.text <> ''
                ORDER BY tp.segment DESC LIMIT 1)
            ON CONFLICT DO NOTHING
            RETURNING id""",
            params,
        )
        opened = [row[0] for row in cursor.fetchall()]
        # Every live alert's sign fires now (the others were cleared), and each firing
        # sign has one live alert: the kept ones are the live ones not opened tonight.
        cursor.execute(f"SELECT count(*) FROM {table['alerts']} a WHERE {_LIVE_SQL}")
        result.kept = cursor.fetchone()[0] - len(opened)
        cursor.execute("DROP TABLE alert_firing")
        cursor.execute("DROP TABLE alert_new")
        cursor.execute("DROP TABLE IF EXISTS alert_candidates")
        cursor.execute("DROP TABLE IF EXISTS alert_rerouted")
        AlertPass.objects.update_or_create(
            day=day,
            defaults={
                "rules": rules_key,
                "whole_company": since is None,
                "customers": result.looked_at or 0,
                "finished_at": timezone.now(),
            },
        )
        queue_alert_event("alerts.opened", opened, day=day)
        queue_alert_event("alerts.cleared", cleared, day=day)
        tallies.fold()  # the day's changes to the live counts, one row a key again
    result.opened, result.cleared = len(opened), len(cleared)
    # The digests and tomorrow's pass plan on what this one wrote.
    analyze_if_stale(Alert, result.opened + result.cleared + result.refreshed + result.reopened)
    return result


def _rules_key(rules: dict[str, SignalRule], params: dict) -> str:
    """What the alerts depend on besides the scores and the alerts themselves: which
    signs are on, the tier jump's size and the manager's threshold."""
    import hashlib
    import json

    settings_used = {
        "enabled": sorted(code for code, rule in rules.items() if rule.enabled),
        "tiers": params["tiers"],
        "manager_at": str(params["manager_at"]),
    }
    return hashlib.sha256(json.dumps(settings_used, sort_keys=True).encode()).hexdigest()


def _changes_since(day: dt.date, rules_key: str) -> AlertPass | None:
    """The last pass a pass for `day` can follow on from, looking only at what changed
    since; None when it must look at every customer: no earlier pass, the same day (or
    an older one) again, other rules, or a scoring run finished since the last pass for
    a day it had covered (its scores changed under it)."""
    last = AlertPass.objects.order_by("-day").first()
    if last is None or last.day >= day or last.rules != rules_key:
        return None
    rescored = ScoringRun.objects.filter(day__lte=last.day, finished_at__gt=last.finished_at)
    return None if rescored.exists() else last


def _explain_tier_jumps(cursor, day: dt.date) -> None:
    """A tier jump says what moved the score: "... since 2026-06-23. Risk up 31 pts:
    Reports run (28 days) 40 -> 4 (+18), ..." (the model's contributions, explain.py).
    Tier jumps are few; their customers are explained together."""
    from customers.scoring.explain import explain_changes

    cursor.execute("SELECT customer_id FROM alert_firing WHERE signal = 'tier_jump'")
    ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return
    changes = explain_changes(day=day, customer_ids=ids)
    if not changes:
        return
    values = ", ".join(["(%s, %s, %s)"] * len(changes))
    with translation.override("en"):  # the stored text is English, as every alert's
        params = [
            item
            for c in changes.values()
            for item in (c.customer_id, ". " + c.summary, json.dumps({"change": c.stored()}))
        ]
    figures = "alert_firing.params || v.change::jsonb"
    changed = f"(VALUES {values}) AS v(customer_id, why, change)"
    prefix = ""
    if connection.vendor != "postgresql":
        # SQLite names a VALUES list's columns only in a WITH clause.
        figures = "json_patch(alert_firing.params, v.change)"
        prefix, changed = f"WITH v(customer_id, why, change) AS (VALUES {values}) ", "v"
    cursor.execute(
        f"""{prefix}UPDATE alert_firing SET text = substr(alert_firing.text || v.why, 1, 300),
            params = {figures}
        FROM {changed}
        WHERE alert_firing.customer_id = v.customer_id AND alert_firing.signal = 'tier_jump'""",
        params,
    )


def snooze_too_long(until: dt.date, today: dt.date) -> str | None:
    """The refusal of a snooze past ALERT_SNOOZE_MAX_DAYS from `today` (its last day in
    the reader's way of writing dates), or None: one rule for the inbox, the API and the
    admin."""
    longest = settings.ALERT_SNOOZE_MAX_DAYS
    latest = today + dt.timedelta(days=longest)
    if until <= latest:
        return None
    return _("Snooze for at most %(days)s days (until %(day)s).") % {
        "days": longest,
        "day": date_format(latest),
    }


def routed_to(employee, alert: Alert) -> bool:
    """The one rule for acting on an alert (acknowledge, snooze, resolve, or record a
    retention action answering it), at every door: its owner and its manager only."""
    return employee is not None and employee.pk in (alert.owner_id, alert.manager_id)


def act_on_alert(
    *, alert: Alert, action: str, until: dt.date | None = None, note: str = ""
) -> Alert:
    """acknowledge, snooze (until a later day) or resolve (with a note). The alert is read
    again under lock: of two people (or two tabs) acting at once, the second finds what
    the first did (a resolved alert is closed to them), and only the fields the action
    sets are written."""
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        _act(current, action, until, note)
    for name in ("status", "snoozed_until", "closed_on", "note"):
        setattr(alert, name, getattr(current, name))
    return alert


def _act(alert: Alert, action: str, until: dt.date | None, note: str) -> None:
    if alert.status not in Alert.LIVE:
        raise ValidationError({"alert": _("This alert is already closed.")})
    today = timezone.localdate()
    if action == "acknowledge":
        alert.status = Alert.Status.ACKNOWLEDGED
    elif action == "snooze":
        if until is None or until <= today:
            raise ValidationError({"until": _("Snooze until a day after today.")})
        too_long = snooze_too_long(until, today)
        if too_long:
            raise ValidationError({"until": too_long})
        alert.status, alert.snoozed_until = Alert.Status.SNOOZED, until
    elif action == "resolve":
        if not note.strip():
            raise ValidationError({"note": _("Say what was done when resolving an alert.")})
        check_length(Alert, "note", note)
        alert.status, alert.closed_on, alert.note = Alert.Status.RESOLVED, today, note
    else:
        raise ValidationError({"action": _("Unknown action %(action)r.") % {"action": action}})
    alert.save(update_fields=["status", "snoozed_until", "closed_on", "note"])


def _english(text) -> str:
    """Stored alert texts are written in English, whoever started the run."""
    with translation.override("en"):
        return str(text)
