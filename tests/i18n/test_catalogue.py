"""The Simplified Chinese catalogue has a translation for every marked string, with the
same placeholders. Strings are found like makemessages finds them (Django's templatize
for templates, then a Python extractor), without needing gettext on the machine."""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.utils.translation import templatize

from tests.i18n.marking import ROOT, templates

CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
APPS = ["alerts", "customers", "handover", "staff", "retention"]
KEYWORDS = {
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "_": None,
    # gettext_lazy where `_` is gettext (customers/model_page/describe.py).
    "_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%%")


def _extract(code: str) -> set:
    found = set()
    for _line, _func, message, _comments in extract_python(
        io.BytesIO(code.encode()), KEYWORDS, [], {}
    ):
        if isinstance(message, tuple):
            message = tuple(m for m in message if isinstance(m, str))
            found.add(message if len(message) > 1 else message[0])
        elif message:
            found.add(message)
    return found


def marked_strings() -> set:
    found = set()
    for path in templates():
        code = templatize(path.read_text(), origin=str(path))
        # Only the gettext calls matter; the template's indentation would confuse the
        # Python tokenizer.
        found |= _extract("\n".join(line.lstrip() for line in code.splitlines()))
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found |= _extract(path.read_text())
    return found


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="zh_Hans")


def test_every_marked_string_has_a_chinese_translation(catalogue):
    translated = {
        (m.id if isinstance(m.id, str) else tuple(m.id))
        for m in catalogue
        if m.id
        and all(m.string if isinstance(m.string, tuple) else [m.string])
        and "fuzzy" not in m.flags
    }
    missing = sorted(map(str, marked_strings() - translated))
    assert missing == [], "run makemessages -l zh_Hans and translate these"


def test_translations_keep_the_placeholders(catalogue):
    for message in catalogue:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[-1]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (
                message.id
            )


def test_the_extractor_sees_templates_and_python():
    found = marked_strings()
    assert "My alerts" in found  # alerts/templates/alerts/inbox.html
    assert ("%(counter)s alert", "%(counter)s alerts") in found  # blocktranslate count
    assert "Only managers assign successors." in found  # handover/views.py
    # marked with an alias of gettext_lazy (customers/model_page/describe.py)
    assert "Mean squared error of the probabilities; lower is better." in found


def _msgids(text: str, obsolete: bool) -> list[str]:
    """Every msgid of a .po text (msgctxt-qualified), its continuation lines joined."""
    prefix = "#~ " if obsolete else ""
    found, context, current = [], "", None
    for line in text.splitlines() + [""]:
        if obsolete != line.startswith("#~"):
            line = ""
        body = line[len(prefix) :] if line.startswith(prefix) else line
        if current is not None and body.startswith('"'):
            current += body[1:-1]
            continue
        if current is not None:
            found.append(f"{context}\x04{current}")
            context, current = "", None
        if body.startswith("msgctxt "):
            context = body[9:-1]
        elif body.startswith("msgid "):
            current = body[7:-1]
    return [m for m in found if m != "\x04"]


def test_no_message_is_defined_twice():
    """GNU msgfmt refuses a catalogue that defines a message twice, and Babel keeps the
    last of two translations without a word; each message is defined once, and an
    obsolete (#~) entry does not repeat a live one."""
    text = CATALOGUE.read_text(encoding="utf-8")
    live = _msgids(text, obsolete=False)
    old = _msgids(text, obsolete=True)
    assert len(live) > 1000
    assert sorted({m for m in live if live.count(m) > 1}) == []
    assert sorted(set(live) & set(old)) == []
