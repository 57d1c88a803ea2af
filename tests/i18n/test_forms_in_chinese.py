"""Forms read in Chinese: a date input keeps its value in ISO (a browser drops
2026/12/01 from an <input type="date"> and shows it empty), and the follow-up's
satisfaction label is translated."""

import datetime as dt

from django.utils import translation

from handover.forms import DepartureForm, StepDoneForm
from handover.models import HandoverStep


def test_the_last_working_day_keeps_its_value_in_iso_in_chinese():
    form = DepartureForm(initial={"last_day": dt.date(2026, 12, 1)})
    with translation.override("zh-hans"):
        html = str(form["last_day"])
    assert 'value="2026-12-01"' in html


def test_the_follow_up_satisfaction_label_is_translated():
    with translation.override("zh-hans"):
        form = StepDoneForm(step=HandoverStep(kind=HandoverStep.Kind.FOLLOW_UP))
        assert str(form.fields["satisfaction"].label) == "客户满意度（1-10）"
