"""What the model page shows of a model: its metrics and what they mean, its top features
and warning-sign weights, its backtest, its notes, and a run's tiers and duration."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from customers.models import RiskModel, RiskTier, ScoringRun
from customers.scoring import notes, signals

TOP_FEATURES = 10
# (key in RiskModel.metrics, label, what it means); training.evaluate stores these.
METRICS = [
    (
        "roc_auc",
        _lazy("ROC AUC"),
        _lazy("Chance that a churner is ranked above a customer who stayed; 0.5 is a coin toss."),
    ),
    (
        "pr_auc",
        _lazy("PR AUC"),
        _lazy("Average precision: how clean the top of the list is. Compare with the base rate."),
    ),
    (
        "lift_top_decile",
        _lazy("Lift in the riskiest 10%"),
        _lazy("How many times the base rate churned among them."),
    ),
    (
        "brier",
        _lazy("Brier score"),
        _lazy("Mean squared error of the probabilities; lower is better."),
    ),
    (
        "brier_skill",
        _lazy("Brier skill score"),
        _lazy(
            "1 - Brier / Brier of always predicting the base rate: 0 is no better, 1 is perfect."
        ),
    ),
    (
        "base_rate",
        _lazy("Base rate"),
        _lazy("Share of the rows evaluated that churned within the horizon."),
    ),
]
NOT_METRICS = {"candidates", "chosen_by", "evaluated_on"}


def tier_badges(tier_sizes: dict) -> list[tuple[int, str, int]]:
    """(tier number, label in the reader's language, customers) in tier order, from a
    run's stored {key: count}. The key is read as a tier code: the runs store the English
    label (customers/scoring/runs.py), so it is looked up among the English labels, never
    among the reader's; a number is taken as the code itself."""
    with translation.override("en"):
        code_of = {str(tier.label): tier for tier in RiskTier}
    code_of |= {str(tier.value): tier for tier in RiskTier}
    counts = {code_of[key]: count for key, count in tier_sizes.items() if key in code_of}
    return [(tier.value, tier.label, counts[tier]) for tier in RiskTier if tier in counts]


def duration_text(run: ScoringRun) -> str:
    if run.finished_at is None:
        return ""
    seconds = (run.finished_at - run.started_at).total_seconds()
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": number_format(seconds, 1)}
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def metric_columns(model: RiskModel) -> list[dict]:
    """The chosen model first, then every candidate it was compared with."""
    chosen = (
        _("Rules")
        if model.is_rules_based
        else _("%(kind)s, calibrated") % {"kind": model.get_kind_display()}
    )
    columns = [{"label": chosen, "metrics": model.metrics, "chosen": True}]
    candidates = (model.metrics.get("candidates") or {}).items()
    # Best first (a JSON column does not keep the order they were stored in).
    for kind, values in sorted(candidates, key=lambda item: -item[1].get("roc_auc", 0)):
        label = notes.method_label(kind)
        winner = kind == model.kind
        label = _("%(kind)s (candidate)") % {"kind": label}
        columns.append({"label": label, "metrics": values, "chosen": winner})
    return columns


def metric_rows(model: RiskModel) -> list[dict]:
    columns = metric_columns(model)
    known = [key for key, _label, _meaning in METRICS]
    extra = sorted(
        {
            k
            for c in columns
            for k, v in c["metrics"].items()
            if k not in known and k not in NOT_METRICS and isinstance(v, int | float)
        }
    )
    rows = []
    for key, label, meaning in [*METRICS, *((k, k.replace("_", " "), "") for k in extra)]:
        values = [_metric_text(key, c["metrics"].get(key)) for c in columns]
        if any(values):
            rows.append({"label": label, "meaning": meaning, "values": values})
    return rows


def _metric_text(key: str, value) -> str:
    if not isinstance(value, int | float):
        return ""
    if key == "lift_top_decile":
        return f"{value:.2f}×"
    if key == "base_rate":
        return f"{value:.1%}"
    if key == "brier":
        return f"{value:.4f}"
    if key == "brier_skill":
        return f"{value:+.3f}"
    return f"{value:.3f}"


def feature_label(name: str) -> str:
    """ "complaints_30d" -> "Complaints (30 days)", in the reader's language."""
    from customers.scoring.explain import feature_label as worded

    return worded(name)


def top_features(importance: dict[str, float]) -> list[dict]:
    """The most important features, largest first, with bar widths relative to the largest."""
    ranked = sorted(importance.items(), key=lambda item: -item[1])[:TOP_FEATURES]
    largest = max((value for _name, value in ranked), default=0)
    return [
        {
            "name": name,
            "label": feature_label(name),
            "value": value,
            "width": round(100 * max(value, 0) / largest, 1) if largest > 0 else 0,
        }
        for name, value in ranked
    ]


def signal_weights(model: RiskModel) -> list[dict]:
    """Warning signs by weight, largest first: lift for a trained model, the points the
    rules add for the rules-based score."""
    ranked = sorted(model.signal_weights.items(), key=lambda item: -item[1])
    return [
        {
            "code": code,
            "label": signals.SIGNAL_BY_CODE[code].label if code in signals.SIGNAL_BY_CODE else code,
            "text": f"{weight:.0%}" if model.is_rules_based else f"{weight:.2f}×",
        }
        for code, weight in ranked
    ]


def months_between(first: dt.date, last: dt.date) -> int:
    """Monthly observation dates from `first` to `last`, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


BACKTEST_METRICS = [
    ("roc_auc", _lazy("ROC AUC")),
    ("pr_auc", _lazy("PR AUC")),
    ("lift_top_decile", _lazy("Lift, riskiest 10%")),
    ("brier_skill", _lazy("Brier skill")),
]


def backtest_view(model: RiskModel) -> dict:
    """The model's forward-chained backtest as the page shows it: the decision, mean
    metrics per method, the metrics per fold, and the calibration chart's figures."""
    from customers.scoring.candidates import BLEND_PARTS
    from customers.scoring.training import BASELINES

    record = model.backtest
    chosen = record.get("chosen", model.kind)
    methods = [
        chosen,
        *(m for m in record.get("summary", {}) if m != chosen and m not in BASELINES),
        *BASELINES,
    ]
    methods = [m for m in methods if m in record.get("summary", {})]
    labels = [notes.method_label(m) for m in methods]
    summary = [
        {
            "label": label,
            "values": [_metric_text(key, record["summary"][m].get(key)) for m in methods],
        }
        for key, label in BACKTEST_METRICS
    ]
    folds = []
    for number, fold in enumerate(record.get("folds", []), start=1):
        entry = {
            "number": number,
            "validate": _span(fold["validate_from"], fold["validate_to"]),
            "skipped": notes.fold_skipped_text(fold.get("skipped", "")),
        }
        if not entry["skipped"]:
            entry |= {
                "train": _span(fold["train_from"], fold["train_to"]),
                "rows": fold["validation_rows"],
                "churned": fold["churned"],
                "cells": [
                    [
                        _metric_text(key, fold["methods"][m].get(key))
                        for key, _label in BACKTEST_METRICS
                    ]
                    for m in methods
                ],
            }
        folds.append(entry)
    chart = {
        "datasets": [
            {
                "label": notes.method_label(method),
                "points": [
                    {"x": round(100 * b["predicted"], 2), "y": round(100 * b["observed"], 2)}
                    for b in bins
                ],
            }
            for method, bins in record.get("calibration", {}).items()
        ],
        # The chart's own words, in the reader's language (charts.js has no catalogue).
        "words": {
            "perfect": _("Perfect calibration"),
            "predicted": _("Predicted churn %"),
            "observed": _("Observed churn %"),
        },
    }
    weights = record.get("blend_weights") or {}
    # In the order of the blend's parts (a JSON column does not keep the stored order).
    parts = [(kind, weights[kind]) for kind in BLEND_PARTS if kind in weights]
    return {
        "model": model,
        "decision": notes.decision_text(record, model.horizon_days),
        "blend_weights": ", ".join(
            f"{weight:.2f} × {notes.method_label(method).lower()}" for method, weight in parts
        ),
        "blend_intercept": f"{weights.get('intercept', 0.0):+.2f}",
        "activated": bool(record.get("beats_rules")),
        "step": record.get("step", "monthly"),
        "label": notes.churn_label_text(model.churn_label),
        "methods": labels,
        "metrics": [label for _key, label in BACKTEST_METRICS],
        "summary": summary,
        "folds": folds,
        "chart": chart,
    }


def _span(first: str, last: str) -> str:
    """Two stored ISO days as "<first> to <last>" in the reader's language."""
    with contextlib.suppress(TypeError, ValueError):
        first, last = (date_format(dt.date.fromisoformat(d)) for d in (first, last))
    return _("%(start)s to %(end)s") % {"start": first, "end": last}


def model_note(model: RiskModel) -> str:
    """The model's note in the reader's language (the stored English of a model older
    than the note codes)."""
    return notes.note_text(model.note_code, model.note_params) if model.note_code else model.note


def sample_text(model: RiskModel) -> str:
    if model.sample_every > 1:
        return notes.sample_text(model.sample_every)
    return model.sample_note


def metrics_caption(model: RiskModel) -> str:
    """What the validation figures were measured on, worded from the stored record."""
    if model.metrics.get("evaluated_on"):
        return _("Evaluated on the latest observation dates (rules are not trained).")
    folds = model.backtest.get("folds_run")
    if model.metrics.get("chosen_by") and not folds:  # chosen before backtests existed
        return _("On the held-out latest months; the model was chosen by validation ROC AUC.")
    if model.metrics.get("chosen_by"):
        return ngettext(
            "On the held-out latest months; the model was chosen by backtest ROC AUC (mean of "
            "%(folds)d forward-chained fold).",
            "On the held-out latest months; the model was chosen by backtest ROC AUC (mean of "
            "%(folds)d forward-chained folds).",
            folds,
        ) % {"folds": folds}
    return _("On the held-out latest months.")


def rules_reason(model: RiskModel) -> str:
    """Why this model is the rules-based score, from what was recorded when it was made."""
    if model.note_code:
        return notes.note_text(model.note_code, model.note_params)
    if model.note.startswith(RiskModel.RULES_NOTE) and model.note != RiskModel.RULES_NOTE:
        return model.note[len(RiskModel.RULES_NOTE) :].strip()
    needed = settings.MIN_CHURNERS_TO_TRAIN
    if not model.train_rows:
        return _(
            "There is no history to learn from yet: an observation date needs about four "
            "months of interactions before it and %(days)d days after it."
        ) % {"days": model.horizon_days}
    values = {
        "count": model.churners,
        "days": model.horizon_days,
        "start": date_format(model.window_start),
        "end": date_format(model.window_end),
        "needed": needed,
    }
    if model.churners < needed:
        return (
            ngettext(
                "Only %(count)d customer churned within %(days)d days of an observation date "
                "between %(start)s and %(end)s; training needs at least %(needed)d.",
                "Only %(count)d customers churned within %(days)d days of an observation date "
                "between %(start)s and %(end)s; training needs at least %(needed)d.",
                model.churners,
            )
            % values
        )
    return (
        _(
            "%(count)d customers churned in the history, but too few of them in the training "
            "months (at least %(needed)d needed), or none in the validation months, to train "
            "and check a model."
        )
        % values
    )
