"""Nightly scoring: features -> probability -> reasons -> one score row per customer.

A run for a day is split into chunks of customer ids. Each chunk is independent (its
own features and predictions, written to a staging table in one transaction that first
deletes what an earlier attempt staged for its id range), so chunks can run on many
workers at once and a chunk killed and re-run stages each customer once. When every
chunk is done, `finish_run` sizes the tiers over the whole company and folds the day's
scores into the history (customers/scoring/history.py: a row only where a score changed
materially), in one transaction: readers see the previous scores until then, and
exactly one score per customer for the day after."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.db.models.functions import Least
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from threadpoolctl import threadpool_limits

from customers.models import RiskModel, RiskScore, RiskTier, ScoringRun, StagedScore
from customers.scoring import history, interaction_days, signals, training
from customers.scoring.features import (
    CustomerSelection,
    active_customers,
    compute_features,
    model_inputs,
)
from retention.binary_copy import copy_binary
from retention.bulk import analyze_if_stale, write_frame
from retention.jobs import steps
from retention.wording import Worded

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chunk:
    id_from: int
    id_to: int


def current_model(*, as_of: dt.date) -> RiskModel:
    """The active model. The first run trains one (or sets up the rules-based score), and
    so does a run after an upgrade changed the features the stored model was trained on."""
    model = training.active_model()
    if model is not None and not model.is_rules_based:
        trained_on = list(getattr(training.load(model), "feature_names_in_", []))
        if trained_on != model.features or not training.known_inputs(model.features):
            logger.warning("%s was trained on other features; training a new model", model)
            model = None
    if model is None:
        training.train_model(as_of=as_of)  # stores an active model (trained or rules-based)
        model = training.active_model()
    return model


def start_run(*, day: dt.date, chunk_size: int | None = None) -> tuple[ScoringRun, list[Chunk]]:
    chunk_size = chunk_size or settings.SCORING_CHUNK_SIZE
    # The interactions' roll-ups catch up with the day's writes, and the customers'
    # interaction windows move on to the day, once before the chunks.
    interaction_days.refresh(window_day=day)
    model = current_model(as_of=day)
    span = active_customers(day).aggregate(low=Min("id"), high=Max("id"), count=Count("id"))
    chunks: list[Chunk] = []
    if span["count"]:
        n_chunks = math.ceil(span["count"] / chunk_size)
        step = math.ceil((span["high"] - span["low"] + 1) / n_chunks)
        chunks = [
            Chunk(low, min(low + step - 1, span["high"]))
            for low in range(span["low"], span["high"] + 1, step)
        ]
    edges = history.stored_edges(history.edges_for(day))
    with transaction.atomic():
        run, _ = ScoringRun.objects.update_or_create(
            day=day,
            defaults=dict(
                tier_edges=edges,
                model=model,
                status=ScoringRun.Status.RUNNING,
                chunks_total=len(chunks),
                chunks_done=0,
                customers_scored=0,
                tier_sizes={},
                revenue_at_risk=0,
                started_at=timezone.now(),
                finished_at=None,
                timings={},
                error="",
            ),
        )
        # A re-run starts from an empty staging area; the day's scores stay readable
        # until the new run finishes and replaces them.
        StagedScore.objects.filter(run=run).delete()
    return run, chunks


def score_chunk(*, run_id: int, id_from: int, id_to: int) -> dict[str, float]:
    """Score the customers with ids in [id_from, id_to] for the run's day and stage them:
    a narrow row for each, their reasons and signs only where a history row may be
    written (history.staged_rows)."""
    run = ScoringRun.objects.select_related("model").get(pk=run_id)
    timings = {}
    began = time.perf_counter()
    features = compute_features(run.day, CustomerSelection(id_from=id_from, id_to=id_to))
    timings["features"] = time.perf_counter() - began

    began = time.perf_counter()
    before = len(features)
    features = _set_aside_unscorable(features)
    left_out = before - len(features)
    # One reading of the thresholds for the chunk: the codes compared and the words
    # staged come from the same fired signals.
    limits = signals.configured_thresholds()
    flags = signals.fired(features, limits)
    scores = score_frame(run, features, worded=False, flags=flags, limits=limits)
    unscorable = ~np.isfinite(scores["probability"]) | ~np.isfinite(scores["revenue_at_risk"])
    for customer_id in scores.loc[unscorable, "customer_id"]:  # the few bad ones only
        steps.set_aside(
            **_customer_record(int(customer_id)),
            reason=Worded(gettext_noop("Not scored: its risk or value is not a finite number.")),
        )
    kept = np.flatnonzero(~unscorable.to_numpy())
    scores, features = scores.iloc[kept].reset_index(drop=True), features.iloc[kept]
    flags = flags.iloc[kept]
    timings["scoring"] = time.perf_counter() - began

    began = time.perf_counter()
    with transaction.atomic():
        staged = history.staged_rows(
            run,
            scores,
            id_from,
            id_to,
            word=lambda rows: reasons_and_signs(run, features, rows, flags=flags, limits=limits),
        )
        timings["compare"] = time.perf_counter() - began
        refused = stage(run, staged, id_from, id_to)
    timings["writes"] = time.perf_counter() - began - timings["compare"]
    return {
        "scored": len(scores) - len(refused),
        "set_aside": left_out + int(unscorable.sum()) + len(refused),
        "reasons_staged": int(staged["reasons"].notna().sum()),
        **{k: round(v, 3) for k, v in timings.items()},
    }


def stage(run: ScoringRun, staged: pd.DataFrame, id_from: int, id_to: int) -> list[int]:
    """Replace what an earlier attempt staged for [id_from, id_to] with `staged`
    (history.staged_rows) and keep the run's count of staged scores, in the caller's
    transaction. Returns the rows the database refused (set aside)."""
    removed, _ = StagedScore.objects.filter(
        run=run, customer_id__gte=id_from, customer_id__lte=id_to
    ).delete()
    # One COPY; only if the database refuses it (a value its column cannot hold),
    # halves are written again until the refused customers are found and set aside.
    refused = steps.write_or_set_aside(
        range(len(staged)),
        lambda rows: write_staged(staged.iloc[rows.start : rows.stop]),
        describe=lambda row: _customer_record(int(staged["customer_id"].iat[row])),
    )
    # A chunk staged again (its first attempt committed, its step was not marked done)
    # removed its earlier rows: it is not a chunk more. Never past the total either (a
    # chunk with no active customer stages nothing to remove).
    ScoringRun.objects.filter(pk=run.pk).update(
        chunks_done=Least(F("chunks_done") + (0 if removed else 1), F("chunks_total")),
        customers_scored=F("customers_scored") + (len(staged) - len(refused)) - removed,
    )
    return refused


# The staging table's columns a narrow row fills, with their PostgreSQL types.
_NARROW_KINDS = {
    "run_id": "bigint",
    "customer_id": "bigint",
    "probability": "double precision",
    "annual_value": "numeric(14,2)",
    "revenue_at_risk": "numeric(14,2)",
    "single_threaded": "boolean",
    "active_contacts": "integer",
    "changed": "boolean",
    "held_tier": "smallint",
}


def write_staged(staged: pd.DataFrame) -> None:
    """Insert staging rows (history.staged_rows). On PostgreSQL the narrow ones, without
    reasons or signs (most of a night), go in one binary COPY (retention/binary_copy.py);
    the rest, with their JSON, as text."""
    if connection.vendor != "postgresql":
        write_frame(StagedScore, staged)
        return
    worded = (staged["reasons"].notna() | staged["signals"].notna()).to_numpy()
    if worded.any():
        write_frame(StagedScore, staged[worded])
    if not worded.all():
        copy_binary(StagedScore._meta.db_table, staged[~worded], _NARROW_KINDS)


def score_frame(
    run: ScoringRun,
    features: pd.DataFrame,
    *,
    worded: bool = True,
    flags: pd.DataFrame | None = None,
    limits: dict[str, dict] | None = None,
) -> pd.DataFrame:
    """The run's model over `features` (scorable customers): one row per customer, in
    their order, with its probability, value, revenue at risk and the codes of its
    reasons and signs (what the history compares); with `worded`, also the reasons and
    signs themselves (JSON text, `reasons_and_signs`). `limits` (the configured signal
    thresholds) and `flags` (the signals they fire over `features`) are read and
    computed here unless the caller has them."""
    limits = limits if limits is not None else signals.configured_thresholds()
    flags = flags if flags is not None else signals.fired(features, limits)
    probability = predict(run.model, features, flags)
    value = features["annual_value"].to_numpy(dtype="float64")
    frame = pd.DataFrame(
        {
            "run_id": run.pk,
            "customer_id": features.index.to_numpy(),
            # Unrounded: a calibrated model gives healthy customers probabilities far
            # below 1e-6, and the tiers rank on them (rounded, they would all tie at 0).
            "probability": probability,
            "annual_value": np.round(value, 2),
            "revenue_at_risk": np.round(probability * value, 2),
            "reason_codes": signals.reason_codes(flags, run.model.signal_weights),
            "signal_codes": signals.reason_codes(
                flags, signals.RULES_WEIGHTS, len(signals.SIGNALS)
            ),
            "single_threaded": features["single_threaded"].to_numpy(dtype=bool),
            "active_contacts": features["active_contacts"].to_numpy(dtype="int64"),
        }
    )
    if worded:
        frame["reasons"], frame["signals"] = reasons_and_signs(
            run, features, np.ones(len(features), dtype=bool), flags=flags, limits=limits
        )
    return frame


def reasons_and_signs(
    run: ScoringRun,
    features: pd.DataFrame,
    rows: np.ndarray,
    *,
    flags: pd.DataFrame | None = None,
    limits: dict[str, dict] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The reasons (the model's strongest fired signals) and every fired sign, as JSON
    text, of the customers of `features` where the boolean mask `rows` is True; None
    elsewhere. Wording is the costly part of scoring, so a chunk words only the customers
    whose history row may be written (history.staged_rows): a few per cent a night."""
    reasons = np.full(len(features), None, dtype=object)
    signs = np.full(len(features), None, dtype=object)
    at = np.flatnonzero(rows)
    if not len(at):
        return reasons, signs
    limits = limits if limits is not None else signals.configured_thresholds()
    subset = features.iloc[at]
    fired = signals.fired(subset, limits) if flags is None else flags.iloc[at]
    entries = signals.fired_entries(subset, fired, limits)
    reasons[at] = signals.top_reasons(
        subset, fired, run.model.signal_weights, limits=limits, entries=entries
    )
    signs[at] = signals.top_reasons(
        subset,
        fired,
        signals.RULES_WEIGHTS,
        limit=len(signals.SIGNALS),
        limits=limits,
        entries=entries,
    )
    return reasons, signs


def stage_reasons(run: ScoringRun, customer_ids: list[int]) -> None:
    """Stage the reasons and signs of the named customers, whose history row is to be
    written although their chunk did not expect it (their tier moved): their features
    read again for the day, through the customers' own rows. A customer no longer found
    (gone since the chunk) keeps no reasons, rather than failing the night."""
    features = _set_aside_unscorable(
        compute_features(run.day, CustomerSelection(ids=tuple(customer_ids)))
    )
    ids: list[int] = []
    reasons: list[str] = []
    signs: list[str] = []
    if len(features):
        scores = score_frame(run, features)
        ids = scores["customer_id"].astype("int64").tolist()
        reasons, signs = scores["reasons"].tolist(), scores["signals"].tolist()
    missing = sorted(set(customer_ids) - set(ids))
    if missing:
        logger.warning("%d customers to write were not found again: no reasons", len(missing))
        ids += missing
        reasons += ["[]"] * len(missing)
        signs += ["[]"] * len(missing)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":  # the embedded database: no unnest, no casts
            cursor.executemany(
                f"UPDATE {StagedScore._meta.db_table} SET reasons = %s, signals = %s "
                "WHERE run_id = %s AND customer_id = %s",
                [(r, g, run.pk, c) for c, r, g in zip(ids, reasons, signs, strict=True)],
            )
            return
        cursor.execute(
            f"""
            UPDATE {StagedScore._meta.db_table} s
            SET reasons = v.reasons::jsonb, signals = v.signs::jsonb
            FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(customer_id, reasons, signs)
            WHERE s.run_id = %s AND s.customer_id = v.customer_id
            """,
            [ids, reasons, signs, run.pk],
        )


def _customer_record(customer_id: int) -> dict:
    """A customer set aside, as the jobs page names it: its id and external id (read for
    the few set aside only)."""
    from customers.models import Customer

    key = Customer.objects.filter(pk=customer_id).values_list("external_id", flat=True).first()
    return {"model": "customer", "object_id": customer_id, "key": key or ""}


def _set_aside_unscorable(features: pd.DataFrame) -> pd.DataFrame:
    """Customers with an infinite feature (a ratio over nothing, a value out of range)
    cannot be scored: they are set aside with the feature named, the rest are scored.
    A missing value (NaN) is normal input and stays."""
    numbers = features.select_dtypes(include="number")
    infinite = np.isinf(numbers.to_numpy(dtype="float64"))
    bad_rows = infinite.any(axis=1)
    if not bad_rows.any():
        return features
    for position in np.flatnonzero(bad_rows):  # the few bad ones only
        named = [numbers.columns[i] for i in np.flatnonzero(infinite[position])]
        steps.set_aside(
            **_customer_record(int(features.index[position])),
            reason=Worded(
                gettext_noop("Not scored: %(features)s is not a finite number."),
                features=", ".join(named),
            ),
        )
    return features[~bad_rows]


def predict(model: RiskModel, features: pd.DataFrame, flags: pd.DataFrame) -> np.ndarray:
    if not len(features):
        return np.array([], dtype="float64")
    if model.is_rules_based:
        return signals.rules_probability(flags)
    estimator = training.load(model)
    with threadpool_limits(limits=settings.ML_THREADS):
        return estimator.predict_proba(model_inputs(features, model.features))[:, 1]


def tier_bounds(count: int, shares: list[int] | None = None) -> list[int]:
    """Cumulative rank limits of the tiers, most at risk first: with 5/15/25/35/20 and
    200 customers, ranks 1-10 are very high, 11-40 high, and so on."""
    shares = shares or settings.RISK_TIER_SHARES
    total = sum(shares)
    cumulative = np.cumsum(shares)
    return [round(count * c / total) for c in cumulative]


class StagingLost(RuntimeError):
    """The staged scores of a run are fewer than its chunks staged."""


def finish_run(*, run_id: int, chunk_results: list[dict] | None = None) -> dict:
    """Size the tiers over every staged score and fold the day's scores into the history
    (rows only for the customers whose score changed materially, history.py), in one
    transaction. Finishing a run that is already complete changes nothing."""
    try:
        return _finish_run(run_id=run_id, chunk_results=chunk_results)
    except StagingLost as lost:
        fail_run(run_id=run_id, error=str(lost))
        raise


def _finish_run(*, run_id: int, chunk_results: list[dict] | None) -> dict:
    began = time.perf_counter()
    written = None
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().select_related("model").get(pk=run_id)
        if run.status != ScoringRun.Status.COMPLETE:
            # While running, `customers_scored` counts what the chunks staged (they add
            # and remove in their own transactions): the tiers are sized on it, and a
            # staging table emptied under the run (a crash of the database) is caught.
            swap = history.swap_in(
                run,
                tier_bounds(run.customers_scored),
                stage_reasons=lambda ids: stage_reasons(run, ids),
            )
            if swap.scored != run.customers_scored:
                raise StagingLost(
                    Worded(
                        gettext_noop(
                            "%(staged)s scores were staged for %(day)s and %(left)s are "
                            "left: score the day again."
                        ),
                        staged=run.customers_scored,
                        day=run.day.isoformat(),
                        left=swap.scored,
                    )
                )
            totals = history.day_totals(run)
            StagedScore.objects.filter(run=run).delete()
            written = {
                "scores_written": swap.written,
                "scores_ended": swap.ended,
                "reasons_late": swap.reasons_late,
            }
            timings = {"features": 0.0, "scoring": 0.0, "compare": 0.0, "writes": 0.0}
            for result in chunk_results or []:
                for key in timings:
                    timings[key] += result.get(key, 0.0)
            timings["tiers and swap"] = time.perf_counter() - began
            run.customers_scored = totals["count"]
            # Keyed by the English label (stored data, not what a reader sees).
            with translation.override("en"):
                run.tier_sizes = {
                    str(RiskTier(t).label): totals["sizes"].get(t, 0) for t in RiskTier.values
                }
            run.revenue_at_risk = totals["revenue_at_risk"]
            run.timings = {key: round(value, 2) for key, value in timings.items()}
            run.status = ScoringRun.Status.COMPLETE
            run.finished_at = timezone.now()
            run.save()
    # The alert pass and the figures read these rows next (a retried step, whose run
    # was already complete, still finds what the first attempt wrote).
    analyze_if_stale(RiskScore, swap.written + swap.ended if written else 0)
    return {
        "day": run.day.isoformat(),
        "model": run.model.summary,
        "customers": run.customers_scored,
        "tiers": run.tier_sizes,
        "revenue_at_risk": float(run.revenue_at_risk),
        **(written or {}),
    }


def fail_run(*, run_id: int, error: str) -> None:
    """The day stays incomplete: the previous complete day's scores stay current, and
    the run says why (pages and `score_customers --queue` show it)."""
    ScoringRun.objects.filter(pk=run_id).exclude(status=ScoringRun.Status.COMPLETE).update(
        status=ScoringRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )


def score_all(
    *,
    day: dt.date,
    chunk_size: int | None = None,
    progress: Callable[[ScoringRun], None] = lambda run: None,
) -> dict:
    """The whole run in this process, chunk after chunk (the in-process path of the
    nightly job and of `manage.py score_customers`)."""
    run, chunks = start_run(day=day, chunk_size=chunk_size)
    results = []
    for chunk in chunks:
        results.append(score_chunk(run_id=run.pk, id_from=chunk.id_from, id_to=chunk.id_to))
        run.refresh_from_db(fields=["chunks_done"])
        progress(run)
    return finish_run(run_id=run.pk, chunk_results=results)
