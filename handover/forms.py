from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from handover.models import HandoverPlan, HandoverStep
from retention.satisfaction import SatisfactionFormField
from retention.text_limits import TextFormField, limit_of
from staff.models import Employee


class DepartureForm(forms.Form):
    employee = forms.ModelChoiceField(
        queryset=Employee.objects.filter(status=Employee.Status.ACTIVE).order_by("name"),
        label=_("Employee"),
        empty_label=_("Choose an employee"),
        help_text=_("Only employees who are not already leaving are listed."),
    )
    last_day = forms.DateField(
        label=_("Last working day"),
        # ISO, whatever the language: a date input drops any other value (2026/12/01).
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("The real reason: it is management data."),
    )
    voluntary = forms.TypedChoiceField(
        label=_("Who decided"),
        choices=[
            ("true", _("The employee resigned (voluntary)")),
            ("false", _("The company (involuntary)")),
        ],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    exit_interview_notes = TextFormField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limit_of(HandoverPlan, "exit_interview_notes"),
        label=_("Exit-interview notes"),
        help_text=_("Can be added later."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["last_day"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Start the handover")))


class ExitInterviewForm(forms.Form):
    exit_interview_notes = TextFormField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=limit_of(HandoverPlan, "exit_interview_notes"),
        label=_("Exit-interview notes"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save_notes", _("Save notes"), css_class="btn-secondary"))


class StepDoneForm(forms.Form):
    note = TextFormField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limit_of(HandoverStep, "note"),
        label=_("Note"),
    )
    satisfaction = SatisfactionFormField(required=False, label=_("Satisfaction (1-10)"))

    def __init__(self, *args, step: HandoverStep, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        if step.kind == HandoverStep.Kind.KNOWLEDGE_TRANSFER:
            self.fields["note"].label = _("History, open issues, preferences, key contacts")
            self.fields["note"].required = True
            del self.fields["satisfaction"]
        elif step.kind == HandoverStep.Kind.FOLLOW_UP:
            self.fields["satisfaction"].required = True
            self.fields["satisfaction"].label = _("Customer's satisfaction (1-10)")
        else:
            del self.fields["satisfaction"]
