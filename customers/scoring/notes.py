"""What training says about a model, in the reader's language.

Training stores a code and its figures (RiskModel.note_code and note_params, the
backtest record's own figures), never only a sentence: the model page words them in the
language of whoever reads it. The English sentence is still stored in RiskModel.note
(worded here, in English) for the command line and old readers of the field."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Codes of RiskModel.note_code.
NO_ACTIVITY = "no_activity"
SHORT_HISTORY = "short_history"
FEW_CHURNERS = "few_churners"
FEW_IDLE = "few_idle"
FEW_FOLDS = "few_folds"
NOT_ACTIVATED = "not_activated"
LEFT_OUT = "left_out"
# The one reason a backtest fold is skipped (stored in the fold's "skipped").
FOLD_FEW_CHURNERS = "few_churners"


def method_label(method: str) -> str:
    """A backtested method's name in the reader's language."""
    from customers.scoring.models import RiskModel

    names = {"rules": _("Rules score"), "recency": _("Recency only")}
    if method in names:
        return names[method]
    if method in RiskModel.Kind.values:
        return str(RiskModel.Kind(method).label)
    return method


def churn_label_text(label: str) -> str:
    """What counted as churn (settings.CHURN_LABEL) in words."""
    names = {
        "explicit": _("customers marked churned"),
        "contract": _("contracts not renewed"),
        "implicit": _("customers without activity"),
    }
    return names.get(label, label)


def sample_text(every: int) -> str:
    """Training's sample of the customers: one in `every`."""
    if every <= 1:
        return ""
    share = number_format(round(100 / every))  # number_format truncates; this rounds
    return _("One customer in %(every)d (about %(share)s%% of them)") % {
        "every": every,
        "share": share,
    }


def fold_skipped_text(reason: str) -> str:
    """Why a backtest fold was skipped (every stored reason is the same one)."""
    return _("too few churners in its training or validation rows") if reason else ""


def decision_params(record: dict, days: int | None = None) -> dict:
    """The figures behind a backtest's activation decision, from its record (`days`: the
    model's horizon, for a record that does not hold it)."""
    chosen = record["chosen"]
    folds = record.get("folds_run")
    if folds is None:
        folds = sum(1 for fold in record.get("folds", []) if "methods" in fold)
    params = {
        "activated": bool(record.get("beats_rules")),
        "method": chosen,
        "days": record.get("horizon_days", days),
        "roc_auc": record["summary"][chosen]["roc_auc"],
        "rules_roc_auc": record["summary"]["rules"]["roc_auc"],
        "folds": folds,
    }
    top = record.get("top", chosen)
    if top != chosen:  # kept by the one-standard-error rule (candidates.choose_learner)
        params |= {
            "top": top,
            "top_roc_auc": record["summary"][top]["roc_auc"],
            "top_se": record["roc_auc_se"][top],
        }
    return params


def decision_text(record: dict, days: int | None = None) -> str:
    """The backtest's decision (activated or not, and why) from its figures; the stored
    English sentence for a record without them."""
    if "summary" not in record or "chosen" not in record:
        return record.get("decision", "")
    return _decision(decision_params(record, days))


def _decision(params: dict) -> str:
    values = {
        "method": method_label(params["method"]).lower(),
        "days": params["days"],
        "auc": number_format(round(params["roc_auc"], 3), decimal_pos=3),
        "rules": number_format(round(params["rules_roc_auc"], 3), decimal_pos=3),
        "folds": params["folds"],
    }
    folds = params["folds"]
    simpler = ""
    if "top" in params:
        simpler = " " + _(
            "%(top)s ranked them at %(top_auc)s, within one standard error (%(se)s) of it: "
            "the simpler learner is kept."
        ) % {
            "top": method_label(params["top"]),
            "top_auc": number_format(round(params["top_roc_auc"], 3), decimal_pos=3),
            "se": number_format(round(params["top_se"], 4), decimal_pos=4),
        }
    if params["activated"]:
        return (
            ngettext(
                "Active: %(method)s ranked the next %(days)d days' churners at ROC AUC "
                "%(auc)s over %(folds)d backtest fold, against %(rules)s for the rules score.",
                "Active: %(method)s ranked the next %(days)d days' churners at ROC AUC "
                "%(auc)s over %(folds)d backtest folds, against %(rules)s for the rules score.",
                folds,
            )
            % values
        ) + simpler
    return (
        ngettext(
            "Not activated: its backtest ROC AUC %(auc)s does not beat the rules score's "
            "%(rules)s on the same %(folds)d fold, so the scores stay as they were.",
            "Not activated: its backtest ROC AUC %(auc)s does not beat the rules score's "
            "%(rules)s on the same %(folds)d folds, so the scores stay as they were.",
            folds,
        )
        % values
    )


def note_text(code: str, params: dict) -> str:
    """The note stored as `code` with its figures `params`, in the active language."""
    if code == NO_ACTIVITY:
        return _("There is no activity recorded yet.")
    if code == SHORT_HISTORY:
        return _short_history(params)
    if code == FEW_CHURNERS:
        return _few_churners(params)
    count = params.get("count", 0)
    if code == FEW_IDLE:
        return ngettext(
            "%(count)d customer went %(days)d days without activity in the labelled "
            "history (%(start)s to %(end)s); at least %(needed)d are needed.",
            "%(count)d customers went %(days)d days without activity in the labelled "
            "history (%(start)s to %(end)s); at least %(needed)d are needed.",
            count,
        ) % _with_dates(params, "start", "end")
    if code == FEW_FOLDS:
        folds = params["folds"]
        return (
            ngettext(
                "Only %(ran)d of the %(folds)d backtest fold had churned customers both to "
                "learn from and to check on; the score stays rules-based until more history "
                "comes in.",
                "Only %(ran)d of the %(folds)d backtest folds had churned customers both to "
                "learn from and to check on; the score stays rules-based until more history "
                "comes in.",
                folds,
            )
            % params
        )
    if code == NOT_ACTIVATED:
        return _("Trained model v%(version)d: %(decision)s") % {
            "version": params["version"],
            "decision": _decision(params["decision"]),
        }
    if code == LEFT_OUT:
        from customers.scoring.explain import feature_label

        # Each feature by its label (the stored params keep the codes).
        return _("Left out (empty or constant in every row): %(features)s.") % {
            "features": _(", ").join(feature_label(name) for name in params["features"])
        }
    raise ValueError(f"unknown model note {code!r}")


def english(code: str, params: dict) -> str:
    """The note in English, as stored in RiskModel.note."""
    return in_english(note_text, code, params)


def in_english(wording, *args) -> str:
    """`wording(*args)` in English: the sentence stored beside the codes."""
    with translation.override("en"):
        return wording(*args)


def _short_history(params: dict) -> str:
    values = _with_dates(params, "start", "enough_on")
    values["step"] = _("weekly") if params["step"] == "weekly" else _("monthly")
    dates = params["dates"]
    held = (
        ngettext(
            "The history starts on %(start)s: it holds %(dates)d observation date (%(step)s) "
            "and %(eligible)d of the %(folds)d backtest folds needed.",
            "The history starts on %(start)s: it holds %(dates)d observation dates (%(step)s) "
            "and %(eligible)d of the %(folds)d backtest folds needed.",
            dates,
        )
        % values
    )
    needs = (
        _(
            "Each date needs %(warm_up)d days of history before it and %(window)d days after "
            "it (to know who churned), and a fold needs %(span)d days of training dates whose "
            "%(window)d-day label window closed before it. Training becomes possible on "
            "%(enough_on)s."
        )
        % values
    )
    return f"{held} {needs}"


def _few_churners(params: dict) -> str:
    values = _with_dates(params, "start", "end", "about")
    count = params["count"]
    if params["label"] == "contract":
        counted = ngettext(
            "%(count)d customer churned or did not renew in the labelled history "
            "(%(start)s to %(end)s); at least %(needed)d are needed, %(more)d more.",
            "%(count)d customers churned or did not renew in the labelled history "
            "(%(start)s to %(end)s); at least %(needed)d are needed, %(more)d more.",
            count,
        )
    else:
        counted = ngettext(
            "%(count)d customer churned in the labelled history (%(start)s to %(end)s); at "
            "least %(needed)d are needed, %(more)d more.",
            "%(count)d customers churned in the labelled history (%(start)s to %(end)s); at "
            "least %(needed)d are needed, %(more)d more.",
            count,
        )
    if params.get("about"):
        values["pace"] = number_format(round(params["per_month"], 1), decimal_pos=1)
        when = (
            _("At the pace of the last 12 months (%(pace)s a month) that is about %(about)s.")
            % values
        )
    else:
        when = _("No customer churned in the last 12 months, so no date can be given.")
    return f"{counted % values} {when}"


def _with_dates(params: dict, *names: str) -> dict:
    """`params` with the named ISO days worded as dates of the active language."""
    values = dict(params)
    for name in names:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            values[name] = date_format(dt.date.fromisoformat(params[name]))
    return values
