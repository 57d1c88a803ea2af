"""What the jobs page calls each step and each figure of a step's result.

A step's name and its result's keys are codes (they are stored, logged and read by
tests and scripts); people read these labels, in their language. A result key without
a label here shows as its code, and tests/jobs/test_labels.py fails for any key a real
night writes that has none."""

from __future__ import annotations

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

STEP_LABELS = {
    "roll_contracts": _("Expire and renew contracts"),
    "process_handovers": _("Last-day handovers"),
    "settle_retention_actions": _("Settle retention actions"),
    "watch_customer_access": _("Watch customer access"),
    "score_customers": _("Score customers"),
    "score_chunk": _("Score a chunk of customers"),
    "finish_scoring": _("Size tiers and keep the day's scores"),
    "raise_alerts": _("Raise alerts and send digests"),
    "compute_dashboard_figures": _("Dashboard figures"),
    "raise_handover_tasks": _("Raise handover tasks"),
    "csv_check": _("Check a file"),
    "csv_import": _("Import a file"),
}

RESULT_LABELS = {
    # contracts
    "expired": _("contracts expired"),
    "renewed": _("renewed"),
    # handovers
    "handed_over": _("customers handed over"),
    "to_manager": _("to a manager"),
    "locked_out": _("logins closed"),
    "escalated": _("steps escalated"),
    "completed_plans": _("plans completed"),
    "plan": _("plan"),
    "tasks_raised": _("tasks raised"),
    # retention actions
    "lost": _("lost"),
    "stayed": _("stayed"),
    # scoring
    "day": _("day"),
    "run": _("run"),
    "chunks": _("chunks"),
    "scored": _("customers scored"),
    "set_aside": _("set aside"),
    "features": _("features (s)"),
    "scoring": _("scoring (s)"),
    "writes": _("writes (s)"),
    "compare": _("comparing with the day before (s)"),
    "reasons_staged": _("reasons staged"),
    "reasons_late": _("reasons worked out at the finish"),
    "model": _("model"),
    "customers": _("customers"),
    "tiers": _("tiers"),
    "revenue_at_risk": _("revenue at risk"),
    "scores_written": _("scores written"),
    "scores_ended": _("scores ended"),
    # alerts
    "opened": _("alerts opened"),
    "kept": _("kept"),
    "refreshed": _("refreshed"),
    "reopened": _("reopened"),
    "cleared": _("cleared"),
    "looked_at": _("customers looked at"),
    "skipped": _("skipped"),
    "digests": _("digests sent"),
    # dashboard figures
    "tier_rows": _("tier rows"),
    "churn_rows": _("churn rows"),
    "churn_teams": _("teams whose churn months were recomputed"),
    "churn_whole": _("churn months recomputed whole"),
    "exposure_rows": _("exposure rows"),
    # files
    "rows": _("rows"),
    "problems": _("problems"),
    "created": _("created"),
    "cancelled": _("cancelled"),
    "error": _("error"),
    # a step that returns one figure (watch_customer_access: warnings raised)
    "value": _("result"),
}


# What a set-aside record is (SetAside.model, stored in English).
RECORD_LABELS = {
    "contract": _("contract"),
    "customer": _("customer"),
    "handover plan": _("handover plan"),
    "alert digest": _("alert digest"),
    "handover escalation": _("handover escalation e-mail"),
    "access warning": _("access warning"),
    "tier figure": _("tier figure"),
    "churn figure": _("churn figure"),
    "exposure figure": _("exposure figure"),
}


def record_label(model: str) -> str:
    label = RECORD_LABELS.get(model)
    return str(label) if label is not None else model


def step_label(name: str) -> str:
    label = STEP_LABELS.get(name)
    return str(label) if label is not None else name


def _value(value) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value is None:
        return "–"
    if isinstance(value, dict):
        # e.g. tier sizes keyed by the tier's English label: worded where the catalogue has it.
        return ", ".join(f"{gettext(str(k))} {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    return str(value)


# A model as stored by older runs: its English description.
_ENGLISH_MODEL = re.compile(
    r"^(?P<kind>.+) model v(?P<version>\d+)(?:, backtest ROC AUC (?P<roc_auc>[\d.]+))?$"
)
_ENGLISH_KIND = {
    "Gradient boosting": "gradient_boosting",
    "Logistic regression": "logistic_regression",
    "Blend of logistic regression and gradient boosting": "blend",
}
_RULES_NOTE = "Rules-based score, not enough history to train."


def _model(value) -> str:
    """The scoring model a step used: stored as its kind, version and ROC AUC (older runs
    stored an English sentence, read back into those codes)."""
    from customers.scoring.models import describe_model

    if isinstance(value, str):
        if value == _RULES_NOTE:
            value = {"kind": "rules"}
        elif (match := _ENGLISH_MODEL.match(value)) and match["kind"] in _ENGLISH_KIND:
            roc = match["roc_auc"]
            value = {
                "kind": _ENGLISH_KIND[match["kind"]],
                "version": int(match["version"]),
                "roc_auc": float(roc) if roc else None,
            }
        else:
            return value
    return describe_model(value) if isinstance(value, dict) else _value(value)


def _amount(value) -> str:
    from customers.templatetags.risk import money_estimate

    return money_estimate(value) if isinstance(value, int | float) else _value(value)


# Result figures that need more than a number: a model, an amount of money.
_VALUE_WORDING = {"model": _model, "revenue_at_risk": _amount}


def result_items(result: dict) -> list[tuple[str, str]]:
    """(label, value) of each figure of a step's result, in the reader's language; a
    figure with no value (`skipped: ""` of a step that skipped nothing, `looked_at:
    None`) is left out rather than shown as "skipped: ,"."""
    return [
        (
            str(RESULT_LABELS[key]) if key in RESULT_LABELS else key,
            _VALUE_WORDING.get(key, _value)(value),
        )
        for key, value in (result or {}).items()
        if value not in ("", None)
    ]


_SUBJECTS = {
    "customers": (
        re.compile(r"^customers (?P<first>\d+)-(?P<last>\d+)$"),
        _("customers %(first)s–%(last)s"),
    ),
    "plan": (re.compile(r"^plan (?P<number>\d+)$"), _("handover plan %(number)s")),
    "import": (re.compile(r"^import (?P<number>\d+)$"), _("file import %(number)s")),
}


def subject_text(subject: str) -> str:
    """A step's subject (a stored code such as "customers 1-1499" or "plan 5") in the
    reader's language."""
    for pattern, wording in _SUBJECTS.values():
        if match := pattern.match(subject or ""):
            return str(wording) % match.groupdict()
    return subject
