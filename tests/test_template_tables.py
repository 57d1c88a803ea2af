"""Every table of every page sits in a container that scrolls sideways on its own, so a
phone (390 px) scrolls the table, not the page (the browser check is
tests/test_browser_phone.py; this one covers every template, opened or not)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [
    path
    for folder in ("templates", "customers", "staff", "handover", "alerts", "retention")
    for path in (ROOT / folder).rglob("*.html")
    if ".venv" not in path.parts and "node_modules" not in path.parts
]


def test_every_table_is_inside_a_scrolling_container():
    unwrapped = []
    for path in TEMPLATES:
        text = path.read_text()
        for match in re.finditer(r"<table\b", text):
            before = text[max(0, match.start() - 300) : match.start()]
            opened = before.rfind("table-responsive")
            # The wrapper opens before the table and is not closed in between.
            if opened == -1 or "</div>" in before[opened:]:
                line = text.count("\n", 0, match.start()) + 1
                unwrapped.append(f"{path.relative_to(ROOT)}:{line}")
    assert unwrapped == []


def test_the_check_sees_tables():
    assert sum(path.read_text().count("<table") for path in TEMPLATES) >= 30
