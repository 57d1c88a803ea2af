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


# --- Python: messages people read, built from words that are not marked ----------------

# Calls whose first text argument a person reads: errors shown by forms, the API and the
# import page, and what the jobs page shows.
MESSAGE_CALLS = {
    "ValidationError",
    "RowError",
    "CsvUnreadable",
    "EmailInvalid",
    "StepFailed",
    "PermissionDenied",
    "Http404",
}
# messages.success(request, "...") and friends: the text is the second argument.
FLASH_CALLS = {"debug", "info", "success", "warning", "error"}
# Keywords and dictionary keys that carry a message (help texts and descriptions: the
# admin's forms and actions, the API schema).
MESSAGE_KEYS = {"message", "reason", "detail", "error", "help_text", "description"}
# Names of the dictionaries of field -> message (a model's row_errors, a form's errors).
ERROR_DICTS = {"errors", "unable"}


def _is_words(node) -> bool:
    """A literal a person would read in English: a text with words, an f-string, or
    either joined with + or %."""
    import ast

    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(WORD.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and WORD.search(str(part.value)) for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_words(node.left) or (isinstance(node.op, ast.Add) and _is_words(node.right))
    if isinstance(node, ast.IfExp):
        return _is_words(node.body) or _is_words(node.orelse)
    return False


def _name(node) -> str:
    import ast

    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def unmarked_python(source: str) -> list[str]:
    """Messages of `source` that a person reads but that are not marked for translation:
    words passed to the error classes people see, to the flash messages, to send_mail, under a
    message/reason/detail/error key or keyword, into a row's errors (errors[field] =
    ...), or appended to a list of problems. `gettext(...)`/`Worded(gettext_noop(...))`
    calls are marked; names and expressions are not judged here."""
    import ast

    problems = []
    for node in ast.walk(ast.parse(source)):
        found = []
        if isinstance(node, ast.Call):
            called = _name(node.func)
            if called in MESSAGE_CALLS and node.args:
                found.append(node.args[0])
            if (
                called in FLASH_CALLS
                and isinstance(node.func, ast.Attribute)
                and _name(node.func.value) == "messages"
                and len(node.args) >= 2
            ):
                found.append(node.args[1])
            if called == "message_user" and len(node.args) >= 2:  # the admin's flash
                found.append(node.args[1])
            if called == "send_mail":  # an e-mail's subject and body
                found.extend(node.args[:2])
            owner = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
            if (called, owner) in {("append", "problems"), ("append", "errors"), ("add", "report")}:
                found.extend(node.args[-1:])
            found.extend(k.value for k in node.keywords if k.arg in MESSAGE_KEYS)
        elif isinstance(node, ast.Dict):
            found.extend(
                value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value in MESSAGE_KEYS
            )
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _name(target.value) in ERROR_DICTS:
                    found.append(node.value)
                # step.error = "...", run.reason = "...": stored where people read it.
                if isinstance(target, ast.Attribute) and target.attr in MESSAGE_KEYS:
                    found.append(node.value)
        for value in found:
            if _is_words(value):
                problems.append(f"line {value.lineno}: {ast.unparse(value)[:80]}")
    return sorted(set(problems))


# Python modules that build messages people read: every app's, except migrations (their
# texts are copies), tests and the admin-only commands' console output.
def python_modules() -> list[Path]:
    apps = ["alerts", "customers", "handover", "staff", "retention"]
    return sorted(
        path
        for app in apps
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    )
