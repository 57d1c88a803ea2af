"""Strict readers for settings from the environment: a bad value stops start-up with a
message that names the variable, instead of silently meaning something else."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    """The variable's value; its default when unset or blank. An env file copied from
    .env.example keeps lines like `CELERY_BROKER_URL=` (documented as "defaults to
    REDIS_URL"), which must not mean an empty broker and tasks run in-process."""
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _raw(name: str) -> str | None:
    """The variable's value, or None when unset or blank (an env file's `NAME=` line)."""
    raw = os.environ.get(name)
    return None if raw is None or not raw.strip() else raw


def env_bool(name: str, default: bool = False) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    if raw.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if raw.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(
        f"{name} must be true or false (or yes/no, on/off, 1/0), got {raw!r}."
    )


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        if not raw.strip().lstrip("-").isascii():  # int() reads "٥٠٠٠" as 5000
            raise ValueError(raw)
        return int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int_list(name: str, default: list[int]) -> list[int]:
    raw = env_list(name, [str(item) for item in default])
    try:
        return [int(item) for item in raw]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be whole numbers separated by commas, got {os.environ.get(name)!r}."
        ) from None


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip() or default  # a file's final newline
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {path!r}, which cannot be read: {exc}"
            ) from exc
    # Blank (or spaces only) is no secret: the default, which SECRET_KEY refuses. A
    # secret is otherwise kept as it is, spaces and all (a key is a key).
    return _raw(name) or default
