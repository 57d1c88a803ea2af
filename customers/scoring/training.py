"""Training the churn model from the company's own history, with a backtest.

Rows are (customer, observation date) pairs: every customer active on an observation
date is described with the point-in-time features of that day and labelled with whether
it churned within the label window after it. Observation dates are monthly when the
history holds at least TRAINING_MIN_MONTHLY_DATES of them, weekly otherwise, the newest
one label window before `as_of`, so every label is known on the day the model is trained.

What counts as churn (CHURN_LABEL, stored with the model):
- explicit: the customer was marked churned within the horizon;
- contract: marked churned, or its contracts ran out within the horizon and no new one
  started within CONTRACT_RENEWAL_GRACE_DAYS;
- implicit: among customers with activity (an interaction or product usage) in the N days
  before the date, none in the N days after it (N per segment, IMPLICIT_CHURN_DAYS).

Enough history means: at least MIN_CHURNERS_TO_TRAIN customers churned in the labelled
history (from the first observation date to `as_of`), and enough observation dates for
BACKTEST_FOLDS forward-chained folds. Otherwise the score stays rules-based and the model
says what is missing and when it will be enough.

The backtest (backtest.py) is forward-chained by observation date. Gradient boosting,
logistic regression and their blend (candidates.py), the rules score and a recency-only
baseline are judged on the same folds (ROC AUC, PR AUC, top-decile lift, Brier skill
score). The simplest learner within one standard error of the best mean fold ROC AUC
(candidates.choose_learner) is refit on every row, calibrated (sigmoid) and stored. It becomes the active model only if it beats the rules score on the backtest.

Features a company lacks (no ratings, no contacts, no contracts: empty or constant in
every training row) are left out of that model; the model stores the inputs it uses."""

from __future__ import annotations

import datetime as dt
import logging
import math
import pickle
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from threadpoolctl import threadpool_limits

from customers.models import Contract, Customer, Interaction, RiskModel, UsageDay
from customers.scoring import notes, signals
from customers.scoring.backtest import (
    BASELINES,
    METHOD_LABELS,
    MIN_TRAINING_SPAN_DAYS,
    backtest,
    calibration,
    evaluate,
    importance,
    rules_score,
    standard_errors,
    summarise,
    usable_features,
    weights_record,
)
from customers.scoring.candidates import (
    BLEND_PARTS,
    LEARNERS,
    best_learner,
    blend_weights,
    choose_learner,
    fit_learner,
)
from customers.scoring.features import (
    MODEL_FEATURES,
    CustomerSelection,
    active_customers,
    compute_features,
    day_start,
    model_inputs,
    usage_columns,
    usage_events,
)

logger = logging.getLogger(__name__)

LABELS = ("explicit", "contract", "implicit")


@dataclass
class TrainingSet:
    features: pd.DataFrame  # one row per (customer, observation date)
    churned: np.ndarray  # label: churned within the label window after the date
    observed_on: np.ndarray  # observation date per row (datetime64[D])
    every: int  # 1 = all customers; k = every k-th customer id
    events: list[str] = field(default_factory=list)  # usage event names described


@dataclass
class History:
    """What the history allows: observation dates, churners, and if not enough, why."""

    dates: list[dt.date]
    step: str  # "monthly" or "weekly"
    label_days: int
    churners: int
    enough: bool
    note_code: str = ""  # customers/scoring/notes.py: what is missing, worded per reader
    note_params: dict = field(default_factory=dict)


# --- the history -------------------------------------------------------------------------


def history_start() -> dt.date | None:
    """The first day with recorded activity: an interaction or a usage total."""
    first_interaction = Interaction.objects.aggregate(first=Min("happened_at"))["first"]
    first_usage = UsageDay.objects.aggregate(first=Min("day"))["first"]
    days = [d for d in (first_interaction and first_interaction.date(), first_usage) if d]
    return min(days) if days else None


def label_days(label: str, horizon_days: int) -> int:
    """How long after an observation date its label needs to be known."""
    if label == "implicit":
        return max(horizon_days, *settings.IMPLICIT_CHURN_DAYS)
    return horizon_days


def observation_dates(
    as_of: dt.date, *, horizon_days: int, months: int, label: str = "explicit"
) -> list[dt.date]:
    return _observation_dates(as_of, horizon_days=horizon_days, months=months, label=label)[0]


def _observation_dates(
    as_of: dt.date, *, horizon_days: int, months: int, label: str
) -> tuple[list[dt.date], str]:
    """Monthly dates, newest one label window before `as_of`, back to where the data
    begins plus TRAINING_WARM_UP_DAYS, at most `months` of history; weekly dates when
    that gives fewer than TRAINING_MIN_MONTHLY_DATES."""
    start = history_start()
    if start is None:
        return [], "monthly"
    earliest = start + dt.timedelta(days=settings.TRAINING_WARM_UP_DAYS)
    newest = as_of - dt.timedelta(days=label_days(label, horizon_days))
    oldest_allowed = (pd.Timestamp(newest) - pd.DateOffset(months=months)).date()
    floor = max(earliest, oldest_allowed)
    monthly = []
    for k in range(months + 1):
        day = (pd.Timestamp(newest) - pd.DateOffset(months=k)).date()
        if day < floor:
            break
        monthly.append(day)
    if len(monthly) >= settings.TRAINING_MIN_MONTHLY_DATES:
        return sorted(monthly), "monthly"
    weekly = []
    day = newest
    while day >= floor:
        weekly.append(day)
        day -= dt.timedelta(days=7)
    return sorted(weekly), "weekly"


def churn_events(as_of: dt.date, label: str) -> pd.DataFrame:
    """(customer_id, churned_on) known on `as_of`: explicit churn dates, and for the
    contract label also the last covered day of every run of contracts that was not
    renewed within the grace days. Several per customer are possible (won back later)."""
    explicit = pd.DataFrame(
        list(
            Customer.objects.filter(churned_on__isnull=False, churned_on__lte=as_of).values_list(
                "id", "churned_on"
            )
        ),
        columns=["customer_id", "churned_on"],
    )
    if label != "contract":
        return explicit
    contracts = pd.DataFrame(
        list(
            Contract.objects.filter(start_date__lte=as_of).values_list(
                "customer_id", "start_date", "end_date"
            )
        ),
        columns=["customer_id", "start", "end"],
    )
    if contracts.empty:
        return explicit
    grace = pd.Timedelta(days=settings.CONTRACT_RENEWAL_GRACE_DAYS)
    contracts["start"] = pd.to_datetime(contracts["start"])
    contracts["end"] = pd.to_datetime(contracts["end"])
    contracts = contracts.sort_values(["customer_id", "start", "end"])
    # A contract continues the customer's run when it starts within the grace days of the
    # latest end so far; otherwise the run before it lapsed.
    covered_to = contracts.groupby("customer_id")["end"].cummax()
    previous_cover = covered_to.groupby(contracts["customer_id"]).shift()
    new_run = previous_cover.isna() | (contracts["start"] > previous_cover + grace)
    contracts["run"] = new_run.cumsum()
    runs = contracts.groupby("run").agg(customer_id=("customer_id", "first"), end=("end", "max"))
    next_start = contracts.groupby("run")["start"].min().shift(-1)
    next_customer = runs["customer_id"].shift(-1)
    followed = (next_customer == runs["customer_id"]) & (next_start <= runs["end"] + grace)
    known = runs["end"] + grace <= pd.Timestamp(as_of)
    lapsed = runs[~followed & (known | (next_customer == runs["customer_id"]))]
    lapses = pd.DataFrame(
        {"customer_id": lapsed["customer_id"].to_numpy(), "churned_on": lapsed["end"].dt.date}
    )
    return pd.concat([explicit, lapses], ignore_index=True)


def _active_in(start: dt.date, end: dt.date, ids: set[int]) -> set[int]:
    """Customers (among `ids`) with an interaction or usage on a day in [start, end]."""
    talked = Interaction.objects.filter(
        happened_at__gte=day_start(start), happened_at__lt=day_start(end + dt.timedelta(days=1))
    ).values_list("customer_id", flat=True)
    used = UsageDay.objects.filter(day__gte=start, day__lte=end, quantity__gt=0).values_list(
        "customer_id", flat=True
    )
    return (set(talked.distinct()) | set(used.distinct())) & ids


def sampling_step(as_of: dt.date, max_customers: int) -> int:
    active = active_customers(as_of).count()
    return max(1, math.ceil(active / max_customers)) if max_customers else 1


def build_training_set(
    dates: list[dt.date],
    *,
    horizon_days: int,
    every: int = 1,
    label: str = "explicit",
    as_of: dt.date | None = None,
    events: list[str] | None = None,
) -> TrainingSet:
    as_of = as_of or (dates[-1] + dt.timedelta(days=label_days(label, horizon_days)))
    events = usage_events(as_of) if events is None else events
    churned_on = churn_events(as_of, label)
    churned_on["churned_on"] = pd.to_datetime(churned_on["churned_on"])
    implicit_days = dict(
        zip(("core", "important", "general"), settings.IMPLICIT_CHURN_DAYS, strict=True)
    )
    frames, labels, observed = [], [], []
    for day in dates:
        features = compute_features(day, CustomerSelection(every=every), events=events)
        window = (churned_on["churned_on"] > pd.Timestamp(day)) & (
            churned_on["churned_on"] <= pd.Timestamp(day + dt.timedelta(days=horizon_days))
        )
        churned = features.index.isin(churned_on.loc[window, "customer_id"].unique())
        if label == "implicit" and len(features):
            limit = features["segment"].map(implicit_days).fillna(max(implicit_days.values()))
            alive = (features["days_since_last_activity"] < limit).to_numpy()
            features, churned, limit = features[alive], churned[alive], limit[alive]
            later = _active_per_segment(day, features, limit)
            churned = churned | ~features.index.isin(list(later))
        frames.append(features)
        labels.append(np.asarray(churned, dtype=bool))
        observed.append(np.full(len(features), np.datetime64(day, "D")))
        logger.info("training rows for %s: %d", day, len(features))
    if not frames:
        return TrainingSet(
            pd.DataFrame(columns=MODEL_FEATURES), np.array([], dtype=bool), np.array([]), every
        )
    return TrainingSet(
        features=pd.concat(frames),
        churned=np.concatenate(labels),
        observed_on=np.concatenate(observed),
        every=every,
        events=events,
    )


def _active_per_segment(day: dt.date, features: pd.DataFrame, limit: pd.Series) -> set[int]:
    later: set[int] = set()
    for days in sorted(set(limit)):
        ids = set(features.index[limit == days])
        later |= _active_in(day + dt.timedelta(days=1), day + dt.timedelta(days=int(days)), ids)
    return later


# --- training ------------------------------------------------------------------------------


def train_model(**options) -> RiskModel:
    """Backtest, train, calibrate and store a model as of `as_of` (active if it beats the
    rules score); or store the rules-based score with the reason when the history is not
    enough. Returns the stored model."""
    with threadpool_limits(limits=settings.ML_THREADS):
        return _train_model(**options)


def check_history(
    as_of: dt.date, *, horizon_days: int, months: int, label: str, folds: int
) -> History:
    """Are there enough observation dates and churned customers? If not, say exactly
    what is missing and when it will be enough."""
    window = label_days(label, horizon_days)
    dates, step = _observation_dates(as_of, horizon_days=horizon_days, months=months, label=label)
    start = history_start()
    if start is None:
        return History([], step, window, 0, False, notes.NO_ACTIVITY)
    span = dt.timedelta(days=MIN_TRAINING_SPAN_DAYS)
    eligible = [d for d in dates if d - dt.timedelta(days=window) >= dates[0] + span]
    if len(eligible) < folds:
        first_date = start + dt.timedelta(days=settings.TRAINING_WARM_UP_DAYS)
        enough_on = first_date + span + dt.timedelta(days=2 * window + 7 * (folds - 1))
        return History(
            dates,
            step,
            window,
            0,
            False,
            notes.SHORT_HISTORY,
            {
                "start": start.isoformat(),
                "dates": len(dates),
                "step": step,
                "eligible": len(eligible),
                "folds": folds,
                "warm_up": settings.TRAINING_WARM_UP_DAYS,
                "window": window,
                "span": MIN_TRAINING_SPAN_DAYS,
                "enough_on": enough_on.isoformat(),
            },
        )
    if label == "implicit":
        return History(dates, step, window, 0, True)
    events = churn_events(as_of, label)
    first, last = dates[0], dates[-1] + dt.timedelta(days=horizon_days)
    in_history = events[(events["churned_on"] > first) & (events["churned_on"] <= last)]
    churners = int(in_history["customer_id"].nunique())
    needed = settings.MIN_CHURNERS_TO_TRAIN
    if churners >= needed:
        return History(dates, step, window, churners, True)
    year_ago = as_of - dt.timedelta(days=365)
    recent = events[(events["churned_on"] > year_ago) & (events["churned_on"] <= as_of)]
    per_month = recent["customer_id"].nunique() / 12
    about = None
    if per_month > 0:
        months_more = math.ceil((needed - churners) / per_month)
        about = (pd.Timestamp(as_of) + pd.DateOffset(months=months_more)).date().isoformat()
    return History(
        dates,
        step,
        window,
        churners,
        False,
        notes.FEW_CHURNERS,
        {
            "count": churners,
            "label": label,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "needed": needed,
            "more": needed - churners,
            "per_month": round(per_month, 1),
            "about": about,
        },
    )


def _train_model(
    *,
    as_of: dt.date,
    horizon_days: int | None = None,
    months: int | None = None,
    max_customers: int | None = None,
    label: str | None = None,
    folds: int | None = None,
) -> RiskModel:
    began = time.perf_counter()
    horizon_days = horizon_days or settings.CHURN_HORIZON_DAYS
    months = months or settings.TRAINING_HISTORY_MONTHS
    label = label or settings.CHURN_LABEL
    folds = folds or settings.BACKTEST_FOLDS
    max_customers = settings.TRAINING_MAX_CUSTOMERS if max_customers is None else max_customers

    history = check_history(
        as_of, horizon_days=horizon_days, months=months, label=label, folds=folds
    )
    dates = history.dates
    every = sampling_step(as_of, max_customers)
    record = dict(
        as_of=as_of,
        horizon_days=horizon_days,
        churn_label=label,
        window_start=dates[0] if dates else as_of,
        window_end=dates[-1] if dates else as_of,
        churners=history.churners,
        sample_every=every,
        sample_note=notes.in_english(notes.sample_text, every),
    )
    if not history.enough:
        data = _maybe_build(dates, horizon_days, every, label, as_of)
        return _store_rules_model(data, record, history.note_code, history.note_params, began)

    data = build_training_set(
        dates, horizon_days=horizon_days, every=every, label=label, as_of=as_of
    )
    churners = int(data.features.index[data.churned].nunique()) if len(data.churned) else 0
    record["base_rate"] = float(data.churned.mean()) if len(data.churned) else 0.0
    if label == "implicit":
        record["churners"] = churners
        if churners < settings.MIN_CHURNERS_TO_TRAIN:
            found = {
                "count": churners,
                "days": history.label_days,
                "start": dates[0].isoformat(),
                "end": as_of.isoformat(),
                "needed": settings.MIN_CHURNERS_TO_TRAIN,
            }
            return _store_rules_model(data, record, notes.FEW_IDLE, found, began)

    names = MODEL_FEATURES + usage_columns(data.events)
    result, out_of_fold, last_fold = backtest(
        data, window=history.label_days, folds=folds, names=names
    )
    summary = summarise(result["folds"])
    ran = sum(1 for fold in result["folds"] if "methods" in fold)
    result |= {"step": history.step, "label": label, "horizon_days": horizon_days}
    if ran < max(1, folds // 2) or not all(kind in summary for kind in LEARNERS):
        return _store_rules_model(
            data,
            record,
            notes.FEW_FOLDS,
            {"ran": ran, "folds": folds},
            began,
            backtest_record=result,
        )

    errors = standard_errors(result["folds"])
    best = choose_learner(summary, errors)
    top = best_learner(summary)
    beats_rules = summary[best]["roc_auc"] > summary["rules"]["roc_auc"]
    result |= {
        "summary": summary,
        "roc_auc_se": errors,
        "top": top,
        "folds_run": ran,
        "chosen": best,
        "beats_rules": beats_rules,
        "calibration": {
            method: calibration(out_of_fold["churned"], out_of_fold[method])
            for method in (best, "rules")
        },
    }
    if beats_rules:
        result["decision"] = (
            f"Active: {METHOD_LABELS[best].lower()} ranked the next {horizon_days} days' "
            f"churners at ROC AUC {summary[best]['roc_auc']:.3f} over {ran} backtest folds, "
            f"{_why_chosen(best, top, summary, errors)}, against "
            f"{summary['rules']['roc_auc']:.3f} for the rules score."
        )
    else:
        result["decision"] = (
            f"Not activated: {METHOD_LABELS[best].lower()}, "
            f"{_why_chosen(best, top, summary, errors)}, ranked the next {horizon_days} days' churners at "
            f"backtest ROC AUC {summary[best]['roc_auc']:.3f}, which does not beat the rules "
            f"score's {summary['rules']['roc_auc']:.3f} on the same {ran} folds, so the scores "
            "stay as they were."
        )

    inputs = usable_features(data.features, names)
    # A blend is weighted by how its parts predicted every backtest fold's rows.
    weights = blend_weights(
        np.column_stack([out_of_fold[kind] for kind in BLEND_PARTS]), out_of_fold["churned"]
    )
    if best == RiskModel.Kind.BLEND:
        result["blend_weights"] = weights_record(weights)
    final = fit_learner(
        best, model_inputs(data.features, inputs), data.churned, calibrate=True, weights=weights
    )
    metrics = dict(summary[best])
    metrics["candidates"] = {kind: summary[kind] for kind in (*LEARNERS, *BASELINES)}
    metrics["chosen_by"] = f"backtest ROC AUC (mean of {ran} forward-chained folds)"
    fitted, X_valid, y_valid = last_fold
    ranked = importance(fitted[best], X_valid, y_valid)
    weights = signals.signal_lift(signals.fired(data.features), pd.Series(data.churned))
    dropped = [name for name in names if name not in inputs]
    return _store(
        kind=best,
        artifact=pickle.dumps(final),
        features=inputs,
        backtest=result,
        train_rows=len(data.churned),
        validation_rows=sum(fold.get("validation_rows", 0) for fold in result["folds"]),
        metrics=metrics,
        feature_importance=ranked,
        signal_weights=weights,
        activate=beats_rules,
        note=notes.english(notes.LEFT_OUT, {"features": dropped}) if dropped else "",
        note_code=notes.LEFT_OUT if dropped else "",
        note_params={"features": dropped} if dropped else {},
        began=began,
        **record,
    )


def _why_chosen(best: str, top: str, summary: dict[str, dict], errors: dict[str, float]) -> str:
    """Why `best` was kept: the best mean, or the simplest within one standard error of
    `top`'s (candidates.choose_learner)."""
    if best == top:
        return f"the best of the learners ({_others(best, summary)})"
    return (
        f"the simplest learner within one standard error ({errors[top]:.4f}) of the best mean "
        f"({_others(best, summary)})"
    )


def _others(best: str, summary: dict[str, dict]) -> str:
    """The other learners' mean ROC AUC, for the sentence that says why `best` won."""
    return ", ".join(
        f"{METHOD_LABELS[kind].lower()} {summary[kind]['roc_auc']:.3f}"
        for kind in LEARNERS
        if kind != best
    )


def _maybe_build(dates, horizon_days, every, label, as_of) -> TrainingSet | None:
    """The rows for the rules score's own metrics, when there are any dates at all."""
    if not dates:
        return None
    return build_training_set(
        dates[-6:], horizon_days=horizon_days, every=every, label=label, as_of=as_of
    )


def _store_rules_model(
    data: TrainingSet | None,
    record: dict,
    code: str,
    params: dict,
    began: float,
    backtest_record: dict | None = None,
) -> RiskModel:
    metrics: dict = {}
    rows = 0
    if data is not None and len(data.churned):
        rows = len(data.churned)
        record.setdefault("base_rate", float(data.churned.mean()))
        if 0 < data.churned.sum() < len(data.churned):
            metrics = evaluate(data.churned, rules_score(data.features))
            metrics["evaluated_on"] = "the latest observation dates (rules are not trained)"
    return _store(
        kind=RiskModel.Kind.RULES,
        artifact=None,
        train_rows=rows,
        validation_rows=0,
        metrics=metrics,
        feature_importance={},
        signal_weights=dict(signals.RULES_WEIGHTS),
        backtest=backtest_record or {},
        note=f"{RiskModel.RULES_NOTE} {notes.english(code, params)}",
        note_code=code,
        note_params=params,
        activate=True,
        began=began,
        **record,
    )


def _store(*, began: float, activate: bool, **fields) -> RiskModel:
    """Store the model; an activated one replaces the active model. A trained model that
    is not activated leaves the active one in place (or, with none, a rules-based one is
    stored as active beside it)."""
    with transaction.atomic():
        latest = RiskModel.objects.select_for_update().order_by("-version").first()
        if activate:
            RiskModel.objects.filter(is_active=True).update(is_active=False)
        model = RiskModel.objects.create(
            version=(latest.version + 1) if latest else 1,
            training_seconds=round(time.perf_counter() - began, 2),
            is_active=activate,
            **fields,
        )
        if not activate and not RiskModel.objects.filter(is_active=True).exists():
            fallback = {
                "version": model.version,
                "decision": notes.decision_params(model.backtest),
            }
            RiskModel.objects.create(
                version=model.version + 1,
                kind=RiskModel.Kind.RULES,
                as_of=model.as_of,
                horizon_days=model.horizon_days,
                churn_label=model.churn_label,
                window_start=model.window_start,
                window_end=model.window_end,
                signal_weights=dict(signals.RULES_WEIGHTS),
                note=f"{RiskModel.RULES_NOTE} {notes.english(notes.NOT_ACTIVATED, fallback)}",
                note_code=notes.NOT_ACTIVATED,
                note_params=fallback,
                is_active=True,
            )
        return model


def active_model() -> RiskModel | None:
    return RiskModel.objects.filter(is_active=True).order_by("-version").first()


def known_inputs(names: list[str]) -> bool:
    """Whether this code still computes every input a stored model was trained on."""
    return all(name in MODEL_FEATURES or name.startswith("usage:") for name in names)


def load(model: RiskModel):
    """The fitted estimator of a stored model (None for the rules-based one)."""
    return _load_cached(model.pk, model.version) if model.artifact is not None else None


_CACHE: dict[tuple[int, int], object] = {}


def _load_cached(pk: int, version: int):
    key = (pk, version)
    if key not in _CACHE:
        artifact = RiskModel.objects.filter(pk=pk).values_list("artifact", flat=True).get()
        _CACHE.clear()
        _CACHE[key] = pickle.loads(bytes(artifact))
    return _CACHE[key]
