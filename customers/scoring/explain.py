"""What moved a customer's score since last week, from the model's own contributions.

The features of the day and of 7 days before are run through the model in use, and the
change of the score is split over the features that moved it:
- logistic regression: its own decomposition, coefficient x (scaled value now - then),
  per feature in log-odds;
- gradient boosting: shap's TreeExplainer, per-feature contributions in log-odds now and
  then;
- the blend of the two: its log-odds are a weighted sum of the parts' calibrated
  log-odds (plus a constant), so each input's share is the same weighted sum of its
  shares in each part;
- the rules-based score: each warning sign adds -log(1 - its points) to -log(1 - p), so a
  sign that started or stopped firing moves the score by its own share.
The calibration (sigmoid) scales every log-odds contribution alike. Log-odds shares are
turned into probability points in proportion, so the points add up to the change:
"Risk up 12 pts since 2026-06-23: Reports run (28 days) 40 -> 12 (+8), ..."

Every door (the customer page, the API's /risk-scores/<id>/change/, the tier-jump alert)
asks `explain_changes` for the same two days, so a day has one answer: the day's score
is the stored one that held on the current day (the latest scored day; for a row that
has ended, its last day), and the change is against the stored score that held 7 days
before. The points are those of the stored scores, the ones the pages show. When the
same stored row held on both days (it moved less than a point, history.py), nothing
changed materially and the sentence says so, with the day that row began: "No material
change since 8 Nov 2026." Otherwise the model's contributions, computed from the
features of the two days, are scaled to add up to the stored change.

Only for a few customers at a time (a page, an API call, the day's tier jumps): two
stored-score queries and two feature frames for the named customers whose stored score
moved, never a query per customer."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from threadpoolctl import threadpool_limits

from customers.models import RiskModel, RiskScore, ScoringRun
from customers.scoring import signals, training
from customers.scoring.candidates import LogOddsBlend
from customers.scoring.features import (
    CustomerSelection,
    compute_features,
    event_label,
    event_of,
    model_inputs,
)

WINDOW_DAYS = 7
SHOWN = 3  # contributions in the sentence
MIN_POINTS = 0.5  # smaller contributions are not worth a word


# Names of the model's inputs as readers read them (the model page, score changes).
FEATURE_LABELS = {
    "tenure_days": gettext_lazy("Tenure (days)"),
    "segment_core": gettext_lazy("Core segment"),
    "segment_important": gettext_lazy("Important segment"),
    "annual_value": gettext_lazy("Annual value"),
    "active_contracts": gettext_lazy("Active contracts"),
    "contract_term_days": gettext_lazy("Contract term (days)"),
    "renewal_within_horizon": gettext_lazy("Renewal within the horizon"),
    "term_remaining_share": gettext_lazy("Share of the term remaining"),
    "auto_renew": gettext_lazy("Renews automatically"),
    "renewal_talks_180d": gettext_lazy("Renewal talks (180 days)"),
    "interactions_30d": gettext_lazy("Interactions (30 days)"),
    "interactions_90d": gettext_lazy("Interactions (90 days)"),
    "engagement_ratio": gettext_lazy("Engagement vs the prior 3 months"),
    "days_since_last_interaction": gettext_lazy("Days since the last interaction"),
    "days_since_last_outbound": gettext_lazy("Days since we last reached out"),
    "days_since_last_activity": gettext_lazy("Days since the last activity"),
    "complaints_30d": gettext_lazy("Complaints (30 days)"),
    "complaints_60d": gettext_lazy("Complaints (60 days)"),
    "complaints_90d": gettext_lazy("Complaints (90 days)"),
    "support_tickets_30d": gettext_lazy("Support tickets (30 days)"),
    "support_tickets_60d": gettext_lazy("Support tickets (60 days)"),
    "support_tickets_90d": gettext_lazy("Support tickets (90 days)"),
    "discount_requests_60d": gettext_lazy("Discount requests (60 days)"),
    "latest_satisfaction": gettext_lazy("Latest satisfaction"),
    "satisfaction_change": gettext_lazy("Satisfaction change"),
    "usage_30d": gettext_lazy("Product usage (30 days)"),
    "usage_ratio": gettext_lazy("Product usage vs the prior 3 months"),
    "active_contacts": gettext_lazy("Active contacts"),
    "decision_maker_left_90d": gettext_lazy("Decision-maker left (90 days)"),
    "owner_changed_90d": gettext_lazy("Owner changed (90 days)"),
    "owner_departing": gettext_lazy("Owner leaving"),
    "owner_departed_180d": gettext_lazy("Owner left (180 days)"),
    "single_threaded": gettext_lazy("Single-threaded"),
}


@dataclass
class ScoreChange:
    customer_id: int
    day: dt.date
    since: dt.date
    probability: float
    previous: float
    contributions: list[dict] = field(default_factory=list)  # largest first
    # The day the stored score began when the same stored row held on both days.
    unchanged_since: dt.date | None = None

    @property
    def points(self) -> float:
        return round(100 * (self.probability - self.previous), 1)

    @property
    def text(self) -> str:
        if self.unchanged_since is not None:
            return _("No material change since %(day)s.") % {
                "day": date_format(self.unchanged_since)
            }
        return change_sentence(self.points, self.contributions, date_format(self.since))

    @property
    def summary(self) -> str:
        """The sentence without the date (for the tier-jump alert, which names it)."""
        if self.unchanged_since is not None:
            return _("No material change.")
        return change_sentence(self.points, self.contributions, "")

    def stored(self) -> dict:
        """The figures of the sentence, stored with a tier-jump alert so it can be worded
        in each reader's language."""
        return {
            "points": self.points,
            "contributions": [
                {key: c[key] for key in ("feature", "was", "now", "points")}
                for c in self.contributions[:SHOWN]
                if abs(c["points"]) >= MIN_POINTS
            ],
        }

    def as_dict(self) -> dict:
        return {
            "customer": self.customer_id,
            "day": self.day.isoformat(),
            "since": self.since.isoformat(),
            "probability": round(self.probability, 4),
            "previous": round(self.previous, 4),
            "points": self.points,
            "unchanged_since": self.unchanged_since and self.unchanged_since.isoformat(),
            "text": self.text,
            "contributions": self.contributions,
        }


def change_sentence(points: float, contributions: list[dict], since: str) -> str:
    """ "Risk up 12 pts since <day>: Reports run (28 days) 40 → 12 (+8), ..." in the
    active language; `since` is the formatted day, or "" to leave it out."""
    if abs(points) < MIN_POINTS:
        if since:
            return _("Risk about the same since %(day)s.") % {"day": since}
        return _("Risk about the same.")
    parts = [
        f"{feature_label(c['feature'])} {_worded(c['was'])} → {_worded(c['now'])} "
        f"({c['points']:+.0f})"
        for c in contributions[:SHOWN]
        if abs(c["points"]) >= MIN_POINTS
    ]
    values = {"points": round(abs(points)), "day": since}
    if points > 0:
        head = _("Risk up %(points)d pts since %(day)s") if since else _("Risk up %(points)d pts")
    else:
        head = (
            _("Risk down %(points)d pts since %(day)s") if since else _("Risk down %(points)d pts")
        )
    return head % values + (": " + ", ".join(parts) if parts else ".")


def _worded(value: str) -> str:
    """A sign's "yes" / "no" (stored in English with an alert's figures) in the active
    language; numbers as they are."""
    return {"yes": _("yes"), "no": _("no")}.get(value, value)


def feature_label(name: str) -> str:
    """ "usage:reports_run:28d" -> "Reports run (28 days)"; "complaints_30d" ->
    "Complaints (30 days)"."""
    event = event_of(name)
    if event is not None:
        stat = name.rsplit(":", 1)[1]
        label = event_label(event)
        if stat == "trend":
            return _("%(event)s, trend vs the 28 days before") % {"event": label}
        if stat == "days_since":
            return _("Days since %(event)s") % {"event": label.lower()}
        days = int(stat[:-1])  # 7d, 28d, 90d, 365d
        return _("%(event)s (%(days)d days)") % {"event": label, "days": days}
    if name in signals.SIGNAL_BY_CODE:
        return str(signals.SIGNAL_BY_CODE[name].label)
    if name in FEATURE_LABELS:
        return str(FEATURE_LABELS[name])
    text = re.sub(r"_(\d+)d$", r" (\1 days)", name).replace("_", " ")
    return text[:1].upper() + text[1:]


def model_for(day: dt.date) -> RiskModel | None:
    """The model the day's scores came from (its run), else the active one."""
    run = ScoringRun.objects.filter(day=day).select_related("model").first()
    return run.model if run else training.active_model()


def day_of(score: RiskScore, latest: dt.date | None) -> dt.date:
    """The day a stored row's change is told for: the latest scored day (`latest`) while
    the row holds, else the row's last day, so that the API tells a current row's change
    as the customer page does."""
    last = score.valid_until - dt.timedelta(days=1) if score.valid_until else latest
    return max(score.day, min(last or score.day, latest or score.day))


def explain_changes(
    *, day: dt.date, customer_ids: list[int], model: RiskModel | None = None
) -> dict[int, ScoreChange]:
    """Per customer with a stored score on `day` and 7 days before: the two stored
    probabilities and, when they are different rows, the contributions of each input
    (under `model`, else the day's) scaled to add up to their difference, largest first.
    The same row on both days: no material change since the row began."""
    ids = sorted(set(customer_ids))
    since = day - dt.timedelta(days=WINDOW_DAYS)
    fields = ("id", "customer_id", "day", "probability")
    now = {
        r["customer_id"]: r
        for r in RiskScore.objects.on_day(day).filter(customer_id__in=ids).values(*fields)
    }
    then = {
        r["customer_id"]: r
        for r in RiskScore.objects.on_day(since).filter(customer_id__in=ids).values(*fields)
    }
    changes = {}
    for customer_id in sorted(now.keys() & then.keys()):
        row, held = now[customer_id], then[customer_id]
        changes[customer_id] = ScoreChange(
            customer_id=customer_id,
            day=day,
            since=since,
            probability=float(row["probability"]),
            previous=float(held["probability"]),
            unchanged_since=row["day"] if row["id"] == held["id"] else None,
        )
    moved = [c for c in changes.values() if c.unchanged_since is None]
    parts = model_changes(day=day, customer_ids=[c.customer_id for c in moved], model=model)
    for change in moved:
        part = parts.get(change.customer_id)
        if part is not None:
            change.contributions = part.scaled_to(change.probability - change.previous)
    return changes


def model_changes(
    *, day: dt.date, customer_ids: list[int], model: RiskModel | None = None
) -> dict[int, ScoreChange]:
    """Per customer active on both days: the score then and now under `model`, recomputed
    from the features of the two days (not the stored scores: `explain_changes` tells
    readers those), and the contributions of each input to the change, largest first."""
    model = model or model_for(day)
    if model is None or not customer_ids:
        return {}
    since = day - dt.timedelta(days=WINDOW_DAYS)
    selection = CustomerSelection(ids=tuple(sorted(set(customer_ids))))
    events = sorted({e for e in (event_of(n) for n in model.features) if e})
    now = compute_features(day, selection, events=events)
    then = compute_features(since, selection, events=events)
    common = now.index.intersection(then.index)
    if not len(common):
        return {}
    now, then = now.loc[common], then.loc[common]
    with threadpool_limits(limits=settings.ML_THREADS):
        if model.is_rules_based:
            names, p_now, p_then, shares, was, is_now = _rules_parts(now, then)
        else:
            names, p_now, p_then, shares, was, is_now = _model_parts(model, now, then)
    changes = {}
    for row, customer_id in enumerate(common):
        change = _Decomposed(
            customer_id=int(customer_id),
            day=day,
            since=since,
            probability=float(p_now[row]),
            previous=float(p_then[row]),
        )
        change.names, change.shares = names, shares[row]
        change.was, change.is_now = was[row], is_now[row]
        change.rules = model.is_rules_based
        change.contributions = change.scaled_to(change.probability - change.previous)
        changes[int(customer_id)] = change
    return changes


@dataclass
class _Decomposed(ScoreChange):
    """A recomputed change with its inputs' log-odds shares, to be put in points."""

    names: list = field(default_factory=list)
    shares: np.ndarray | None = None
    was: np.ndarray | None = None
    is_now: np.ndarray | None = None
    rules: bool = False

    def scaled_to(self, delta: float) -> list[dict]:
        """The contributions in probability points adding up to `delta` (the stored
        change, or the recomputed one), largest first."""
        points = _as_points(self.shares, delta, self.probability, self.previous, rules=self.rules)
        order = np.argsort(-np.abs(points), kind="stable")
        return [
            {
                "feature": self.names[j],
                "label": feature_label(self.names[j]),
                "was": _value(self.was[j]),
                "now": _value(self.is_now[j]),
                "points": round(float(points[j]), 1),
            }
            for j in order
            if abs(points[j]) >= 0.05
        ]


def _as_points(
    shares: np.ndarray, delta: float, p_now: float, p_then: float, *, rules: bool
) -> np.ndarray:
    """Log-odds (or, for the rules, -log(1 - p)) contributions as probability points
    adding up to `delta`. When the shares cancel out (their sum near zero) the local
    slope near the two scores converts them instead."""
    total = shares.sum()
    middle = (p_now + p_then) / 2
    # d p / d log-odds = p (1 - p) <= 1/4; d p / d -log(1 - p) = 1 - p <= 1.
    local = max((1 - middle) if rules else middle * (1 - middle), 1e-6)
    ratio = delta / total if abs(total) > 1e-9 else local
    if not (0 < ratio <= (1.0 if rules else 0.25) + 1e-9):
        ratio = local
    return 100 * shares * ratio


def _rules_parts(now: pd.DataFrame, then: pd.DataFrame):
    limits = signals.configured_thresholds()
    fired_now, fired_then = signals.fired(now, limits), signals.fired(then, limits)
    weights = np.array([signals.RULES_WEIGHTS[code] for code in fired_now.columns])
    strength = -np.log1p(-weights)
    shares = (fired_now.to_numpy(float) - fired_then.to_numpy(float)) * strength
    p_now = signals.rules_probability(fired_now)
    p_then = signals.rules_probability(fired_then)
    yes_no = np.vectorize(lambda fired: "yes" if fired else "no")
    return (
        list(fired_now.columns),
        p_now,
        p_then,
        shares,
        yes_no(fired_then.to_numpy()),
        yes_no(fired_now.to_numpy()),
    )


def _model_parts(model: RiskModel, now: pd.DataFrame, then: pd.DataFrame):
    estimator = training.load(model)
    X_now, X_then = model_inputs(now, model.features), model_inputs(then, model.features)
    p_now = estimator.predict_proba(X_now)[:, 1]
    p_then = estimator.predict_proba(X_then)[:, 1]
    shares = _log_odds_change(estimator, X_now, X_then)
    return list(model.features), p_now, p_then, shares, X_then.to_numpy(), X_now.to_numpy()


def _log_odds_change(estimator, X_now: pd.DataFrame, X_then: pd.DataFrame) -> np.ndarray:
    """Each input's share of the change of the calibrated log-odds. A blend's log-odds
    are the weighted sum of its parts' log-odds, so its shares are the weighted sum of
    its parts' shares."""
    if isinstance(estimator, LogOddsBlend):
        return sum(
            weight * _log_odds_change(part, X_now, X_then)
            for weight, part in zip(estimator.weights, estimator.parts, strict=True)
        )
    inner, slope = _unwrap(estimator)
    return slope * (_log_odds_parts(inner, X_now) - _log_odds_parts(inner, X_then))


def _unwrap(estimator):
    """The fitted learner inside the calibration, and how its log-odds scale into the
    calibrated ones (sigmoid: p = 1 / (1 + exp(a f + b)), so d logit = -a d f)."""
    calibrated = getattr(estimator, "calibrated_classifiers_", None)
    if not calibrated:
        return estimator, 1.0
    part = calibrated[0]
    return part.estimator, -float(part.calibrators[0].a_)


def _log_odds_parts(inner, X: pd.DataFrame) -> np.ndarray:
    """Each input's additive part of the learner's log-odds, one column per input."""
    if hasattr(inner, "steps"):  # the logistic regression pipeline
        z = inner[:-1].transform(X)
        coef = inner[-1].coef_[0]
        k = X.shape[1]
        parts = z[:, :k] * coef[:k]
        indicator = getattr(inner[0], "indicator_", None)
        if indicator is not None:  # "was missing" columns belong to their feature
            for extra, feature in enumerate(indicator.features_):
                parts[:, feature] += z[:, k + extra] * coef[k + extra]
        return parts
    import shap  # noqa: PLC0415 (a second or two to import; only when explaining)

    values = shap.TreeExplainer(inner).shap_values(X)
    return np.asarray(values).reshape(len(X), X.shape[1])


def _value(value) -> str:
    if isinstance(value, str):
        return str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    number = float(value)
    return f"{number:.0f}" if number.is_integer() or abs(number) >= 100 else f"{number:.2f}"
