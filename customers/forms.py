from __future__ import annotations

import datetime as dt

from django import forms

from staff.models import Team


class RenewalFilterForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)
    month = forms.CharField(
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text="Contracts ending in this month.",
    )

    def clean_month(self) -> dt.date | None:
        raw = self.cleaned_data["month"]
        if not raw:
            return None
        try:
            return dt.datetime.strptime(raw, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError("Give the month as YYYY-MM, e.g. 2027-01.") from None
