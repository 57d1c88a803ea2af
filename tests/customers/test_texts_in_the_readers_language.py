"""Reasons, alert texts, plays and the handover log are stored as codes with their
figures and worded in the reader's language when shown (pages, the API, e-mails); the
owner's last day only for readers who may see the departure (staff/access.py)."""

import datetime as dt

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import translation

from alerts.models import Alert
from alerts.services import raise_alerts, send_digests
from customers.models import RiskScore
from customers.scoring import runs, signals
from customers.scoring.wording import play_text, reason_text
from handover.models import HandoverPlan
from handover.plan_log import entry_text
from staff.models import Employee
from tests.api.helpers import user_client
from tests.customers.scoring_world import AS_OF, build_world
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _every_signal_fires() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two customers between them firing every signal (contract ending in 0 and in 120
    days; owner left for one, owner changed for the other)."""
    common = {
        "engagement_ratio": 0.25,
        "interactions_prior_90d": 12,
        "days_since_last_interaction": 95.0,
        "tenure_days": 800,
        "segment": "core",
        "renewal_talks_180d": 0,
        "contract_term_days": 365,
        "days_since_complaint": 0.0,
        "complaints_90d": 2,
        "support_tickets_30d": 1,
        "days_since_discount_request": 1.0,
        "latest_satisfaction": 4.0,
        "previous_satisfaction": 8.0,
        "satisfaction_change": -4.0,
        "usage_ratio": 0.2,
        "usage_prior_90d": 30,
        "usage_drop_ratio": 0.17,
        "usage_drop_event": "reports_run",
        "decision_maker_left_90d": 1,
        "decision_maker_left_on": pd.Timestamp("2026-05-01"),
        "owner_departing": 1,
        "owner_leaves_on": pd.Timestamp("2026-07-31"),
        "owner_departed_on": pd.Timestamp("2026-05-10"),
        "single_threaded": 1,
    }
    features = pd.DataFrame(
        [
            {**common, "days_to_contract_end": 0, "owner_departed_180d": 1, "owner_changed_90d": 0},
            {
                **common,
                "days_to_contract_end": 120,
                "owner_departed_180d": 0,
                "owner_changed_90d": 1,
                "support_tickets_30d": 3,
                "days_since_complaint": 1.0,
                "complaints_90d": 1,
            },
        ],
        index=[1, 2],
    )
    return features, signals.fired(features)


def test_every_signal_is_worded_in_english_exactly_as_its_stored_text():
    import json

    features, flags = _every_signal_fires()
    rows = signals.top_reasons(features, flags, signals.RULES_WEIGHTS, limit=len(signals.SIGNALS))
    stored = [reason for row in rows for reason in json.loads(row)]
    fired = {reason["signal"] for reason in stored}
    assert fired == {s.code for s in signals.SIGNALS}
    # The same sentence, but for the days, which follow the language's format.
    dates = {"2026-05-01": "1 May 2026", "2026-05-10": "10 May 2026", "2026-07-31": "31 Jul 2026"}
    english = [r["text"] for r in stored]
    for iso, shown in dates.items():
        english = [text.replace(iso, shown) for text in english]
    with translation.override("en"):
        assert [reason_text(r) for r in stored] == english
    by_code = {(r["signal"], r["params"].get("days")): r for r in stored}
    assert by_code[("contract_ending_90", 0)]["text"] == (
        "Contract ends today, no renewal talk logged"
    )
    assert by_code[("contract_ending_180", 120)]["params"] == {"days": 120}
    usage = next(r for r in stored if r["signal"] == "usage_event_drop")
    # The event keeps its name as data; 1 - 0.17 = 83%.
    assert usage["params"] == {"event": "reports_run", "percent": 83}
    assert usage["text"] == "Reports run down 83% vs the prior 3 months"
    with translation.override("zh-hans"):
        assert reason_text(usage) == "Reports run 比前 3 个月下降 83%"
        chinese = [reason_text(r) for r in stored]
    assert not set(chinese) & {r["text"] for r in stored}  # no English left


def test_rows_stored_before_the_figures_show_their_text():
    old = {"signal": "no_recent_contact", "text": "No contact for 75 days (segment norm 30)"}
    with translation.override("zh-hans"):
        assert reason_text(old) == "No contact for 75 days (segment norm 30)"
        assert reason_text({**old, "params": {"days": 75, "norm": 30}}) == (
            "已 75 天没有联系（该客户级别的标准为 30 天）"
        )


@pytest.fixture
def world():
    world = build_world()
    runs.score_all(day=AS_OF)
    raise_alerts(day=AS_OF)
    return world


def _people(world):
    """E1 (Alpha's owner, leaving 31 Jul 2026) with a login; E2 Alpha's secondary owner;
    Mo, the manager of E1's team. (Chinese groups thousands too: EUR 9,800.)"""
    world.e1.user = UserFactory(username="e1")
    world.e1.save()
    world.e2.user = UserFactory(username="e2")
    world.e2.save()
    world.alpha.secondary_owner = world.e2
    world.alpha.save()
    mo = EmployeeFactory(name="Mo", role=Employee.Role.MANAGER, user=UserFactory(username="mo"))
    world.e1.team.manager = mo
    world.e1.team.save()
    return world.e1, world.e2, mo


def test_the_stored_reasons_and_alerts_carry_their_figures(world):
    score = RiskScore.objects.get(customer=world.alpha, day=AS_OF)
    figures = {r["signal"]: r["params"] for r in score.signals}
    assert figures["complaint"] == {"days_ago": 9, "complaints": 1}
    assert figures["decision_maker_left"] == {"day": "2026-05-01"}
    alert = Alert.objects.get(customer=world.alpha, signal="owner_departing")
    assert alert.params == {"day": "2026-07-31"}
    assert alert.text == "Owner leaves on 2026-07-31"  # the English fallback


def test_the_customer_page_words_reasons_and_alerts_in_the_readers_language(world, client):
    _owner, _secondary, manager = _people(world)
    client.force_login(manager.user)
    url = reverse("customer", args=[world.alpha.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, response
    chinese = response.content.decode()
    assert "决策人已于 2026年5月1日 离开" in chinese
    assert "9 天前有投诉（90 天内 1 次投诉）" in chinese
    assert "Decision-maker left on" not in chinese and "Complaint 9 days ago" not in chinese
    # The play: the tier's and the sign's default sentences, both in Chinese.
    assert "价格敏感：提供分级定价，或以折扣换取更长的合同。" in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Decision-maker left on 1 May 2026" in english


def test_only_readers_who_may_see_the_departure_read_the_owners_last_day(world, client):
    _owner, secondary, manager = _people(world)
    url = reverse("customer", args=[world.alpha.pk])
    # (The owner, whose last day has passed by now, can no longer sign in.)
    for person, sees in ((manager, True), (secondary, False)):
        client.force_login(person.user)
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert ("Owner leaves on 31 Jul 2026" in page) is sees, person
        assert ("The account owner is leaving" in page) is not sees, person
        assert ("31 Jul 2026" in page) is sees, person
    # The API leaves the day out of the text and of the figures for the secondary owner.
    api, _token = user_client(secondary.user)
    alerts = api.get("/api/v1/alerts/", {"signal": "owner_departing"}).json()["results"]
    assert [(a["text"], a["params"]) for a in alerts] == [("The account owner is leaving", {})]
    scores = api.get("/api/v1/risk-scores/", {"customer": world.alpha.pk}).json()["results"]
    departing = [r for r in scores[0]["signals"] if r["signal"] == "owner_departing"]
    assert departing == [
        {"signal": "owner_departing", "text": "The account owner is leaving", "params": {}}
    ]
    api, _token = user_client(manager.user)
    alerts = api.get(
        "/api/v1/alerts/", {"signal": "owner_departing"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()["results"]
    assert [(a["text"], a["params"]) for a in alerts] == [
        ("负责人将于 2026年7月31日 离职", {"day": "2026-07-31"})
    ]


def test_the_digest_is_worded_in_the_recipients_language(world, mailoutbox):
    world.e1.language = "zh-hans"
    world.e1.save()
    send_digests(day=AS_OF)
    body = next(m for m in mailoutbox if m.to == [world.e1.email]).body
    assert "Alpha：决策人已于 2026年5月1日 离开（风险金额 EUR 9,800）。" in body


def test_the_handover_log_is_worded_in_the_readers_language(world):
    plan = HandoverPlan.objects.create(
        employee=world.e1, last_day=dt.date(2026, 7, 31), reason="Moving", voluntary=True
    )
    plan.add_log("tasks_raised", count=3)
    plan.add_log("departure_recorded", person=None, day="2026-07-31")
    plan.log.append({"at": "2026-06-01T10:00:00+00:00", "message": "Written before codes."})
    new, recorded, old = plan.log
    assert new["message"] == "3 handover tasks raised."  # English beside the code
    assert (new["code"], new["params"]) == ("tasks_raised", {"count": 3})
    with translation.override("zh-hans"):
        assert entry_text(new) == "已生成 3 个交接任务。"
        assert entry_text(recorded) == "离职由系统记录；最后工作日 2026年7月31日。"
        assert entry_text(old) == "Written before codes."


def test_a_play_an_admin_wrote_is_shown_as_written():
    with translation.override("zh-hans"):
        assert play_text("Call the CFO first.") == "Call the CFO first."
        assert play_text("Account manager call or a targeted offer. Call the CFO first.") == (
            "客户经理致电或提供有针对性的优惠。 Call the CFO first."
        )


def test_why_a_successor_is_recommended_reads_in_the_readers_language():
    from handover.plan_log import recommendation_text

    stored = [
        "already their other owner",
        "has dealt with them (4 interactions in 180 days)",
        "looks after 2 core customers",
        "book 12 of 40 customers, 345,600 a year",
        "something an older version wrote",
    ]
    with translation.override("en"):
        assert recommendation_text(stored) == (
            "already their other owner; has dealt with them (4 interactions in 180 days); "
            "looks after 2 core customers; book 12 of 40 customers, EUR 345,600 a year; "
            "something an older version wrote"
        )
    with translation.override("zh-hans"):
        assert recommendation_text(stored) == (
            "已是他们的另一位负责人；与他们打过交道（180 天内 4 次互动）；负责 2 位核心客户；"
            "名下客户 12 / 40 位，每年 EUR 345,600；something an older version wrote"
        )
