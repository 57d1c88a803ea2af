"""Every user-visible string of every template is marked for translation."""

import pytest

from tests.i18n.marking import ROOT, templates, unmarked

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
