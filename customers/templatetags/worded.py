"""Stored messages in the reader's language (retention/wording.py)."""

from django import template

from retention.wording import reword

register = template.Library()


@register.filter
def worded(entry: dict) -> str:
    """{{ problem|worded }}: an import problem (or any entry stored with "message" and,
    when it has them, "code" and "params") in the active language."""
    return reword(entry)
