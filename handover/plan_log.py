"""The handover plan's log: what the jobs and people did, in order.

Each entry is stored as a code and its figures (names, counts, ISO days) with the
English sentence beside it; pages word it in the reader's language. Entries written
before codes were stored show their sentence as it was."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from retention.wording import reword


def _person(p: dict, key: str = "person") -> str:
    return p.get(key) or _("the system")


def _day(value: str) -> str:
    return date_format(dt.date.fromisoformat(value))


def _last_day_processed(p: dict) -> str:
    changed, count = p["changed"], p["count"]
    values = {**p, "manager": p.get("manager") or _("nobody")}
    return " ".join(
        [
            ngettext(
                "Last day: %(changed)d ownership change written.",
                "Last day: %(changed)d ownership changes written.",
                changed,
            )
            % values,
            *(
                [
                    ngettext(
                        "%(count)d customer without an accepted successor went to %(manager)s.",
                        "%(count)d customers without an accepted successor went to %(manager)s.",
                        count,
                    )
                    % values
                ]
                if count
                else []
            ),
            _("%(name)s marked departed and their login disabled.") % values,
        ]
    )


def _reason(reason) -> str:
    """A stored reason: its code and figures worded again, or its text as written."""
    return reword(reason) if isinstance(reason, dict) else reason


def _tasks_raised(p: dict) -> str:
    count = p["count"]
    return ngettext(
        "%(count)d handover task raised.", "%(count)d handover tasks raised.", count
    ) % {"count": count}


def _successors_accepted(p: dict) -> str:
    count = p["count"]
    return ngettext(
        "%(count)d successor accepted by %(person)s.",
        "%(count)d successors accepted by %(person)s.",
        count,
    ) % {"count": count, "person": _person(p)}


def _not_handed_over(p: dict) -> str:
    count = p["count"]
    return ngettext(
        "%(count)d customer could not be handed over and stays with its task open: %(customers)s",
        "%(count)d customers could not be handed over and stay with their tasks open: "
        "%(customers)s",
        count,
    ) % {"count": count, "customers": "; ".join(p["customers"])}


def _manager_told(p: dict) -> str:
    count = p["count"]
    return ngettext(
        "E-mailed %(manager)s: %(count)d customer needs a successor.",
        "E-mailed %(manager)s: %(count)d customers need a successor.",
        count,
    ) % {"manager": p.get("manager") or _("the manager"), "count": count}


MESSAGES: dict[str, Callable[[dict], str]] = {
    "departure_recorded": lambda p: (
        _("Departure recorded by %(person)s; last day %(day)s.")
        % {"person": _person(p), "day": _day(p["day"])}
    ),
    "demo_departure_recorded": lambda p: _("Departure recorded by HR (demo data)."),
    "last_day_changed": lambda p: (
        _("Last day moved from %(before)s to %(day)s by %(person)s; the steps moved with it.")
        % {"before": _day(p["before"]), "day": _day(p["day"]), "person": _person(p)}
    ),
    "cancelled": lambda p: (
        (_("Cancelled by %(person)s: the employee stays.") % {"person": _person(p)})
        + (" " + p["note"] if p.get("note") else "")
    ),
    "tasks_raised": _tasks_raised,
    "successors_accepted": _successors_accepted,
    "ownership_changed": lambda p: (
        _("%(customer)s now owned by %(successor)s (changed by %(person)s).")
        % {"customer": p["customer"], "successor": p["successor"], "person": _person(p)}
    ),
    "last_day_processed": _last_day_processed,
    "complete": lambda p: _("Every step done: handover complete."),
    "last_day_failed": lambda p: (
        _("The last-day handover failed and was set aside: %(reason)s")
        % {"reason": _reason(p["reason"])}
    ),
    "not_handed_over": _not_handed_over,
    "manager_told": _manager_told,
}


def entry(code: str, params: dict) -> dict:
    """A new log entry (without its time): the code, its figures and the English text."""
    with translation.override("en"):
        return {"code": code, "params": params, "message": MESSAGES[code](params)}


def entry_text(stored: dict) -> str:
    """A stored entry in the active language."""
    words = MESSAGES.get(stored.get("code", ""))
    if words is not None:
        try:
            return words(stored.get("params") or {})
        except (KeyError, TypeError, ValueError):
            pass
    return stored.get("message", "")


# Why a successor is recommended: written in English when the tasks are raised; read in
# the reader's language (pages, and the API by Accept-Language) by matching the sentences written in
# handover/selectors.py and services.py. A sentence not matched shows as written.
def _segment(code: str) -> str:
    from customers.models import Segment

    return str(Segment(code).label).lower() if code in Segment.values else code


def _book(m: re.Match) -> str:
    from customers.templatetags.risk import money

    return _("book %(load)s of %(capacity)s customers, %(amount)s a year") % {
        "load": m[1],
        "capacity": m[2],
        "amount": money(m[3].replace(",", "")),
    }


RECOMMENDATION_WORDS: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"already their other owner"), lambda m: _("already their other owner")),
    (
        re.compile(r"has dealt with them \((\d+) interactions in 180 days\)"),
        lambda m: (
            ngettext(
                "has dealt with them (%(count)s interaction in 180 days)",
                "has dealt with them (%(count)s interactions in 180 days)",
                int(m[1]),
            )
            % {"count": m[1]}
        ),
    ),
    (re.compile(r"same team"), lambda m: _("same team")),
    (
        re.compile(r"same region \((.*)\)"),
        lambda m: _("same region (%(region)s)") % {"region": m[1]},
    ),
    (
        re.compile(r"looks after (\d+) (\w+) customers"),
        lambda m: (
            _("looks after %(count)s %(segment)s customers")
            % {"count": m[1], "segment": _segment(m[2])}
        ),
    ),
    (re.compile(r"book (\d+) of (\d+) customers, ([\d,]+) a year"), _book),
    (re.compile(r"over capacity"), lambda m: _("over capacity")),
    (
        re.compile(r"no successor accepted by the last day: the manager takes over"),
        lambda m: _("no successor accepted by the last day: the manager takes over"),
    ),
    (
        re.compile(
            r"no successor accepted by the last day and the manager is leaving: "
            r"the next manager up takes over"
        ),
        lambda m: _(
            "no successor accepted by the last day and the manager is leaving: "
            "the next manager up takes over"
        ),
    ),
]


def recommendation_reasons(reasons: list[str]) -> list[str]:
    """Each of a recommendation's reasons in the active language (amounts with the
    currency): the plan page and the API (by Accept-Language) word them alike."""
    worded = []
    for reason in reasons or []:
        for pattern, words in RECOMMENDATION_WORDS:
            match = pattern.fullmatch(reason)
            if match:
                worded.append(str(words(match)))
                break
        else:
            worded.append(reason)
    return worded


def recommendation_text(reasons: list[str]) -> str:
    """A recommendation's reasons, joined, in the active language."""
    return _("; ").join(recommendation_reasons(reasons))
