"""Deliberate handover of every customer of a departing employee (DOMAIN.md section 2).

A departure opens a HandoverPlan. The plan holds one HandoverTask per customer the
leaver owns, ordered by priority, each with a recommended and (once a manager accepts)
an accepted successor, and a checklist of HandoverSteps with due dates and assignees:
knowledge transfer, joint introduction, ownership change, follow-ups after the change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, OwnerRole
from retention.satisfaction import SatisfactionField
from retention.text_limits import LimitedTextField
from retention.wording import Worded
from staff.access import CANNOT_TAKE_CUSTOMERS_NOW
from staff.models import Employee, access_ended


class HandoverPlan(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        COMPLETE = "complete", _("Complete")
        CANCELLED = "cancelled", _("Cancelled (the employee stays)")

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="handover_plans")
    last_day = models.DateField(help_text=_("The leaver's last working day."))
    reason = models.CharField(max_length=200)
    voluntary = models.BooleanField(help_text=_("Resigned (yes) or let go (no)."))
    exit_interview_notes = LimitedTextField(blank=True, max_length=50_000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    tasks_raised_at = models.DateTimeField(null=True, blank=True)
    last_day_processed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the last-day job reassigned and locked out.")
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True, help_text=_("What the jobs did, in order."))

    class Meta:
        ordering = ["last_day"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee"],
                condition=Q(status="open"),
                name="one_open_handover_plan_per_employee",
                violation_error_message=_("This employee already has a handover in progress."),
            )
        ]

    def __str__(self) -> str:
        # No last day: the admin lists a plan's tasks to staff who may not know of the
        # departure's date (staff/access.py departures_seen_by); the plan's page shows it.
        return f"Handover of {self.employee}"

    @property
    def reason_text(self) -> str:
        """The reason as people read it: what someone typed as typed; the reason the
        employees import gives a departure without one in the reader's language."""
        from staff.imports.rows import DEFAULT_LEAVING_REASON

        return gettext(self.reason) if self.reason == DEFAULT_LEAVING_REASON else self.reason

    # The longest note a person may add to the plan's log (e.g. why a departure was cancelled).
    LOG_NOTE_MAX_LENGTH = 2000

    def clean(self) -> None:
        # A last day moved in the admin keeps the bound of every other door (not years
        # ahead); the lower bound is the recording's, checked when the plan is opened.
        import datetime as dt

        from django.conf import settings

        from staff.models import last_day_problem

        latest = timezone.localdate() + dt.timedelta(days=settings.DEPARTURE_MAX_DAYS_AHEAD)
        if self.last_day and self.last_day > latest:
            raise ValidationError({"last_day": last_day_problem(self.last_day)})

    def add_log(self, code: str, **params) -> None:
        """Append what happened (handover/plan_log.py MESSAGES names the codes)."""
        from handover.plan_log import entry

        self.log = [*self.log, {"at": timezone.now().isoformat(), **entry(code, params)}]


class HandoverTask(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(
        HandoverPlan, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="handover_tasks")
    role = models.CharField(
        max_length=10, choices=OwnerRole.choices, help_text=_("The leaver's role for the customer.")
    )
    annual_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    risk = models.FloatField(
        help_text=_("Churn probability when the task was raised (current score or base rate).")
    )
    dependence = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("How much the customer depends on the leaver (0-1)."),
    )
    interaction_share = models.FloatField(default=0)
    exclusive_contacts = models.PositiveIntegerField(
        default=0, help_text=_("Contacts only the leaver has dealt with in 180 days.")
    )
    priority = models.FloatField(help_text=_("Value x risk x dependence; highest first."))
    recommended_successor = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recommendation_reasons = models.JSONField(default=list, blank=True)
    successor = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handover_tasks_taken",
    )
    successor_over_capacity = models.BooleanField(default=False)
    accepted_by = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    ownership_changed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["-priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "customer"],
                name="one_handover_task_per_plan_customer",
                violation_error_message=_("This customer already has a task in this handover."),
            )
        ]

    def __str__(self) -> str:
        return f"Hand over {self.customer}"

    @staticmethod
    def successor_problem(
        successor: Employee, *, leaver_id: int, unable: dict[int, str]
    ) -> str | None:
        """Why `successor` cannot take over the leaver's customers, or None: the one rule
        for the handover page, the API and the admin. `unable`: what
        Employee.cannot_own_customers says of the people asked about (as the reader may read
        it, staff.access.unable_as_read_by)."""
        if successor.pk == leaver_id:
            return str(_("The leaver cannot be their own successor."))
        if successor.status != Employee.Status.ACTIVE:
            # Past their last day they have left, even before the last-day job marks them.
            if access_ended(successor.status, successor.departure_date):
                return Worded(
                    gettext_noop("%(name)s has left and cannot take customers over."),
                    name=successor.name,
                )
            reason = unable.get(successor.pk)
            if getattr(reason, "code", None) == CANNOT_TAKE_CUSTOMERS_NOW:
                return reason  # a reader who may not know of the departure
            return Worded(
                gettext_noop("%(name)s is departing and cannot take customers over."),
                name=successor.name,
            )
        return unable.get(successor.pk)

    def clean(self) -> None:
        if self.successor_id is None or self.successor_id == self._loaded_successor:
            return
        successor = Employee.objects.filter(pk=self.successor_id).first()
        if successor is None:
            return  # the form's own check names an unknown employee
        problem = self.successor_problem(
            successor,
            leaver_id=self.plan.employee_id,
            unable=Employee.cannot_own_customers([successor.pk]),
        )
        if problem:
            raise ValidationError({"successor": problem})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # A successor accepted before they left stays on record: only a change is checked.
        instance._loaded_successor = instance.__dict__.get("successor_id")
        return instance

    _loaded_successor: int | None = None


class HandoverStep(models.Model):
    class Kind(models.TextChoices):
        KNOWLEDGE_TRANSFER = "knowledge_transfer", _("Knowledge-transfer note")
        JOINT_INTRODUCTION = "joint_introduction", _("Joint introduction of the successor")
        OWNERSHIP_CHANGE = "ownership_change", _("Ownership change")
        FOLLOW_UP = "follow_up", _("Follow-up contact")

    task = models.ForeignKey(
        HandoverTask, on_delete=models.CASCADE, related_name="steps", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    days_after_last_day = models.IntegerField(
        default=0, help_text=_("For follow-ups: days after the last day (14, 30, 90 by default).")
    )
    due_on = models.DateField()
    assignee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="handover_steps"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = LimitedTextField(
        blank=True,
        max_length=50_000,
        help_text=_("Knowledge transfer: history, open issues, preferences, key contacts."),
    )
    satisfaction = SatisfactionField(
        null=True,
        blank=True,
        help_text=_("Follow-ups: the customer's satisfaction, 1-10."),
    )
    escalated_to = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_on = models.DateField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind", "days_after_last_day"],
                name="one_handover_step_per_kind_and_day",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=10),
                name="handover_step_satisfaction_range",
                violation_error_message=_("Satisfaction is scored from 1 to 10."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(kind)s for %(customer)s") % {
            "kind": self.get_kind_display(),
            "customer": self.task.customer,
        }

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_assignee = instance.__dict__.get("assignee_id")
        return instance

    def clean(self) -> None:
        if self.assignee_id and self.assignee_id != getattr(self, "_loaded_assignee", None):
            unable = Employee.cannot_work_on_customers([self.assignee_id])
            if self.assignee_id in unable:
                raise ValidationError({"assignee": unable[self.assignee_id]})
        if self.done_at and self.kind == self.Kind.KNOWLEDGE_TRANSFER and not self.note.strip():
            raise ValidationError(
                {"note": _("Write the knowledge-transfer note before closing it.")}
            )
        if self.done_at and self.kind == self.Kind.FOLLOW_UP and self.satisfaction is None:
            raise ValidationError(
                {"satisfaction": "Record the customer's satisfaction (1-10) from the follow-up."}
            )
