"""Churn-scoring models: the trained (or rules-based) model, one scoring run per day,
the scores it stages while its chunks come in, and one score per customer per day."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from retention.text_limits import LimitedTextField


class RiskTier(models.IntegerChoices):
    """Ordered from most to least at risk, so a higher number is a safer customer."""

    VERY_HIGH = 1, _("Very high")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")
    VERY_LOW = 5, _("Very low")


class RiskModel(models.Model):
    """One trained (or rules-based) churn model, with what it was trained on and how well
    it did on the validation months. Scoring uses the newest active one."""

    class Kind(models.TextChoices):
        GRADIENT_BOOSTING = "gradient_boosting", _("Gradient boosting")
        LOGISTIC_REGRESSION = "logistic_regression", _("Logistic regression")
        BLEND = "blend", _("Blend of logistic regression and gradient boosting")
        RULES = "rules", _("Rules-based")

    RULES_NOTE = "Rules-based score, not enough history to train."

    version = models.PositiveIntegerField(unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    trained_at = models.DateTimeField(default=timezone.now)
    as_of = models.DateField(
        help_text=_("The day the model was trained for; nothing later was seen.")
    )
    horizon_days = models.PositiveIntegerField()
    window_start = models.DateField(help_text=_("First observation date in the training set."))
    window_end = models.DateField(help_text=_("Last observation date in the validation set."))
    train_rows = models.PositiveIntegerField(default=0)
    validation_rows = models.PositiveIntegerField(default=0)
    churners = models.PositiveIntegerField(
        default=0,
        help_text=_("Distinct customers who churned within the horizon of an observation."),
    )
    base_rate = models.FloatField(default=0.0)
    sample_note = models.CharField(max_length=200, blank=True)
    sample_every = models.PositiveIntegerField(
        default=1, help_text="Training read one customer in this many (1: every customer)."
    )
    metrics = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Validation metrics of the chosen model and of every candidate."),
    )
    feature_importance = models.JSONField(default=dict, blank=True)
    signal_weights = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "How much more often customers with each warning signal churned (lift); "
            "orders the reasons shown with a score."
        ),
    )
    churn_label = models.CharField(
        max_length=10,
        default="explicit",
        help_text="What counted as churn in the labels: explicit (marked churned), contract "
        "(not renewed) or implicit (no activity for N days); CHURN_LABEL in settings.",
    )
    features = models.JSONField(
        default=list,
        blank=True,
        help_text="The model's inputs, in order (features a company lacks are left out).",
    )
    backtest = models.JSONField(
        default=dict,
        blank=True,
        help_text="Forward-chained out-of-time backtest: folds, per-fold metrics of the model "
        "and the baselines, calibration bins, and the activation decision.",
    )
    artifact = models.BinaryField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    training_seconds = models.FloatField(default=0.0)
    note = LimitedTextField(
        blank=True, max_length=2000, help_text="The note in English (see note_code)."
    )
    note_code = models.CharField(
        max_length=20,
        blank=True,
        help_text="What the note says (customers/scoring/notes.py), worded in each reader's "
        "language from note_params.",
    )
    note_params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-version"]
        get_latest_by = "version"

    def __str__(self) -> str:
        return f"v{self.version} {self.get_kind_display()} ({self.as_of})"

    @property
    def is_rules_based(self) -> bool:
        return self.kind == self.Kind.RULES

    @property
    def description(self) -> str:
        """What the model is, worded in the reader's language when read."""
        return describe_model(self.summary)

    @property
    def summary(self) -> dict:
        """The model as codes and figures (what a job's result stores, not a sentence)."""
        return {
            "version": self.version,
            "kind": self.kind,
            "roc_auc": self.metrics.get("roc_auc"),
        }


def describe_model(summary: dict) -> str:
    """A model's `summary` (kind code, version, backtest ROC AUC) in the reader's language:
    "Logistic regression model v1, backtest ROC AUC 0.97"."""
    kind = summary.get("kind")
    if kind == RiskModel.Kind.RULES:
        return gettext("Rules-based score, not enough history to train.")
    label = dict(RiskModel.Kind.choices).get(kind, kind)
    roc = summary.get("roc_auc")
    if roc is None:
        return gettext("%(kind)s model v%(version)s") % {
            "kind": label,
            "version": summary.get("version"),
        }
    return gettext("%(kind)s model v%(version)s, backtest ROC AUC %(roc_auc)s") % {
        "kind": label,
        "version": summary.get("version"),
        "roc_auc": f"{roc:.2f}",
    }


class ScoringRun(models.Model):
    """The nightly scoring of all active customers for one day. Re-running a day reuses
    its row and replaces its scores."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        COMPLETE = "complete", _("Complete")
        FAILED = "failed", _("Failed")

    day = models.DateField(unique=True)
    model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    customers_scored = models.PositiveIntegerField(default=0)
    tier_sizes = models.JSONField(default=dict, blank=True)
    revenue_at_risk = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(
        default=dict, blank=True, help_text=_("Seconds spent on features, scoring and writes.")
    )
    error = models.TextField(blank=True)
    # The tier boundaries of the scores current when the run began, with their margin
    # (customers/scoring/history.run_tier_edges): read once for the run's every chunk.
    tier_edges = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-day"]
        get_latest_by = "day"

    def __str__(self) -> str:
        return f"Scoring {self.day} ({self.get_status_display()})"

    @property
    def progress(self) -> float:
        return self.chunks_done / self.chunks_total if self.chunks_total else 0.0


class RiskScoreQuerySet(models.QuerySet):
    def current(self) -> RiskScoreQuerySet:
        """Each active customer's current risk: the rows still valid (no end day). The
        latest complete run ends the rows of customers it no longer scores."""
        return self.filter(valid_until__isnull=True)

    def on_day(self, day) -> RiskScoreQuerySet:
        """Each customer's score as it stood on `day` (a date): the row that began on or
        before it and had not ended. Read every past day's scores through this, never
        through a filter on the stored day (a row holds for many days)."""
        return self.filter(day__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=day)
        )


class RiskScore(models.Model):
    """A customer's churn risk over a span of days: from `day` (the night the score was
    written) until the day before `valid_until` (open while it is still current). A night
    writes a row only for the customers whose score changed materially (see
    customers/scoring/history.py), so the history grows with change, not with days; a
    customer has at most one row for any day and one open row."""

    # The keys are the unique (customer, day) and the open rows' partial indexes; every
    # index costs time on the rows a night writes.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="risk_scores",
        db_index=False,
    )
    day = models.DateField(help_text=_("The first day this score held."))
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text=_("The first day this score no longer held; empty while it is current."),
    )
    model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="+", db_index=False)
    probability = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Probability of churning within the model's horizon."),
    )
    tier = models.PositiveSmallIntegerField(choices=RiskTier.choices, null=True, blank=True)
    annual_value = models.DecimalField(max_digits=14, decimal_places=2)
    revenue_at_risk = models.DecimalField(max_digits=14, decimal_places=2)
    reasons = models.JSONField(
        default=list,
        blank=True,
        help_text='Top reasons, most important first: [{"signal": ..., "text": ...}].',
    )
    single_threaded = models.BooleanField(
        default=False, help_text=_("Only one employee has talked to the customer in 180 days.")
    )
    active_contacts = models.PositiveIntegerField(default=0)
    signals = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Every warning sign that fired, in words (the alerts are raised from these)."),
    )

    objects = RiskScoreQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-revenue_at_risk"]
        indexes = [
            # The current scores, walked by the lists' tier filter and risk sort.
            models.Index(
                fields=["tier", "-revenue_at_risk"],
                name="riskscore_current_tier",
                condition=Q(valid_until__isnull=True),
            ),
            models.Index(
                fields=["-revenue_at_risk"],
                name="riskscore_current_rar",
                condition=Q(valid_until__isnull=True),
            ),
            # The customers list sorted by annual value, and by probability (tier first:
            # tiers are ranks of probability), walks these instead of sorting every
            # current score (or a whole tier's).
            models.Index(
                fields=["-annual_value"],
                name="riskscore_current_value",
                condition=Q(valid_until__isnull=True),
            ),
            models.Index(
                fields=["tier", "-probability"],
                name="riskscore_current_probability",
                condition=Q(valid_until__isnull=True),
            ),
            # What changed on a day (the alerts follow these): rows begun or ended on it.
            models.Index(fields=["day"], name="riskscore_began"),
            # A past day's scores: the rows that ended after it, beside the open ones.
            models.Index(
                fields=["valid_until"],
                name="riskscore_ended",
                condition=Q(valid_until__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "day"],
                name="one_risk_score_per_customer_day",
                violation_error_message=_("A customer has one risk score per day."),
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(valid_until__isnull=True),
                name="one_current_risk_score_per_customer",
                violation_error_message=_("A customer has one current risk score."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("day")),
                name="riskscore_ends_after_it_begins",
                violation_error_message=_("A score ends after the day it begins."),
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=1),
                name="riskscore_probability_range",
                violation_error_message=_("A probability lies between 0 and 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.day}: {self.probability:.0%}"

    @property
    def reason_texts(self) -> list[str]:
        return [reason["text"] for reason in self.reasons]


class StagedScore(models.Model):
    """A scoring run's scores while its chunks come in, before the tiers (which need every
    customer's probability) are known. Every scored customer has a narrow row; its
    reasons and signs are staged only where a history row may be written (the chunk
    found the score changed materially apart from its tier, or its tier may move). The
    run's last step ranks the tiers and folds the changes into RiskScore
    (customers/scoring/history.py). An UNLOGGED table (migration 0034): nothing here
    outlives a run, so it writes no WAL; a database crash empties it, and the run's
    count of staged scores then tells the finishing step to fail the run."""

    # No foreign key in the database: its check costs a trigger call per staged row, and
    # the rows only ever come from a run's own chunks (Django still deletes them with it).
    run = models.ForeignKey(
        ScoringRun,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    customer_id = models.BigIntegerField()
    probability = models.FloatField()
    annual_value = models.DecimalField(max_digits=14, decimal_places=2)
    revenue_at_risk = models.DecimalField(max_digits=14, decimal_places=2)
    reasons = models.JSONField(null=True, blank=True)
    single_threaded = models.BooleanField(default=False)
    active_contacts = models.PositiveIntegerField(default=0)
    signals = models.JSONField(null=True, blank=True)
    # Against the score that held the day before (history.changed_materially): changed
    # apart from the tier, or none before.
    changed = models.BooleanField(default=True)
    # The tier of the customer's current row when that row holds on unless the tier moves.
    held_tier = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["run", "customer_id"], name="stagedscore_run_customer")]

    def __str__(self) -> str:
        return f"Staged score of customer #{self.customer_id} for run #{self.run_id}"


class InteractionDay(models.Model):
    """One customer's interactions of one day (in TIME_ZONE), summed: what the nightly
    features read instead of the interactions themselves.

    Derived data, never edited: each row is a function of that customer's interactions of
    that day. A trigger on the interaction table notes every customer whose interactions
    were written, changed or deleted (whatever wrote them: the app, the bulk upsert, the
    file import, the demo generator), and `customers.scoring.interaction_days.refresh`
    rebuilds those customers' days from their interactions before features are computed."""

    pk = models.CompositePrimaryKey("customer_id", "day")
    customer_id = models.BigIntegerField()
    day = models.DateField()
    interactions = models.PositiveIntegerField()
    outbound = models.PositiveIntegerField()
    complaints = models.PositiveIntegerField()
    support_tickets = models.PositiveIntegerField()
    discount_requests = models.PositiveIntegerField()
    usage = models.PositiveIntegerField()
    renewal_talks = models.PositiveIntegerField()
    # Lowest and highest employee id among those who dealt with the customer that day.
    employee_low = models.BigIntegerField(null=True)
    employee_high = models.BigIntegerField(null=True)
    # The day's latest satisfaction score and the one before it (by time, then id).
    satisfaction_latest = models.PositiveSmallIntegerField(null=True)
    satisfaction_previous = models.PositiveSmallIntegerField(null=True)

    class Meta:
        indexes = [
            # The latest complaint and discount request before the scoring window.
            models.Index(
                fields=["customer_id", "day"],
                condition=Q(complaints__gt=0) | Q(discount_requests__gt=0),
                name="interactionday_rare_kinds",
            ),
            # The days entering and leaving the windows when a night moves them on, with
            # every column: read as an index-only scan of those days' entries (a day's
            # rows are spread over every page of the table).
            models.Index(
                fields=["day"],
                include=[
                    "customer_id",
                    "interactions",
                    "outbound",
                    "complaints",
                    "support_tickets",
                    "discount_requests",
                    "usage",
                    "renewal_talks",
                    "employee_low",
                    "employee_high",
                    "satisfaction_latest",
                    "satisfaction_previous",
                ],
                name="interactionday_day_all",
            ),
        ]

    def __str__(self) -> str:
        return f"Interactions of customer #{self.customer_id} on {self.day}"


class InteractionWindow(models.Model):
    """One customer's interaction features for one day (the same day for every row:
    `customers_interactionday_state.window_as_of`): counts in the windows the features
    use, the days of the latest moments, the 180 days' lowest and highest employee id and
    the latest two satisfaction scores of the year. Derived from InteractionDay and moved
    on by a night with what entered and left the windows
    (customers/scoring/interaction_windows.py), so the nightly features read one row per
    customer."""

    customer_id = models.BigIntegerField(primary_key=True)
    interactions_30d = models.IntegerField()
    interactions_90d = models.IntegerField()
    interactions_120d = models.IntegerField()
    complaints_30d = models.IntegerField()
    complaints_60d = models.IntegerField()
    complaints_90d = models.IntegerField()
    support_tickets_30d = models.IntegerField()
    support_tickets_60d = models.IntegerField()
    support_tickets_90d = models.IntegerField()
    discount_requests_60d = models.IntegerField()
    usage_30d = models.IntegerField()
    usage_120d = models.IntegerField()
    renewal_talks_180d = models.IntegerField()
    last_interaction_day = models.DateField(null=True)
    last_outbound_day = models.DateField(null=True)
    last_complaint_day = models.DateField(null=True)
    last_discount_request_day = models.DateField(null=True)
    employee_low_180d = models.BigIntegerField(null=True)
    employee_high_180d = models.BigIntegerField(null=True)
    satisfaction_latest = models.SmallIntegerField(null=True)
    satisfaction_previous = models.SmallIntegerField(null=True)
    # The days of those two scores (the same day when the latest day had two): a night
    # moves them on from the scores entering the year and these, not from the year.
    satisfaction_latest_day = models.DateField(null=True)
    satisfaction_previous_day = models.DateField(null=True)
    # The latest day of the 180 on which the lowest (highest) employee id dealt with the
    # customer: a night takes the ids again from the 180 days only when that day leaves
    # them (the owner met last week keeps the bound, whatever leaves).
    employee_low_day = models.DateField(null=True)
    employee_high_day = models.DateField(null=True)

    def __str__(self) -> str:
        return f"Interaction features of customer #{self.customer_id}"
