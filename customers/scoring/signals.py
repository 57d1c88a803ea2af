"""The early-warning signals of DOMAIN.md section 4, evaluated on the feature frame.

Each signal says whether it fires for a customer and how to say so in words, with the
numbers in them. The signals serve twice:

- as the *reasons* shown with every score: the fired signals, strongest first, where
  strength is how much more often customers with that signal churned in the training
  history (its lift, stored with each trained model);
- as the *rules-based score* used while there is too little history to train a model:
  each fired signal adds its own chance of churning (a noisy-OR of the points below),
  so the score can be read off the reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

# How long each segment may go without contact before it counts as a warning sign.
NO_CONTACT_DAYS = {"core": 30, "important": 60, "general": 90}
# A drop only counts against a real baseline: at least this many a month before.
MIN_MONTHLY_BASELINE = 1.0
# Only contracts at least this long make "contract ending" a warning sign (the renewal
# conversation starts 3-6 months ahead, DOMAIN.md 4); shorter ones renew routinely.
MIN_RENEWAL_TERM_DAYS = 180
# Chance of churning within the horizon for a customer with no warning sign at all.
RULES_BASE_PROBABILITY = 0.02


@dataclass(frozen=True)
class Signal:
    code: str
    label: str
    fires: Callable[[pd.DataFrame, dict], pd.Series]
    wording: Callable[[pd.DataFrame, dict, dict[str, pd.Series]], pd.Series]
    rules_points: float
    defaults: dict[str, float]
    # The figures in the text, as text per row (the text is built from them): stored with
    # the reason so it can be worded in the reader's language
    # (customers/scoring/wording.py); the text is the English wording, kept for readers
    # of older rows and for integrations.
    params: Callable[[pd.DataFrame, dict], dict[str, pd.Series]] = lambda f, t: {}

    def text(
        self, features: pd.DataFrame, limits: dict, figures: dict[str, pd.Series] | None = None
    ) -> pd.Series:
        """The English sentence per row, built from the figures (worked out if not given)."""
        if figures is None:
            figures = self.params(features, limits)
        return self.wording(features, limits, figures)


def _int(series: pd.Series) -> pd.Series:
    return series.round().astype("Int64").astype(str)


def _date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.strftime("%Y-%m-%d")


# Figures stored as JSON strings (days, event names); every other figure is a number.
TEXT_PARAMS = {"day", "event"}


def _params_json(params: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """'{"days": 42, "norm": 30}' per row from the figures as text, built column-wise."""
    text = pd.Series("{", index=index, dtype="object")
    for position, (name, value) in enumerate(params.items()):
        if name in TEXT_PARAMS:
            escaped = value.astype("object").str.replace("\\", "\\\\", regex=False)
            literal = ('"' + escaped.str.replace('"', '\\"', regex=False) + '"').fillna("null")
        else:
            literal = value.replace("<NA>", "null")
        text = text + ("" if position == 0 else ", ") + f'"{name}": ' + literal
    return text + "}"


def _plural(count: pd.Series, shown: pd.Series, one: str, many: str) -> pd.Series:
    return shown + np.where(count == 1, f" {one}", f" {many}")


def _ago(days: pd.Series, shown: pd.Series) -> pd.Series:
    return pd.Series(
        np.where(days == 0, "today", np.where(days == 1, "yesterday", shown + " days ago")),
        index=days.index,
    )


def _contract_ends(days: pd.Series, shown: pd.Series) -> pd.Series:
    when = pd.Series(
        np.where(days == 0, "today", "in " + _plural(days, shown, "day", "days")),
        index=days.index,
    )
    return "Contract ends " + when + ", no renewal talk logged"


def _no_contact_limit(f: pd.DataFrame, t: dict) -> pd.Series:
    limits = {
        "core": t["core_days"],
        "important": t["important_days"],
        "general": t["general_days"],
    }
    return f["segment"].map(limits).fillna(t["general_days"])


def _long_term(f: pd.DataFrame, t: dict) -> pd.Series:
    """Contracts with a term of at least `min_term_days`: a monthly subscription ends
    every month, so its end is no warning sign by itself."""
    if "contract_term_days" not in f:
        return pd.Series(True, index=f.index)
    return f["contract_term_days"].fillna(0) >= t.get("min_term_days", 0)


def _event_label(event: str) -> str:
    from customers.scoring.features import event_label

    return event_label(event)


def _days_without_contact(f: pd.DataFrame) -> pd.Series:
    return f["days_since_last_interaction"].fillna(f["tenure_days"])


# Each signal: code, label, fires(features, thresholds), wording(features, thresholds, figures),
# points for the rules-based score, default thresholds (admins override them per rule).
SIGNALS: list[Signal] = [
    Signal(
        "engagement_drop",
        _("Engagement drop"),
        lambda f, t: (
            (f["engagement_ratio"] < t["below_ratio"])
            & (f["interactions_prior_90d"] / 3 >= MIN_MONTHLY_BASELINE)
        ),
        lambda f, t, p: "Interactions down " + p["percent"] + "% vs the prior 3-month average",
        0.20,
        {"below_ratio": 0.5},
        params=lambda f, t: {"percent": _int((1 - f["engagement_ratio"]) * 100)},
    ),
    Signal(
        "no_recent_contact",
        _("No contact for longer than the segment allows"),
        lambda f, t: _days_without_contact(f) > _no_contact_limit(f, t),
        lambda f, t, p: "No contact for " + p["days"] + " days (segment norm " + p["norm"] + ")",
        0.10,
        {
            "core_days": NO_CONTACT_DAYS["core"],
            "important_days": NO_CONTACT_DAYS["important"],
            "general_days": NO_CONTACT_DAYS["general"],
        },
        params=lambda f, t: {
            "days": _int(_days_without_contact(f)),
            "norm": _int(_no_contact_limit(f, t)),
        },
    ),
    Signal(
        "contract_ending_90",
        _("Contract ends within 90 days, no renewal talk"),
        lambda f, t: (
            (f["days_to_contract_end"] <= t["within_days"])
            & (f["renewal_talks_180d"] == 0)
            & _long_term(f, t)
        ),
        lambda f, t, p: _contract_ends(f["days_to_contract_end"], p["days"]),
        0.25,
        {"within_days": 90, "min_term_days": MIN_RENEWAL_TERM_DAYS},
        params=lambda f, t: {"days": _int(f["days_to_contract_end"])},
    ),
    Signal(
        "contract_ending_180",
        _("Contract ends within 180 days, no renewal talk"),
        lambda f, t: (
            (f["days_to_contract_end"] > t["after_days"])
            & (f["days_to_contract_end"] <= t["within_days"])
            & (f["renewal_talks_180d"] == 0)
            & _long_term(f, t)
        ),
        lambda f, t, p: _contract_ends(f["days_to_contract_end"], p["days"]),
        0.10,
        {"after_days": 90, "within_days": 180, "min_term_days": MIN_RENEWAL_TERM_DAYS},
        params=lambda f, t: {"days": _int(f["days_to_contract_end"])},
    ),
    Signal(
        "complaint",
        _("Complaint in the last 60 days"),
        lambda f, t: f["days_since_complaint"] < t["within_days"],
        lambda f, t, p: (
            "Complaint "
            + _ago(f["days_since_complaint"], p["days_ago"])
            + " ("
            + _plural(f["complaints_90d"], p["complaints"], "complaint", "complaints")
            + " in 90 days)"
        ),
        0.15,
        {"within_days": 60},
        params=lambda f, t: {
            "days_ago": _int(f["days_since_complaint"]),
            "complaints": _int(f["complaints_90d"]),
        },
    ),
    Signal(
        "support_escalation",
        _("Several support tickets in the last 30 days"),
        lambda f, t: f["support_tickets_30d"] >= t["tickets"],
        lambda f, t, p: (
            _plural(f["support_tickets_30d"], p["tickets"], "support ticket", "support tickets")
            + " in the last 30 days"
        ),
        0.08,
        {"tickets": 3},
        params=lambda f, t: {"tickets": _int(f["support_tickets_30d"])},
    ),
    Signal(
        "discount_request",
        _("Asked for a discount in the last 60 days"),
        lambda f, t: f["days_since_discount_request"] < t["within_days"],
        lambda f, t, p: (
            "Asked for a discount " + _ago(f["days_since_discount_request"], p["days_ago"])
        ),
        0.15,
        {"within_days": 60},
        params=lambda f, t: {"days_ago": _int(f["days_since_discount_request"])},
    ),
    Signal(
        "low_satisfaction",
        _("Low satisfaction"),
        lambda f, t: f["latest_satisfaction"] <= t["at_most"],
        lambda f, t, p: "Satisfaction " + p["score"] + "/10 at the last rating",
        0.10,
        {"at_most": 5},
        params=lambda f, t: {"score": _int(f["latest_satisfaction"])},
    ),
    Signal(
        "satisfaction_drop",
        _("Satisfaction down 2 or more"),
        lambda f, t: f["satisfaction_change"] <= -t["drop"],
        lambda f, t, p: "Satisfaction fell from " + p["was"] + " to " + p["now"],
        0.10,
        {"drop": 2},
        params=lambda f, t: {
            "was": _int(f["previous_satisfaction"]),
            "now": _int(f["latest_satisfaction"]),
        },
    ),
    Signal(
        "usage_drop",
        _("Product usage halved"),
        lambda f, t: (
            (f["usage_ratio"] < t["below_ratio"])
            & (f["usage_prior_90d"] / 3 >= MIN_MONTHLY_BASELINE)
        ),
        lambda f, t, p: "Product usage down " + p["percent"] + "% vs the prior 3-month average",
        0.15,
        {"below_ratio": 0.5},
        params=lambda f, t: {"percent": _int((1 - f["usage_ratio"]) * 100)},
    ),
    Signal(
        "usage_event_drop",
        _("A product feature's use fell by half"),
        lambda f, t: f["usage_drop_ratio"] < t["below_ratio"],
        lambda f, t, p: (
            f["usage_drop_event"].map(_event_label, na_action="ignore").fillna("Usage")
            + " down "
            + p["percent"]
            + "% vs the prior 3 months"
        ),
        0.15,
        {"below_ratio": 0.5},
        params=lambda f, t: {
            "event": f["usage_drop_event"],
            "percent": _int((1 - f["usage_drop_ratio"]) * 100),
        },
    ),
    Signal(
        "decision_maker_left",
        _("Decision-maker left"),
        lambda f, t: f["decision_maker_left_90d"] == 1,
        lambda f, t, p: "Decision-maker left on " + p["day"],
        0.20,
        {},
        params=lambda f, t: {"day": _date(f["decision_maker_left_on"])},
    ),
    Signal(
        "owner_departing",
        _("Account owner is leaving"),
        lambda f, t: f["owner_departing"] == 1,
        lambda f, t, p: "Owner leaves on " + p["day"],
        0.15,
        {},
        params=lambda f, t: {"day": _date(f["owner_leaves_on"])},
    ),
    Signal(
        "owner_departed",
        _("Account owner left"),
        lambda f, t: f["owner_departed_180d"] == 1,
        lambda f, t, p: "Owner left on " + p["day"],
        0.20,
        {},
        params=lambda f, t: {"day": _date(f["owner_departed_on"])},
    ),
    Signal(
        "owner_changed",
        _("New account owner"),
        lambda f, t: (f["owner_changed_90d"] == 1) & (f["owner_departed_180d"] == 0),
        lambda f, t, p: pd.Series("Account owner changed in the last 90 days", index=f.index),
        0.05,
        {},
    ),
    Signal(
        "single_threaded",
        _("Single-threaded relationship"),
        lambda f, t: f["single_threaded"] == 1,
        lambda f, t, p: pd.Series("Only one person has talked to them in 180 days", index=f.index),
        0.05,
        {},
    ),
]

SIGNAL_BY_CODE = {signal.code: signal for signal in SIGNALS}
RULES_WEIGHTS = {signal.code: signal.rules_points for signal in SIGNALS}


def thresholds(overrides: dict[str, dict] | None = None) -> dict[str, dict]:
    """Every signal's thresholds: the defaults, with the overrides admins set per rule."""
    overrides = overrides or {}
    return {s.code: {**s.defaults, **overrides.get(s.code, {})} for s in SIGNALS}


def configured_thresholds() -> dict[str, dict]:
    """The thresholds in force: the alert rules' overrides (admin-edited) over the defaults."""
    from django.apps import apps

    rule = apps.get_model("alerts", "SignalRule")
    return thresholds(dict(rule.objects.exclude(thresholds={}).values_list("code", "thresholds")))


def fired(features: pd.DataFrame, limits: dict[str, dict] | None = None) -> pd.DataFrame:
    """A boolean column per signal: does it fire for the customer?"""
    limits = limits or thresholds()
    return pd.DataFrame(
        {
            signal.code: signal.fires(features, limits[signal.code]).fillna(False).astype(bool)
            for signal in SIGNALS
        },
        index=features.index,
    )


def rules_probability(flags: pd.DataFrame) -> np.ndarray:
    """Each fired signal independently adds its chance of churning (noisy-OR)."""
    points = np.array([RULES_WEIGHTS[code] for code in flags.columns])
    stay = (1 - RULES_BASE_PROBABILITY) * np.prod(
        np.where(flags.to_numpy(), 1 - points, 1.0), axis=1
    )
    return 1 - stay


def signal_lift(flags: pd.DataFrame, churned: pd.Series) -> dict[str, float]:
    """How much more often customers with each signal churned than customers overall."""
    base = float(churned.mean()) or 1e-9
    lift = {}
    for code in flags.columns:
        mask = flags[code].to_numpy()
        lift[code] = round(float(churned[mask].mean()) / base, 3) if mask.sum() >= 5 else 1.0
    return lift


def fired_entries(
    features: pd.DataFrame, flags: pd.DataFrame, limits: dict[str, dict] | None = None
) -> np.ndarray:
    """The JSON object of each fired signal, '{"signal", "text", "params"}' (one row per
    column of `flags`, one column per customer; None where it did not fire), worded once
    for both the reasons and the stored signs."""
    entries = np.full((len(flags.columns), len(features)), None, dtype=object)
    for j, code in enumerate(flags.columns):
        rows = np.flatnonzero(flags[code].to_numpy())
        if len(rows):
            entries[j, rows] = _entries(code, features.iloc[rows], limits).to_numpy()
    return entries


def _entries(code: str, subset: pd.DataFrame, limits: dict[str, dict] | None) -> pd.Series:
    """'{"signal": code, "text": ..., "params": {...}}' per row of `subset`, column-wise."""
    signal = SIGNAL_BY_CODE[code]
    limit_of = (limits or {}).get(code, signal.defaults)
    figures = signal.params(subset, limit_of)
    text = signal.text(subset, limit_of, figures).astype("object").fillna("")
    escaped = text.str.replace("\\", "\\\\", regex=False).str.replace('"', '\\"', regex=False)
    return (
        f'{{"signal": "{code}", "text": "'
        + escaped
        + '", "params": '
        + _params_json(figures, subset.index)
        + "}"
    )


def top_reasons(
    features: pd.DataFrame,
    flags: pd.DataFrame,
    weights: dict[str, float],
    limit: int = 3,
    limits: dict[str, dict] | None = None,
    entries: np.ndarray | None = None,
) -> list[str]:
    """The `limit` strongest fired signals per customer as a JSON list of
    {"signal", "text", "params"}, strongest first. Signals that did not make churn more
    likely in the training history (weight <= 1 for a trained model) are not reasons.
    `entries`: every fired signal's JSON object from `fired_entries`, when the caller
    has them."""
    codes = list(flags.columns)
    order, in_top = _ranked(flags, weights, limit)
    n = len(features)
    if entries is None:  # worded only for the rows where the signal is among the top ones
        entries = np.full((len(codes), n), None, dtype=object)
        for j, code in enumerate(codes):
            rows = np.flatnonzero(((order == j) & in_top).any(axis=1))
            if len(rows):
                entries[j, rows] = _entries(code, features.iloc[rows], limits).to_numpy()
    # JSON built rank by rank over the rows that have a reason at that rank (ranks fill
    # from the first), instead of json.dumps per row.
    joined = np.full(n, "[", dtype=object)
    for r in range(order.shape[1]):
        rows = np.flatnonzero(in_top[:, r])
        if not len(rows):
            break
        joined[rows] = joined[rows] + (", " if r else "") + entries[order[rows, r], rows]
    return (joined + "]").tolist()


def _ranked(flags: pd.DataFrame, weights: dict[str, float], limit: int) -> tuple:
    """Per customer, the columns of its `limit` strongest reasons (`order`) and whether
    each rank holds one (`in_top`): the fired signals that made churn more likely."""
    strength = np.array([weights.get(code, 0.0) for code in flags.columns])
    threshold = 1.0 if max(weights.values(), default=0) > 1 else 0.0
    scored = np.where(flags.to_numpy() & (strength > threshold), strength, -np.inf)
    order = np.argsort(-scored, axis=1, kind="stable")[:, :limit]
    return order, np.isfinite(np.take_along_axis(scored, order, axis=1))


def reason_codes(flags: pd.DataFrame, weights: dict[str, float], limit: int = 3) -> np.ndarray:
    """The codes of `top_reasons`' entries per customer, in order, as the JSON text
    PostgreSQL gives for them (`["complaint", "no_contact"]`): what the score history
    compares to decide whether the reasons changed."""
    codes = np.array([f'"{code}"' for code in flags.columns], dtype=object)
    order, in_top = _ranked(flags, weights, limit)
    joined = np.full(len(flags), "[", dtype=object)
    for r in range(order.shape[1]):
        rows = np.flatnonzero(in_top[:, r])
        if not len(rows):
            break
        joined[rows] = joined[rows] + (", " if r else "") + codes[order[rows, r]]
    return joined + "]"
