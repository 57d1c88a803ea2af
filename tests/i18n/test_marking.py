"""Every user-visible string of every template is marked for translation."""

import pytest

from tests.i18n.marking import ROOT, python_modules, templates, unmarked, unmarked_python

# Templates not marked yet, with the reason. A template listed here that becomes clean
# fails the second test, so the list only shrinks.
NOT_YET_MARKED: set[str] = set()


@pytest.mark.parametrize(
    "path",
    [p for p in templates() if str(p.relative_to(ROOT)) not in NOT_YET_MARKED],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_visible_string_is_marked(path):
    assert unmarked(path.read_text()) == [], "wrap these in {% translate %}/{% blocktranslate %}"


def test_the_list_of_templates_not_yet_marked_is_true():
    for name in NOT_YET_MARKED:
        assert unmarked((ROOT / name).read_text()), f"{name} is marked now: remove it from the list"


def test_the_checker_finds_unmarked_text_attributes_and_printed_literals():
    template = (
        '{% load i18n %}<h1>{% translate "Fine" %}</h1><p>Not marked {{ x }}</p>'
        '<input placeholder="Type here"><span title="{% translate \'ok\' %}"></span>'
        '{{ owner|default:"nobody" }}{% blocktranslate %}Also {{ fine }}{% endblocktranslate %}'
        "<script>const words = 'not text';</script>"
    )
    assert unmarked(template) == ['|default:"nobody"', "Type here", "Not marked"]


# Texts the Python checker finds that are not messages to a person, with the reason.
NOT_MESSAGES = {
    # An owner change's audit detail: a record's text, not shown as a message.
    ("customers/upsert/after_write.py", "'Set by import'"),
    # A task's return value and a value error caught at once: read by nobody.
    ("customers/tasks.py", "'database unavailable'"),
    ("retention/api/paging.py", "'not finite'"),
    # Help texts and admin words in modules others are changing now (scoring, alerts): to be
    # marked there; the admin shows them in English until then.
    ("alerts/admin.py", "'Send the selected deliveries again'"),
    ("alerts/admin.py", "f'{resend(queryset)} deliveries will be sent again now.'"),
    ("alerts/models.py", "f'Any of {EVENTS}; empty means all.'"),
    ("customers/scoring/models.py", "'The note in English (see note_code).'"),
    (
        "customers/scoring/models.py",
        "'Training read one customer in this many (1: every customer).'",
    ),
    (
        "customers/scoring/models.py",
        '\'Top reasons, most important first: [{"signal": ..., "text": ...}].\'',
    ),
    (
        "customers/scoring/models.py",
        '"The model\'s inputs, in order (features a company lacks are left out)."',
    ),
    (
        "alerts/models.py",
        "'Overrides of the sign\\'s default thresholds, e.g. {\"below_ratio\": 0.4}; they ap",
    ),
    (
        "customers/scoring/models.py",
        "'What counted as churn in the labels: explicit (marked churned), contract (not r",
    ),
    (
        "customers/scoring/models.py",
        "'Forward-chained out-of-time backtest: folds, per-fold metrics of the model and ",
    ),
    (
        "customers/scoring/models.py",
        "\"What the note says (customers/scoring/notes.py), worded in each reader's langua",
    ),
}


def _python_problems(path) -> list[str]:
    name = str(path.relative_to(ROOT))
    return [
        problem
        for problem in unmarked_python(path.read_text())
        if (name, problem.split(": ", 1)[1]) not in NOT_MESSAGES
    ]


@pytest.mark.parametrize("path", python_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_built_in_python_is_marked(path):
    assert _python_problems(path) == [], (
        "mark these: gettext(...) % {...} where the reader's language is active, "
        "Worded(gettext_noop(...), ...) where the message is stored or read later"
    )


def test_the_list_of_texts_that_are_not_messages_is_true():
    for name, text in NOT_MESSAGES:
        found = [p.split(": ", 1)[1] for p in unmarked_python((ROOT / name).read_text())]
        assert text in found, f"{name}: {text} is gone: remove it from the list"


def test_the_python_checker_finds_words_in_errors_flashes_rows_and_reasons():
    source = """
from django.utils.translation import gettext as _, gettext_noop
raise ValidationError(f"{day} is in the future.")
raise RowError("must be text.")
raise RowError(Worded(gettext_noop("must be text.")))
messages.success(request, f"Approved: {name} may export.")
messages.success(request, _("Saved."))
errors.append({"index": 0, "field": "x", "message": "Required."})
errors["churned_on"] = "A churned customer needs the date it churned."
errors["churned_on"] = _("A churned customer needs the date it churned.")
steps.set_aside(model="contract", reason="Follow-on " + "not created.")
report.add(1, None, "The file has a header but no rows under it.")
problems.append(f"There is no column {column!r} in the file.")
raise Http404(name)
"""
    assert unmarked_python(source) == [
        "line 11: 'Follow-on ' + 'not created.'",
        "line 12: 'The file has a header but no rows under it.'",
        "line 13: f'There is no column {column!r} in the file.'",
        "line 3: f'{day} is in the future.'",
        "line 4: 'must be text.'",
        "line 6: f'Approved: {name} may export.'",
        "line 8: 'Required.'",
        "line 9: 'A churned customer needs the date it churned.'",
    ]


def test_the_python_checker_finds_admin_flashes_stored_errors_and_help_texts():
    source = """
self.message_user(request, f"{n} grant(s) revoked.")
self.message_user(request, gettext("Saved."))
step.error = f"Worker {owner} was lost."
name = models.CharField(help_text="The name people use.")
@admin.action(description="Revoke the selected tokens")
def revoke(): ...
"""
    assert unmarked_python(source) == [
        "line 2: f'{n} grant(s) revoked.'",
        "line 4: f'Worker {owner} was lost.'",
        "line 5: 'The name people use.'",
        "line 6: 'Revoke the selected tokens'",
    ]
