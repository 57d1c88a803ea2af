"""Django's `{# #}` comment holds one line only: a `{#` whose `#}` is on a later line is
printed on the page as text (every row of My book once showed its template's comment).
Multi-line comments use `{% comment %}`."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", ".wt", ".git"}


def templates() -> list[Path]:
    return [
        path for path in ROOT.rglob("*.html") if not SKIP.intersection(path.relative_to(ROOT).parts)
    ]


def test_it_finds_the_templates():
    assert len(templates()) > 20


def test_it_keeps_every_short_comment_on_one_line():
    unclosed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert unclosed == []
