"""The durable record of every nightly step (and of each job a request starts): its
state, owner, heartbeat, attempts, result and the records it set aside. One row per day,
step name and subject, so a second beat, a second `run_nightly` or a re-sent message
finds the row taken instead of running the step again."""

from __future__ import annotations

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from retention.wording import reword


class JobStep(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for an earlier step")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    FINISHED = (Status.DONE, Status.FAILED, Status.SKIPPED)

    day = models.DateField(help_text=_("The night (or the day a request started the job)."))
    name = models.CharField(max_length=60)
    subject = models.CharField(
        max_length=100, blank=True, default="", help_text=_("What part: a chunk, a plan, a file.")
    )
    target = models.CharField(max_length=200, help_text=_("The function the step runs."))
    kwargs = models.JSONField(default=dict, blank=True)
    after = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("Runs once every step of this name that day finished."),
    )
    needs_success = models.BooleanField(
        default=False,
        help_text=_("Skipped, rather than run, when an earlier step did not complete."),
    )
    queue = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "The TIME_ZONE of the process that planned the step: its day's midnight. A "
            "worker set to another refuses to run it."
        ),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(
        default=0, help_text=_("Times re-queued after a fault (lost worker, database error).")
    )
    owner = models.CharField(max_length=200, blank=True, help_text=_("host:pid of the worker."))
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    # The error as raised (the worker's or the database's own text, for admins) and what
    # people read: its English source and figures, worded for each reader
    # (retention/wording.py); empty for an error stored before messages were.
    error = models.TextField(blank=True)
    error_wording = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-day", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "name", "subject"], name="jobstep_one_per_day_name_subject"
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="jobstep_status_beat")]

    def __str__(self) -> str:
        subject = f" ({self.subject})" if self.subject else ""
        return f"{self.day} {self.name}{subject}: {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def rows(self) -> int | None:
        """The step's main count (customers scored, contracts renewed, tasks raised...)."""
        result = self.result or {}
        for key in ("rows", "scored", "customers", "tasks_raised", "renewed", "opened", "value"):
            if isinstance(result.get(key), int) and not isinstance(result.get(key), bool):
                return result[key]
        return None

    @property
    def label(self) -> str:
        """What the step does, in the reader's language (the name is its code)."""
        from retention.jobs.labels import step_label

        return step_label(self.name)

    @property
    def subject_text(self) -> str:
        """The step's subject (a code) in the reader's language."""
        from retention.jobs.labels import subject_text

        return subject_text(self.subject)

    @property
    def result_items(self) -> list[tuple[str, str]]:
        from retention.jobs.labels import result_items

        return result_items(self.result)

    @property
    def error_text(self) -> str:
        """The error in the reader's language."""
        return reword({"message": self.error, **(self.error_wording or {})})

    @property
    def error_detail(self) -> str:
        """The error as raised, when the message people read does not already say it."""
        return _detail(self.error, self.error_wording)

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SetAside(models.Model):
    """A record a set-based step could not process: left out with the reason, so the rest
    of the step, and the night, went on."""

    step = models.ForeignKey(JobStep, on_delete=models.CASCADE, related_name="set_aside")
    model = models.CharField(max_length=60)
    object_id = models.BigIntegerField(null=True, blank=True)
    key = models.CharField(max_length=200, blank=True, help_text=_("The record's external id."))
    reason = models.TextField()
    # The reason's English source and figures, to word it in the reader's language
    # (retention/wording.py); empty for a reason stored without them.
    wording = models.JSONField(default=dict, blank=True)
    detail = models.TextField(
        blank=True, help_text=_("The database's or library's own text, for admins.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = _("set-aside records")

    def __str__(self) -> str:
        return f"{self.model} {self.key or self.object_id}: {self.reason[:80]}"

    @property
    def record_label(self) -> str:
        """What the record is, in the reader's language."""
        from retention.jobs.labels import record_label

        return record_label(self.model)

    @property
    def reason_text(self) -> str:
        """The reason in the active language."""
        return reword({"message": self.reason, **(self.wording or {})})


def _detail(raw: str, wording: dict | None) -> str:
    if not raw or not wording:
        return ""
    with translation.override("en"):
        return "" if reword({"message": raw, **wording}) == raw else raw
