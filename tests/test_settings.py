"""Settings fail loudly on bad values instead of silently meaning something else."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from retention.env import env_bool, env_int, env_int_list, env_list, env_secret

ROOT = Path(__file__).resolve().parent.parent


def test_env_bool_refuses_anything_but_true_or_false(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be true or false"):
        env_bool("SOME_FLAG")
    monkeypatch.setenv("SOME_FLAG", "false")
    assert env_bool("SOME_FLAG", default=True) is False


def test_env_int_names_the_variable(monkeypatch):
    monkeypatch.setenv("NIGHTLY_HOUR", "two")
    with pytest.raises(ImproperlyConfigured, match="NIGHTLY_HOUR must be a whole number"):
        env_int("NIGHTLY_HOUR", 2)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example , b.example,")
    assert env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_env_int_list_names_the_variable(monkeypatch):
    monkeypatch.setenv("RISK_TIER_SHARES", "10, 20,30,40,0")
    assert env_int_list("RISK_TIER_SHARES", [5]) == [10, 20, 30, 40, 0]
    monkeypatch.setenv("RISK_TIER_SHARES", "10,twenty")
    with pytest.raises(ImproperlyConfigured, match="RISK_TIER_SHARES must be whole numbers"):
        env_int_list("RISK_TIER_SHARES", [5])


def test_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-file\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env_secret("SECRET_KEY") == "from-file"


def _settings_in_subprocess(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL")
    }
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "retention.settings"},
        capture_output=True,
        text=True,
    )


def test_production_start_without_secret_key_stops_with_a_message():
    result = _settings_in_subprocess()
    assert result.returncode != 0
    assert "SECRET_KEY must be set unless DEBUG is on" in result.stderr


def test_embedded_default_is_sqlite_with_in_process_tasks():
    result = _settings_in_subprocess(DEBUG="true")
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_database_url_and_redis_switch_to_postgres_and_real_workers():
    result = _settings_in_subprocess(
        SECRET_KEY="x", DATABASE_URL="postgres://u@db:5432/crm", REDIS_URL="redis://r:6379/0"
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_tier_shares_must_add_up_to_100():
    result = _settings_in_subprocess(DEBUG="true", RISK_TIER_SHARES="5,15,25,35,10")
    assert result.returncode != 0
    assert (
        "RISK_TIER_SHARES must be five non-negative percentages adding up to 100" in result.stderr
    )


def test_env_example_lists_every_variable_the_settings_read():
    import re

    read = set(
        re.findall(
            r'env_(?:str|bool|int|int_list|list|secret)\(\s*"([A-Z_]+)"',
            (ROOT / "retention/settings.py").read_text(),
        )
    )
    listed = set(
        re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE)
    )
    assert read, "no environment reads found in settings"
    assert read - listed == set()


def test_the_mail_server_comes_from_the_environment(tmp_path):
    password = tmp_path / "smtp_password"
    password.write_text("s3cret\n")
    env = dict(
        SECRET_KEY="x",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="crm@example.com",
        EMAIL_HOST_PASSWORD_FILE=str(password),
        EMAIL_USE_TLS="true",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.core.mail import get_connection; "
            "c = get_connection(); print(c.host, c.port, c.username, c.password, c.use_tls, "
            "c.use_ssl, c.timeout)",
        ],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "retention.settings"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == [
        "smtp.example.com",
        "587",
        "crm@example.com",
        "s3cret",
        "True",
        "False",
        "30",
    ], result.stderr
    both = _settings_in_subprocess(SECRET_KEY="x", EMAIL_USE_TLS="true", EMAIL_USE_SSL="true")
    assert both.returncode != 0
    assert "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (465), not both." in both.stderr


def test_blank_lines_of_the_env_file_take_the_documented_defaults():
    """`.env.example` keeps `CELERY_BROKER_URL=` ("overrides REDIS_URL") and `CACHE_URL=`:
    copied as they stand, the broker is REDIS_URL, not empty (tasks in-process)."""
    result = _settings_in_subprocess(
        SECRET_KEY="x",
        DATABASE_URL="postgres://u@db:5432/crm",
        REDIS_URL="redis://r:6379/0",
        CELERY_BROKER_URL="",
        CELERY_RESULT_BACKEND="",
        CACHE_URL=" ",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"], result.stderr


def test_yes_and_on_in_any_case_are_true(monkeypatch):
    for raw in ("TRUE", "Yes", "on"):
        monkeypatch.setenv("SOME_FLAG", raw)
        assert env_bool("SOME_FLAG") is True


def test_a_secret_key_of_spaces_is_no_secret_key():
    result = _settings_in_subprocess(SECRET_KEY="   ")
    assert result.returncode != 0
    assert "SECRET_KEY must be set unless DEBUG is on" in result.stderr


def test_blank_numbers_and_flags_take_their_defaults(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", " ")
    monkeypatch.setenv("NIGHTLY_HOUR", "  ")
    assert env_bool("SOME_FLAG", default=True) is True
    assert env_int("NIGHTLY_HOUR", 2) == 2


def test_a_number_setting_takes_ascii_digits_only(monkeypatch):
    monkeypatch.setenv("NIGHTLY_HOUR", "٢")
    with pytest.raises(ImproperlyConfigured, match="NIGHTLY_HOUR must be a whole number"):
        env_int("NIGHTLY_HOUR", 2)
