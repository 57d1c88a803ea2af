"""Reasons, alert texts and plays in the reader's language.

The scoring run stores each reason as its signal's code, its figures (`params`) and an
English sentence; alerts keep the same code and figures. What a person reads is worded
here, at display time, in the active language (the viewer's on pages and in the API,
the recipient's in e-mails). Rows written before the figures were stored have only the
English sentence: that is shown as it is.

The last day of a departing owner is HR information: a reader who may not see that
person's departure (staff/access.py departures_seen_by) reads that the owner is leaving,
without the day, and the API leaves the day out of the figures."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from customers.scoring.features import event_label

# Signals whose figures name the owner's last day (hidden from readers who may not see
# the departure).
DEPARTURE_DAY_SIGNALS = {"owner_departing"}


def _day(value: str | None) -> str:
    if not value:
        return "?"
    try:
        return date_format(dt.date.fromisoformat(value))
    except ValueError:
        return value


def _ago(days: int) -> str:
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}


def _contract_ends(days: int) -> str:
    if days == 0:
        return _("Contract ends today, no renewal talk logged")
    return ngettext(
        "Contract ends in %(count)d day, no renewal talk logged",
        "Contract ends in %(count)d days, no renewal talk logged",
        days,
    ) % {"count": days}


def _words(signal: str, p: dict) -> str | None:
    """The sentence for `signal` with figures `p` in the active language; None when the
    figures are incomplete (the stored English sentence is shown instead)."""
    if signal == "engagement_drop":
        return _("Interactions down %(percent)d%% vs the prior 3-month average") % p
    if signal == "no_recent_contact":
        return _("No contact for %(days)d days (segment norm %(norm)d)") % p
    if signal in ("contract_ending_90", "contract_ending_180"):
        return _contract_ends(p["days"])
    if signal == "complaint":
        count = p["complaints"]
        complaints = ngettext(
            "%(count)d complaint in 90 days", "%(count)d complaints in 90 days", count
        ) % {"count": count}
        return _("Complaint %(when)s (%(complaints)s)") % {
            "when": _ago(p["days_ago"]),
            "complaints": complaints,
        }
    if signal == "support_escalation":
        count = p["tickets"]
        return ngettext(
            "%(count)d support ticket in the last 30 days",
            "%(count)d support tickets in the last 30 days",
            count,
        ) % {"count": count}
    if signal == "discount_request":
        return _("Asked for a discount %(when)s") % {"when": _ago(p["days_ago"])}
    if signal == "low_satisfaction":
        return _("Satisfaction %(score)d/10 at the last rating") % p
    if signal == "satisfaction_drop":
        return _("Satisfaction fell from %(was)d to %(now)d") % p
    if signal == "usage_drop":
        return _("Product usage down %(percent)d%% vs the prior 3-month average") % p
    if signal == "usage_event_drop":
        # The event's name is data (what the product reports), not a translated word.
        event = event_label(p["event"]) if p.get("event") else _("Usage")
        return _("%(event)s down %(percent)d%% vs the prior 3 months") % {
            "event": event,
            "percent": p["percent"],
        }
    if signal == "decision_maker_left":
        return _("Decision-maker left on %(day)s") % {"day": _day(p["day"])}
    if signal == "owner_departing":
        return _("Owner leaves on %(day)s") % {"day": _day(p["day"])}
    if signal == "owner_departed":
        return _("Owner left on %(day)s") % {"day": _day(p["day"])}
    if signal == "owner_changed":
        return _("Account owner changed in the last 90 days")
    if signal == "single_threaded":
        return _("Only one person has talked to them in 180 days")
    if signal == "tier_jump":
        return tier_jump_text(p)
    return None


def reason_text(reason: dict, *, departure_visible: bool = True) -> str:
    """One stored reason ({"signal", "text", "params"}) as the reader reads it."""
    signal = reason.get("signal", "")
    if signal in DEPARTURE_DAY_SIGNALS and not departure_visible:
        return _("The account owner is leaving")
    params = reason.get("params")
    if isinstance(params, dict) and (params or signal in ("owner_changed", "single_threaded")):
        try:
            words = _words(signal, params)
        except (KeyError, TypeError, ValueError):
            words = None
        if words is not None:
            return words
    return reason.get("text", "")


def reasons_for_reader(reasons: Iterable[dict], *, departure_visible: bool = True) -> list[dict]:
    """The stored reasons for the API: code and figures as stored (machine-readable),
    `text` in the reader's language; the owner's last day left out for readers who may
    not see it."""
    worded = []
    for reason in reasons or []:
        entry = {
            "signal": reason.get("signal", ""),
            "text": reason_text(reason, departure_visible=departure_visible),
            "params": dict(reason.get("params") or {}),
        }
        if entry["signal"] in DEPARTURE_DAY_SIGNALS and not departure_visible:
            entry["params"].pop("day", None)
        worded.append(entry)
    return worded


def tier_jump_text(p: dict) -> str:
    from customers.models import RiskTier

    text = _("Risk tier rose from %(was)s to %(now)s since %(since)s") % {
        "was": RiskTier(p["was"]).label,
        "now": RiskTier(p["now"]).label,
        "since": _day(p["since"]),
    }
    change = p.get("change")
    if change:
        from customers.scoring.explain import change_sentence

        text += ". " + change_sentence(change["points"], change.get("contributions", []), "")
    return text


def alert_text(alert, *, departure_visible: bool = True) -> str:
    """An alert's figures in the reader's language (its stored text for older alerts)."""
    return reason_text(
        {"signal": alert.signal, "text": alert.text, "params": alert.params},
        departure_visible=departure_visible,
    )


# The default plays (alerts/models.py DEFAULT_PLAYS and TierPlay.DEFAULTS) are stored
# in English on each alert; known sentences are read in the reader's language, a play
# an admin wrote is shown as written.
@functools.cache
def _known_plays() -> tuple[str, ...]:
    from alerts.models import DEFAULT_PLAYS, TierPlay

    sentences = {*DEFAULT_PLAYS.values(), *TierPlay.DEFAULTS.values()}
    return tuple(sorted(sentences, key=len, reverse=True))


def play_text(play: str) -> str:
    """A stored play in the reader's language: its known sentences translated, the rest
    as written. The same few plays fill a night's digests: each is worded once per
    language."""
    if not play:
        return play
    return _play_text(play, get_language())


@functools.lru_cache(maxsize=4096)
def _play_text(play: str, language: str | None) -> str:
    for sentence in _known_plays():
        if sentence in play:
            play = play.replace(sentence, _(sentence))
    return play
