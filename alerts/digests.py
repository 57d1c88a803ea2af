"""The daily alert digests: one e-mail per person with open alerts (as owner, or as the
manager they were escalated to), in their language, once a day.

A handful of queries whatever the number of people: the ranking (counts and each
person's `limit` riskiest alerts, in the database), who already had theirs today, the
recipients with their user, their alerts with the customers, who may read which owner's
last day (staff/access.py departures_seen_by_each: two queries), one insert of every
DigestSent row; then the messages go out over one connection to the mail server.

Once a day, never twice: the DigestSent rows are committed before the first message is
sent, so a re-run after a kill sends none of them again (a kill in the middle of the
sending leaves the rest of that day's digests unsent; the next night's digest has the
same alerts). A message the mail server or the message itself refuses (a bad address)
is set aside with the reason and its row removed, so the next run tries it again; the
others go out."""

from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alerts.models import Alert, DigestSent
from customers.scoring.wording import play_text, reason_text
from customers.templatetags.risk import money_estimate
from retention.jobs import steps as job_steps
from staff.access import departures_seen_by_each
from staff.language import language_of
from staff.models import Employee

# PostgreSQL: each person's count and `limit` riskiest open alerts, read from the top of
# their own entries of the two partial indexes (alert_open_owner_risk, ..._manager_risk):
# the cost follows the people and the limit, not the company's backlog of open alerts
# (0.3 s against 1.6 s over 1,001,322 open alerts at 1M customers, the same rows). An
# alert whose owner is also its manager counts once, as in the UNION below.
_DIGEST_SQL_INDEXED = """
WITH counted AS (
    SELECT person, sum(n)::bigint AS alerts FROM (
        SELECT owner_id AS person, count(*) AS n FROM {alerts}
        WHERE status = 'open' AND owner_id IS NOT NULL GROUP BY owner_id
        UNION ALL
        SELECT manager_id, count(*) FROM {alerts}
        WHERE status = 'open' AND manager_id IS NOT NULL
          AND manager_id IS DISTINCT FROM owner_id
        GROUP BY manager_id
    ) c GROUP BY person
)
SELECT c.person, c.alerts, t.id
FROM counted c CROSS JOIN LATERAL (
    SELECT u.id, u.revenue_at_risk FROM (
        (SELECT id, revenue_at_risk FROM {alerts} WHERE status = 'open' AND owner_id = c.person
         ORDER BY revenue_at_risk DESC, id LIMIT %(limit)s)
        UNION
        (SELECT id, revenue_at_risk FROM {alerts} WHERE status = 'open' AND manager_id = c.person
         ORDER BY revenue_at_risk DESC, id LIMIT %(limit)s)
    ) u ORDER BY u.revenue_at_risk DESC, u.id LIMIT %(limit)s
) t
ORDER BY c.person, t.revenue_at_risk DESC, t.id
"""
# Elsewhere (the embedded SQLite database): every open alert ranked per person.
_DIGEST_SQL = """
WITH routed AS (
    SELECT id, owner_id AS person, revenue_at_risk FROM {alerts}
    WHERE status = 'open' AND owner_id IS NOT NULL
    UNION
    SELECT id, manager_id, revenue_at_risk FROM {alerts}
    WHERE status = 'open' AND manager_id IS NOT NULL
), ranked AS (
    SELECT id, person,
           ROW_NUMBER() OVER (PARTITION BY person ORDER BY revenue_at_risk DESC, id) AS place,
           COUNT(*) OVER (PARTITION BY person) AS alerts
    FROM routed
)
SELECT person, alerts, id FROM ranked WHERE place <= %(limit)s ORDER BY person, place
"""


# What a digest line reads of an alert and its customer, as plain rows (a night's
# digests hold twenty lines for each of thousands of people).
_WORDED = (
    "id",
    "signal",
    "text",
    "params",
    "play",
    "revenue_at_risk",
    "customer__name",
    "customer__primary_owner_id",
)


# Digests handed to the mail server between two marks: what a killed run may send twice.
DIGEST_MARK_EVERY = 25


def send_digests(*, day: dt.date, limit: int = 20) -> int:
    """One e-mail per person with open alerts: how many, and the `limit` with the most
    revenue at risk. Sent once per person and day (a run killed midway may send the
    digests of its last block of DIGEST_MARK_EVERY again, never none). Returns how many
    went out."""
    with connection.cursor() as cursor:
        ranking = _DIGEST_SQL_INDEXED if connection.vendor == "postgresql" else _DIGEST_SQL
        cursor.execute(ranking.format(alerts=Alert._meta.db_table), {"limit": limit})
        rows = cursor.fetchall()
    counts: dict[int, int] = {}
    top: dict[int, list[int]] = {}
    for person, alerts, alert_id in rows:
        counts[person] = alerts
        top.setdefault(person, []).append(alert_id)
    # Handed to the mail server already; a digest recorded but not marked was being sent
    # by a run that was killed: sent now (at most the one in flight goes out twice).
    already = set(
        DigestSent.objects.filter(day=day, handed_over=True).values_list("employee_id", flat=True)
    )
    people = list(
        Employee.objects.filter(pk__in=set(counts) - already)
        .exclude(email="")
        .select_related("user")
        .order_by("pk")
    )
    if not people:
        return 0
    alerts = {
        row["id"]: row
        for row in Alert.objects.filter(
            pk__in=[i for person in people for i in top[person.pk]]
        ).values(*_WORDED)
    }
    seen = departures_seen_by_each(people)
    messages = [
        (
            person,
            _message(
                person, [alerts[i] for i in top[person.pk]], counts[person.pk], day, seen[person.pk]
            ),
        )
        for person in people
    ]
    with job_steps.mail_connection() as mail:
        # Claimed (committed) before the first message goes out, marked handed over in
        # blocks as the server takes them: a run killed midway leaves only the
        # unmarked ones to its re-run, never a person without their digest.
        with transaction.atomic():
            DigestSent.objects.bulk_create(
                (
                    DigestSent(
                        employee=person, day=day, alerts=counts[person.pk], handed_over=False
                    )
                    for person in people
                ),
                ignore_conflicts=True,
            )
        refused = []
        for start in range(0, len(messages), DIGEST_MARK_EVERY):
            block = messages[start : start + DIGEST_MARK_EVERY]
            job_steps.check_still_owner()  # a step taken over meanwhile: its new owner sends
            refused += job_steps.send_or_set_aside(
                mail,
                block,
                describe=lambda person: {
                    "model": "alert digest",
                    "object_id": person.pk,
                    "key": person.name,
                },
            )
            DigestSent.objects.filter(
                day=day, employee__in=[person for person, _ in block if person not in refused]
            ).update(handed_over=True)
            job_steps.fault_point("digest_block")  # tests: strike between two blocks
    if refused:  # not sent: tried again on the next run
        DigestSent.objects.filter(day=day, employee__in=refused).delete()
    return len(people) - len(refused)


def _message(
    person: Employee, alerts: list[dict], total: int, day: dt.date, seen: set[int] | None
) -> EmailMessage:
    """The digest in the recipient's language, naming an owner's last day only if they
    may read it (`seen`: departures_seen_by_each's answer for them). `alerts`: rows of
    the `_WORDED` fields."""
    with translation.override(language_of(person)):
        line = _("%(customer)s: %(text)s (%(amount)s at risk). %(play)s")
        lines = "\n".join(
            "- "
            + line
            % {
                "customer": a["customer__name"],
                "text": reason_text(
                    a,
                    departure_visible=seen is None or a["customer__primary_owner_id"] in seen,
                ),
                "amount": money_estimate(a["revenue_at_risk"]),
                "play": play_text(a["play"]),
            }
            for a in alerts
        )
        more = (
            "\n" + _("... and %(count)d more.") % {"count": total - len(alerts)}
            if total > len(alerts)
            else ""
        )
        subject = ngettext(
            "%(count)d open alert on your customers, %(day)s",
            "%(count)d open alerts on your customers, %(day)s",
            total,
        ) % {"count": total, "day": date_format(day)}
        body = _("Most revenue at risk first:") + f"\n{lines}{more}\n"
    return EmailMessage(subject, body, None, [person.email])
