"""Alerts from the day's warning signs: one per customer and sign, routed, refreshed,
woken from snooze, and closed when the sign clears."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alerts.models import Alert, SignalRule
from alerts.services import act_on_alert, raise_alerts
from customers.scoring import runs
from tests.customers.scoring_world import AS_OF, K, at, build_world
from tests.factories import InteractionFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
NEXT_DAY = AS_OF + dt.timedelta(days=1)


@pytest.fixture
def world():
    return build_world()


def score_and_alert(day):
    runs.score_all(day=day)
    return raise_alerts(day=day)


def live(customer):
    return dict(
        Alert.objects.filter(customer=customer, status__in=Alert.LIVE).values_list("signal", "text")
    )


def test_each_fired_sign_opens_one_alert_with_its_figures_and_play(world):
    result = score_and_alert(AS_OF)
    # Alpha: complaint, discount, satisfaction drop, decision-maker left, owner leaving
    # and owner left (see test_scoring_reasons_and_rules); Bravo: engagement drop (its
    # single-threaded sign is off by default: too common to alert on).
    assert live(world.alpha) == {
        "decision_maker_left": "Decision-maker left on 2026-05-01",
        "owner_departed": "Owner left on 2026-05-10",
        "complaint": "Complaint 9 days ago (1 complaint in 90 days)",
        "discount_request": "Asked for a discount 46 days ago",
        "owner_departing": "Owner leaves on 2026-07-31",
        "satisfaction_drop": "Satisfaction fell from 9 to 6",
    }
    assert set(live(world.bravo)) == {"engagement_drop"}
    assert result.opened == 7
    alert = Alert.objects.get(customer=world.alpha, signal="discount_request")
    # Alpha ranks first of two customers: tier medium (5/15/25/... of 2 customers).
    assert alert.owner == world.e1
    assert alert.play == (
        "Account manager call or a targeted offer. "
        "Price-sensitive: offer tiered pricing or a longer contract with a discount."
    )
    assert float(alert.revenue_at_risk) == pytest.approx(0.653339 * 15000, abs=0.01)


def test_running_again_opens_no_duplicates(world):
    score_and_alert(AS_OF)
    before = {a.pk: (a.text, a.figures_on) for a in Alert.objects.all()}
    again = raise_alerts(day=AS_OF)
    # Nothing changed since: all 7 kept, none rewritten.
    assert (again.opened, again.kept, again.refreshed, again.cleared) == (0, 7, 0, 0)
    assert {a.pk: (a.text, a.figures_on) for a in Alert.objects.all()} == before


def test_an_alert_closes_itself_when_the_sign_clears(world):
    score_and_alert(AS_OF)
    # Bravo gets two more calls the next day: 3 interactions in 30 days against 3 a month
    # is no drop.
    for who in (world.e2, world.e3):
        InteractionFactory(customer=world.bravo, employee=who, kind=K.CALL, happened_at=at(-1))
    result = score_and_alert(NEXT_DAY)
    assert result.cleared == 1
    closed = Alert.objects.get(customer=world.bravo, signal="engagement_drop")
    assert closed.status == "cleared" and closed.closed_on == NEXT_DAY
    # Stored without words; worded when read, in the reader's language.
    assert closed.note == ""
    assert (
        closed.note_text
        == "Closed automatically on 1 Jul 2026: the warning sign no longer applies."
    )


def test_high_stakes_go_to_the_team_manager_too(world, settings):
    team = TeamFactory(manager=world.e3)
    world.e1.team = team
    world.e1.save()
    settings.ALERT_MANAGER_REVENUE_AT_RISK = 9_000  # Alpha has 9,800 at risk, Bravo 1,276
    score_and_alert(AS_OF)
    assert set(Alert.objects.filter(customer=world.alpha).values_list("manager", flat=True)) == {
        world.e3.pk
    }
    assert set(Alert.objects.filter(customer=world.bravo).values_list("manager", flat=True)) == {
        None
    }


def test_a_snooze_wakes_up_on_its_day_if_the_sign_still_fires(world):
    score_and_alert(AS_OF)
    alert = Alert.objects.get(customer=world.alpha, signal="complaint")
    Alert.objects.filter(pk=alert.pk).update(
        status="snoozed", snoozed_until=NEXT_DAY + dt.timedelta(days=1)
    )
    score_and_alert(NEXT_DAY)
    alert.refresh_from_db()
    assert alert.status == "snoozed"  # the day before its date
    score_and_alert(NEXT_DAY + dt.timedelta(days=1))
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == ("open", None)


def test_rules_switch_on_and_off_and_off_closes_their_alerts(world):
    SignalRule.ensure_defaults()
    SignalRule.objects.filter(code="single_threaded").update(enabled=True)
    score_and_alert(AS_OF)
    assert "single_threaded" in live(world.bravo)
    SignalRule.objects.filter(code="single_threaded").update(enabled=False)
    raise_alerts(day=AS_OF)
    assert "single_threaded" not in live(world.bravo)


def test_resolving_needs_a_note_and_snoozing_a_later_day(world):
    score_and_alert(AS_OF)
    alert = Alert.objects.filter(customer=world.alpha).first()
    with pytest.raises(ValidationError, match="Say what was done"):
        act_on_alert(alert=alert, action="resolve")
    with pytest.raises(ValidationError, match="Snooze until a day after today"):
        act_on_alert(alert=alert, action="snooze", until=dt.date(2020, 1, 1))
    act_on_alert(alert=alert, action="resolve", note="Called them; fixed")
    assert alert.status == "resolved"


def test_the_inbox_lists_my_alerts_and_the_navigation_counts_them(world, client):
    score_and_alert(AS_OF)
    world.e3.user = UserFactory(username="e3")
    world.e3.save()
    client.force_login(world.e3.user)
    page = client.get(reverse("alerts:inbox")).content.decode()
    assert "Bravo" in page and "Interactions down 67%" in page and "Alpha" not in page
    assert 'Alerts <span class="badge text-bg-danger">1<' in page
    alert = Alert.objects.get(customer=world.bravo, signal="engagement_drop")
    client.post(reverse("alerts:act", args=[alert.pk]), {"action": "acknowledge"})
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    other = Alert.objects.filter(customer=world.alpha).first()  # another's customer
    assert (
        client.post(reverse("alerts:act", args=[other.pk]), {"action": "acknowledge"}).status_code
        == 404
    )


def test_a_jump_of_two_tiers_in_a_week_raises_an_alert(world):
    from customers.models import RiskModel, RiskScore, ScoringRun

    model = RiskModel.objects.create(
        version=9, kind="rules", as_of=AS_OF, horizon_days=90, window_start=AS_OF, window_end=AS_OF
    )
    week_ago = AS_OF - dt.timedelta(days=7)
    for day, alpha_tier, bravo_tier in ((week_ago, 4, 3), (AS_OF, 2, 2)):
        ScoringRun.objects.create(day=day, model=model, status="complete")
        for customer, tier in ((world.alpha, alpha_tier), (world.bravo, bravo_tier)):
            RiskScore.objects.create(
                customer=customer,
                day=day,
                valid_until=AS_OF if day == week_ago else None,  # the week-old score ended
                model=model,
                # Alpha's stored score went from 50% to 54%: up 4 points.
                probability=0.54 if (customer, day) == (world.alpha, AS_OF) else 0.5,
                tier=tier,
                annual_value=1000,
                revenue_at_risk=500,
            )
    raise_alerts(day=AS_OF)
    # Alpha went from low (4) to high (2); Bravo from medium (3) to high (2) is one tier.
    # The alert tells the stored scores' 4 points (50% -> 54%). In that week Alpha's
    # satisfaction fell from 9 to 6 (the call 5 days ago), the one warning sign that
    # changed: all 4 points are its own.
    assert live(world.alpha) == {
        "tier_jump": "Risk tier rose from Low to High since 2026-06-23. Risk up 4 pts: "
        "Satisfaction down 2 or more no → yes (+4)"
    }
    assert live(world.bravo) == {}


def test_the_daily_digest_lists_open_alerts_once_a_day(world, mailoutbox):
    from alerts.services import send_digests

    score_and_alert(AS_OF)
    mailoutbox.clear()
    assert send_digests(day=AS_OF) == 2  # E1 (Alpha's owner) and E3 (Bravo's)
    to_e1 = next(m for m in mailoutbox if m.to == [world.e1.email])
    assert to_e1.subject == "6 open alerts on your customers, 30 Jun 2026"
    assert "Alpha: Decision-maker left on 1 May 2026 (EUR 9,800 at risk)" in to_e1.body
    assert send_digests(day=AS_OF) == 0 and len(mailoutbox) == 2


def test_admins_change_a_threshold_and_the_next_run_follows_it(world):
    SignalRule.ensure_defaults()
    rule = SignalRule.objects.get(code="engagement_drop")
    rule.thresholds = {"below_ratio": 0.3}  # Bravo is at 1/3 of its usual: no longer a drop
    rule.full_clean()
    rule.save()
    score_and_alert(AS_OF)
    assert "engagement_drop" not in live(world.bravo)
    from customers.models import RiskScore

    reasons = RiskScore.objects.get(customer=world.bravo).reasons
    assert [r["signal"] for r in reasons] == ["single_threaded"]  # the drop is gone


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"below": 0.3}, "'below' is not a threshold of this sign (it has: below_ratio)"),
        ({"below_ratio": "half"}, "below_ratio must be a number of at least 0, got 'half'"),
    ],
)
def test_a_bad_threshold_is_refused_naming_it(thresholds, message):
    rule = SignalRule(code="engagement_drop", thresholds=thresholds)
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert message in " ".join(error.value.message_dict["thresholds"])


def test_a_play_for_the_tier_and_segment_beats_the_tier_default(world):
    from alerts.models import TierPlay

    TierPlay.lookup()
    TierPlay.objects.create(tier=3, segment="core", text="Core account: the sales director calls.")
    score_and_alert(AS_OF)
    alpha = Alert.objects.get(customer=world.alpha, signal="complaint")  # core, medium
    bravo = Alert.objects.get(customer=world.bravo, signal="engagement_drop")  # general, low
    assert alpha.play.startswith("Core account: the sales director calls. Service-sensitive")
    assert bravo.play.startswith("Standard care: survey and regular newsletter. Call them")


def test_a_live_alert_follows_the_tier_and_the_owner_and_keeps_its_figures_otherwise(world):
    from customers.models import RiskScore

    score_and_alert(AS_OF)
    alert = Alert.objects.get(customer=world.alpha, signal="complaint")
    assert (alert.tier, alert.owner, alert.figures_on) == (3, world.e1, AS_OF)  # medium
    # The same night again, after the alert was acknowledged: nothing to rewrite.
    Alert.objects.filter(pk=alert.pk).update(status="acknowledged")
    raise_alerts(day=AS_OF)
    alert.refresh_from_db()
    assert (alert.status, alert.tier) == ("acknowledged", 3)
    # The score is corrected to very high and Alpha handed to E2: the alert moves with it.
    RiskScore.objects.filter(customer=world.alpha, day=AS_OF).update(tier=1)
    world.alpha.primary_owner = world.e2
    world.alpha.save()
    result = raise_alerts(day=AS_OF)
    alert.refresh_from_db()
    assert (alert.status, alert.tier, alert.owner) == ("acknowledged", 1, world.e2)
    assert result.refreshed == 6  # Alpha's six alerts; Bravo's one is unchanged
    assert result.kept == 7 and result.opened == 0


def test_a_manager_s_digest_counts_escalated_alerts_once_riskiest_first(
    world, settings, mailoutbox
):
    from alerts.services import send_digests

    team = TeamFactory(manager=world.e3)
    world.e1.team = team
    world.e1.save()
    settings.ALERT_MANAGER_REVENUE_AT_RISK = 9_000  # Alpha (9,800 at risk) escalates
    score_and_alert(AS_OF)
    mailoutbox.clear()
    send_digests(day=AS_OF, limit=2)
    to_e3 = next(m for m in mailoutbox if m.to == [world.e3.email])
    # E3 owns Bravo (1 alert) and manages E1's team: Alpha's 6 alerts reach them too.
    assert to_e3.subject == "7 open alerts on your customers, 30 Jun 2026"
    lines = [line for line in to_e3.body.splitlines() if line.startswith("- ")]
    assert len(lines) == 2 and all(line.startswith("- Alpha:") for line in lines)
    assert to_e3.body.rstrip().endswith("... and 5 more.")


def test_a_snooze_date_the_form_cannot_read_is_named_not_dumped(world, client):
    score_and_alert(AS_OF)
    world.e3.user = UserFactory(username="e3")
    world.e3.save()
    client.force_login(world.e3.user)
    alert = Alert.objects.get(customer=world.bravo, signal="engagement_drop")
    response = client.post(
        reverse("alerts:act", args=[alert.pk]),
        {"action": "snooze", "until": "31/12/2026"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    page = response.content.decode()
    assert "Enter a valid date." in page and "isoformat" not in page
    alert.refresh_from_db()
    assert alert.status == "open"
