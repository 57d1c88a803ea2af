"""Finds the user-visible text of a Django template that is not marked for translation.

Marked: inside {% translate %} / {% blocktranslate %}...{% endblocktranslate %}. Visible:
text between tags, the attributes people read or hear (placeholder, title, aria-label,
alt), and literal words in filters that print them (default:"...", yesno:"...",
pluralize). Scripts, styles, comments and template variables are not text."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [
    ROOT / "templates",
    *sorted(ROOT.glob("*/templates")),
    *sorted(ROOT.glob("retention/*/templates")),
    *sorted(ROOT.glob("customers/*/templates")),
]

BLOCK = re.compile(r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S)
COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
TAG = re.compile(r"{%.*?%}", re.S)
VARIABLE = re.compile(r"{{.*?}}", re.S)
ATTRIBUTE = re.compile(r'\b(placeholder|title|aria-label|alt)="([^"]*)"', re.I)
HTML = re.compile(r"<[^>]*>", re.S)
PRINTED_LITERAL = re.compile(
    r"""\|(?:default|default_if_none|yesno):(["'])([^"']*[A-Za-z]{2}[^"']*)\1|\|pluralize\b"""
)
WORD = re.compile(r"[A-Za-z]{2,}")
# Literals that are markup, not words: a message's CSS class when it has no tag.
NOT_TEXT = {"|default:'info'"}


def templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def unmarked(text: str) -> list[str]:
    """The snippets of `text` a person would read in English whatever their language."""
    problems = []
    text = COMMENT.sub(" ", text)
    text = SCRIPT.sub(" ", text)
    text = BLOCK.sub(" ", text)
    for match in PRINTED_LITERAL.finditer(text):
        if match.group(0) not in NOT_TEXT:
            problems.append(match.group(0))
    for _name, value in ATTRIBUTE.findall(text):
        value = VARIABLE.sub(" ", TAG.sub(" ", value))
        if WORD.search(value):
            problems.append(value.strip())
    text = ATTRIBUTE.sub(" ", text)
    text = VARIABLE.sub(" ", TAG.sub(" ", text))
    text = HTML.sub("\n", text)
    for line in text.splitlines():
        line = line.strip()
        if WORD.search(line):
            problems.append(line)
    return problems
