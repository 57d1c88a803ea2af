from __future__ import annotations

import datetime as dt

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Interaction, RiskTier, Segment
from customers.selectors import BOOK_SORTS, HANDOVER_STATES, owner_choices
from staff.models import Employee, Team


class RenewalFilterForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        label=_("Team"),
        empty_label=_("Any team"),
    )
    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("Contracts ending in this month."),
    )

    def clean_month(self) -> dt.date | None:
        raw = self.cleaned_data["month"]
        if not raw:
            return None
        try:
            return dt.datetime.strptime(raw, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM, e.g. 2027-01.")) from None


class BookFilterForm(forms.Form):
    """Filters and sort order of an account manager's book (all optional)."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=100, help_text=_("Name or external id.")
    )
    tier = forms.TypedMultipleChoiceField(
        label=_("Risk tier"),
        choices=RiskTier.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    segment = forms.ChoiceField(
        label=_("Segment"), choices=[("", _("Any segment")), *Segment.choices], required=False
    )
    renewal = forms.TypedChoiceField(
        label=_("Renewal"),
        choices=[
            ("", _("Any time")),
            (30, _("Within 30 days")),
            (90, _("Within 90 days")),
            (180, _("Within 180 days")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _) in BOOK_SORTS.items()],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("segment", "renewal", "sort"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"


class CustomerListFilterForm(BookFilterForm):
    """The customers list: the book's filters plus team, owner, status and handover state;
    the team and owner choices are those the viewer sees."""

    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any team")
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Employee.objects.none(),
        required=False,
        empty_label=_("Anyone"),
        error_messages={"invalid_choice": _("No such owner among the people you may filter by.")},
    )
    # What was typed in the owner box, sent with the form: a name that was not picked
    # from the suggestions (or with scripts off) names the owner by itself.
    owner_name = forms.CharField(label=_("Owner"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("active", _("Active")), ("churned", _("Churned")), ("all", _("All"))],
        required=False,
    )
    handover = forms.ChoiceField(
        label=_("Handover"),
        choices=[("", _("Any")), *HANDOVER_STATES.items()],
        required=False,
    )

    def __init__(self, *args, teams: set[int] | None = None, sees_risk: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not sees_risk:
            # HR sees no scores (staff/access.py sees_records): no tier to filter by, no
            # order that would rank the customers by risk.
            del self.fields["tier"]
            self.fields["sort"].choices = [
                (key, label)
                for key, label in self.fields["sort"].choices
                if key in ("name", "renewal")
            ]
        team_choices = Team.objects.order_by("name")
        if teams is not None:
            team_choices = team_choices.filter(pk__in=teams)
        self.fields["team"].queryset = team_choices
        # The owner is picked by typing (the owners endpoint suggests names): a select of
        # every account manager and manager a viewer sees is a thousand options at scale.
        # The hidden field still accepts only those people.
        self.fields["owner"].queryset = owner_choices(teams)
        self.fields["owner"].widget = forms.HiddenInput()
        self.teams = teams
        for name in ("team", "status", "handover"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def clean(self):
        """A name typed in the owner box and not picked: the one person the viewer may
        filter by whose name or e-mail address it is (any case) is the owner; several
        or nobody is an error (the list then shows nobody and says why)."""
        cleaned = super().clean()
        typed = (cleaned.get("owner_name") or "").strip()
        if cleaned.get("owner") is not None or not typed or "owner" in self.errors:
            return cleaned
        from django.utils import timezone

        from customers.selectors import offered_owners, owners_named

        people = owners_named(offered_owners(self.teams, timezone.localdate()), typed)
        found = list(people.order_by("name", "id")[:2])
        if len(found) == 1:
            cleaned["owner"] = found[0]
        elif found:
            self.add_error(
                "owner_name",
                _(
                    "Several people you may filter by are called %(name)s; pick one of the suggestions."
                )
                % {"name": f"“{typed}”"},
            )
        else:
            self.add_error(
                "owner_name",
                _("Nobody you may filter by is called %(name)s (name or e-mail address).")
                % {"name": f"“{typed}”"},
            )
        return cleaned


class QuickInteractionForm(forms.ModelForm):
    """Log a call, meeting or note in a few seconds: kind, when (now by default), who at
    the customer, how it went, and a note."""

    class Meta:
        model = Interaction
        fields = ["kind", "happened_at", "contact", "direction", "satisfaction", "notes"]
        labels = {
            "kind": _("Kind"),
            "happened_at": _("When"),
            "contact": _("With"),
            "direction": _("Direction"),
            "satisfaction": _("Satisfaction (1-10)"),
            "notes": _("Notes"),
        }
        widgets = {
            "happened_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        self.fields["contact"].queryset = customer.contacts.filter(status="active").order_by(
            "-is_decision_maker", "name"
        )
        self.fields["contact"].empty_label = _("Nobody in particular")
        self.fields["contact"].label_from_instance = lambda contact: (
            contact.name
            + (f", {contact.role}" if contact.role else "")
            + (" (" + str(_("decision-maker")) + ")" if contact.is_decision_maker else "")
        )
        self.fields["happened_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["satisfaction"].widget.attrs.update(min=1, max=10)


class AccessGrantForm(forms.Form):
    """A manager gives an account manager full access to one customer for a while."""

    MAX_DAYS = 90

    grantee = forms.ModelChoiceField(
        label=_("Account manager"), queryset=Employee.objects.none(), empty_label=None
    )
    until = forms.DateField(
        label=_("Until (last day)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),  # ISO in every language
    )
    reason = forms.CharField(label=_("Why"), max_length=200)

    def __init__(self, *args, customer, user, **kwargs):
        super().__init__(*args, **kwargs)
        from staff.access import offered_people

        owners = [customer.primary_owner_id, customer.secondary_owner_id]
        # The active account managers, and those leaving whose departure `user` may not
        # know of (the service refuses them without saying why): the list tells nobody
        # who is leaving.
        self.fields["grantee"].queryset = (
            offered_people(user, Employee.objects.filter(role=Employee.Role.ACCOUNT_MANAGER))
            .exclude(pk__in=[pk for pk in owners if pk])
            .order_by("name")
        )

    def clean_until(self) -> dt.date:
        from django.utils import timezone

        until = self.cleaned_data["until"]
        today = timezone.localdate()
        if until < today:
            raise forms.ValidationError(_("The last day cannot be in the past."))
        if until > today + dt.timedelta(days=self.MAX_DAYS):
            raise forms.ValidationError(
                _("Access is granted for at most %(days)d days.") % {"days": self.MAX_DAYS}
            )
        return until


class PlainDecimalField(forms.DecimalField):
    """An amount or rate typed in a form, read as the API and the file import read it
    (`row_values.plain_number`): "1e5" is refused saying so, not stored as 100000."""

    def to_python(self, value):
        from customers.row_values import RowError, plain_number

        if isinstance(value, str) and value.strip() and not self.localize:
            try:
                plain_number(value)
            except RowError as problem:
                raise forms.ValidationError(str(problem), code="invalid") from None
        return super().to_python(value)


# For a ModelAdmin's formfield_overrides: every decimal field read plainly.
PLAIN_DECIMALS = {models.DecimalField: {"form_class": PlainDecimalField}}
