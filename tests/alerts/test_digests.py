"""The daily digests at many recipients: a handful of queries whatever their number, one
connection to the mail server, once a day each, and a refused address set aside while
the others go out."""

from decimal import Decimal

import pytest

from alerts.digests import send_digests
from alerts.models import Alert, DigestSent
from tests.alerts.refusing_mail import EmailBackend
from tests.alerts.test_raise_alerts import score_and_alert
from tests.customers.scoring_world import AS_OF, build_world
from tests.factories import CustomerFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """The scoring world's night (E1 owns Alpha: 6 open alerts; E3 owns Bravo: 1), and ten
    more account managers with one customer and one open alert each (a copy of Bravo's
    engagement drop, 100, 200, ... 1,000 at risk): 12 people to write to."""
    world = build_world()
    score_and_alert(AS_OF)
    drop = Alert.objects.get(customer=world.bravo, signal="engagement_drop")
    extra = []
    for k in range(1, 11):
        owner = EmployeeFactory(name=f"AM{k}", email=f"am{k}@example.com")
        customer = CustomerFactory(name=f"Customer {k}", primary_owner=owner)
        drop.pk, drop.customer, drop.owner = None, customer, owner
        drop.revenue_at_risk = Decimal(100 * k)
        drop.save()
        extra.append(owner)
    return world, extra


def test_twelve_digests_cost_a_handful_of_queries_and_go_out_once(
    people, mailoutbox, django_assert_max_num_queries
):
    world, extra = people
    mailoutbox.clear()
    # The ranking, who had theirs, the people, their alerts with customers, the insert
    # and its savepoint (no manager: no team query): 7, against 4 or more per person
    # (48 here) when each digest read its alerts and recorded itself on its own.
    with django_assert_max_num_queries(8):
        assert send_digests(day=AS_OF) == 12
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [world.e1.email, world.e3.email] + [f"am{k}@example.com" for k in range(1, 11)]
    )
    am7 = next(m for m in mailoutbox if m.to == ["am7@example.com"])
    assert am7.subject == "1 open alert on your customers, 30 Jun 2026"
    assert "- Customer 7: " in am7.body and "(EUR 700 at risk)" in am7.body
    assert DigestSent.objects.get(day=AS_OF, employee=world.e1).alerts == 6
    # A re-run (after a kill, or the step re-run by hand) sends none twice.
    with django_assert_max_num_queries(3):
        assert send_digests(day=AS_OF) == 0
    assert len(mailoutbox) == 12 and DigestSent.objects.filter(day=AS_OF).count() == 12


def test_an_address_the_mail_server_refuses_is_left_unsent_and_the_others_go_out(
    people, mailoutbox, settings
):
    world, extra = people
    settings.EMAIL_BACKEND = "tests.alerts.refusing_mail.EmailBackend"
    for k in (3, 8):  # AM3 and AM8: addresses the server does not know
        extra[k - 1].email = f"am{k}@refused.example"
        extra[k - 1].save()
    mailoutbox.clear()
    EmailBackend.opened = 0
    assert send_digests(day=AS_OF) == 10
    assert EmailBackend.opened == 1  # one connection for all twelve messages
    assert len(mailoutbox) == 10
    refused = {extra[2].pk, extra[7].pk}
    sent = set(DigestSent.objects.filter(day=AS_OF).values_list("employee_id", flat=True))
    assert len(sent) == 10 and not sent & refused
    # AM3's address is mended: the next run sends AM3's digest only (AM8's is refused
    # again), nobody else's twice.
    extra[2].email = "am3@example.com"
    extra[2].save()
    assert send_digests(day=AS_OF) == 1
    assert [m.to for m in mailoutbox[10:]] == [["am3@example.com"]]
    assert not DigestSent.objects.filter(day=AS_OF, employee=extra[7]).exists()


def test_a_manager_reads_the_last_day_of_their_team_s_owners_only(
    people, mailoutbox, django_assert_max_num_queries
):
    """E3 manages a team with E1 (Alpha's owner, who left on 10 May): E3's digest of the
        escalated alerts names that day. E1 has no login: their own digest says only that the
    owner is leaving, as before."""
    from tests.factories import TeamFactory, UserFactory

    world, extra = people
    world.e3.role, world.e3.user = "manager", UserFactory(username="e3")
    world.e3.save()
    world.e1.team = TeamFactory(manager=world.e3)
    world.e1.save()
    Alert.objects.filter(customer=world.alpha).update(manager=world.e3)
    mailoutbox.clear()
    # Two more for the team tree and the manager's people.
    with django_assert_max_num_queries(10):
        assert send_digests(day=AS_OF) == 12
    to_e3 = next(m for m in mailoutbox if m.to == [world.e3.email])
    assert to_e3.subject == "7 open alerts on your customers, 30 Jun 2026"
    assert "Alpha: Owner leaves on 31 Jul 2026" in to_e3.body
    to_e1 = next(m for m in mailoutbox if m.to == [world.e1.email])
    assert "Owner leaves on" not in to_e1.body and "The account owner is leaving" in to_e1.body


def test_an_older_night_run_after_a_later_one_sends_no_second_digest(people, mailoutbox):
    """Alerts follow the latest scoring day: the older night's alert pass is skipped, and
    so are its digests (everyone got a second digest dated the older day, with the same
    alerts)."""
    import datetime as dt

    from alerts.tasks import raise_alerts as alerts_step
    from customers.scoring import runs

    world, extra = people
    later = AS_OF + dt.timedelta(days=1)
    runs.score_all(day=later)
    assert alerts_step(as_of=later.isoformat())["digests"] == 12
    mailoutbox.clear()
    runs.score_all(day=AS_OF)  # the older night again, after the later one
    result = alerts_step(as_of=AS_OF.isoformat())
    assert result["skipped"].startswith("a later scoring run than")
    assert (result["digests"], len(mailoutbox)) == (0, 0)
    assert not DigestSent.objects.filter(day=AS_OF).exists()


def test_a_run_killed_while_sending_leaves_the_unsent_digests_to_its_re_run(people, mailoutbox):
    """The run records every digest before sending and marks them as the mail server
    takes them: killed midway, its re-run sends the ones not marked (22 of 30 people got
    none that day, and nothing said so)."""
    world, extra = people
    mailoutbox.clear()
    # What a run killed after the first four were handed over leaves behind: all twelve
    # claimed, four marked.
    everyone = [world.e1, world.e3, *extra]
    for n, person in enumerate(everyone):
        DigestSent.objects.create(employee=person, day=AS_OF, alerts=1, handed_over=n < 4)
    assert send_digests(day=AS_OF) == 8
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in everyone[4:])
    assert DigestSent.objects.filter(day=AS_OF, handed_over=True).count() == 12
    assert send_digests(day=AS_OF) == 0  # and no third time


@pytest.mark.postgres
def test_the_indexed_ranking_reads_the_same_digests_as_ranking_every_open_alert():
    """Ann owns four customers, Mia manages her team and owns one herself (an alert routed
    to Mia as owner and as manager counts once); ties on revenue at risk go by id."""
    from django.db import connection

    from alerts.digests import _DIGEST_SQL, _DIGEST_SQL_INDEXED

    ann, mia = EmployeeFactory(name="Ann"), EmployeeFactory(name="Mia")
    today = AS_OF
    rows = [  # (owner, manager, revenue at risk, status)
        (ann, None, "500.00", "open"),
        (ann, mia, "900.00", "open"),
        (ann, mia, "900.00", "open"),  # a tie with the one before: the lower id first
        (ann, None, "100.00", "acknowledged"),  # not open: in no digest
        (mia, mia, "700.00", "open"),  # Mia's own, escalated to herself: once
    ]
    made = []
    for i, (owner, manager, risk, status) in enumerate(rows):
        made.append(
            Alert.objects.create(
                customer=CustomerFactory(primary_owner=owner),
                signal="complaint",
                status=status,
                text=f"alert {i}",
                owner=owner,
                manager=manager,
                revenue_at_risk=Decimal(risk),
                opened_on=today,
                figures_on=today,
            )
        )
    a0, a1, a2, _a3, a4 = (alert.pk for alert in made)
    read = {}
    for name, sql in (("indexed", _DIGEST_SQL_INDEXED), ("portable", _DIGEST_SQL)):
        with connection.cursor() as cursor:
            cursor.execute(sql.format(alerts=Alert._meta.db_table), {"limit": 2})
            read[name] = cursor.fetchall()
    # Ann: three open alerts, the two riskiest (900, 900 by id); Mia: a1, a2 as manager
    # and a4 as owner and manager: three, of which 900, 900.
    expected = [(ann.pk, 3, a1), (ann.pk, 3, a2), (mia.pk, 3, a1), (mia.pk, 3, a2)]
    assert read["indexed"] == read["portable"] == sorted(expected, key=lambda r: r[0])
    assert a0 and a4  # in the counts, below the limit of two
    assert {type(count) for _, count, _ in read["indexed"]} == {int}  # worded by ngettext
