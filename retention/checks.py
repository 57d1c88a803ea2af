"""System checks run by `manage.py` commands (runserver, migrate, check) at start-up."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.translation)
def translations_compiled(app_configs=None, **kwargs) -> list[Warning]:
    """A catalogue (`locale/<language>/LC_MESSAGES/django.po`) whose compiled `.mo` is
    missing or older than it: Django then serves English to that language's readers
    without a word, so say it where the server starts. `.ci/setup` compiles them."""
    problems = []
    for folder in settings.LOCALE_PATHS:
        for source in sorted(Path(folder).glob("*/LC_MESSAGES/django.po")):
            compiled = source.with_suffix(".mo")
            if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
                continue
            state = "is older than" if compiled.exists() else "is missing beside"
            problems.append(
                Warning(
                    f"{compiled} {state} {source.name}: readers of "
                    f"{source.parent.parent.name} get English.",
                    hint="Run .ci/setup, or .venv/bin/pybabel compile -d locale -D django.",
                    id="retention.W001",
                )
            )
    return problems
