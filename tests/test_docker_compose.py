"""Static checks of docker-compose.yml and the Dockerfile: no Docker engine needed.

They catch a compose file that points at code, settings or classes that do not exist, so the
stack fails at review time instead of at `docker compose up`."""

from __future__ import annotations

import ast
import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.beat import Scheduler

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def command_words(service: dict) -> list[str]:
    """The service's command as words; `sh -c "..."` is unwrapped to the script's words."""
    command = service["command"]
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        return shlex.split(words[2])
    return words


def option_value(words: list[str], option: str) -> str:
    for i, word in enumerate(words):
        if word == option:
            return words[i + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{option} missing from {words}")


def program_words(words: list[str], program: str) -> list[str]:
    """The words from `program` onwards (after any `migrate ... &&` prefix and `exec`)."""
    assert program in words, f"{program} is not run by {words}"
    return words[words.index(program) :]


def test_compose_declares_the_five_services(compose):
    assert set(compose["services"]) == {*APP_SERVICES, *BACKING_SERVICES}


@pytest.mark.parametrize("name", [*APP_SERVICES, *BACKING_SERVICES])
def test_every_service_has_a_healthcheck(compose, name):
    healthcheck = compose["services"][name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False), f"{name} healthcheck is disabled"
    test = healthcheck.get("test")
    assert test and test != ["NONE"], f"{name} healthcheck has no test command"


def test_postgres_keeps_its_data_in_a_declared_named_volume(compose):
    volumes = compose["services"]["postgres"].get("volumes", [])
    named = {}
    for volume in volumes:
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume.get("target", "")
        named[target] = source
    source = named.get("/var/lib/postgresql/data")
    assert source, "postgres data directory is not mounted"
    assert not source.startswith((".", "/", "~")), f"{source} is a bind mount, not a volume"
    assert source in (compose.get("volumes") or {}), f"volume {source} is not declared"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_build_from_the_project_dockerfile(compose, name):
    build = compose["services"][name].get("build")
    assert build is not None, f"{name} has no build"
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert context == "."
    assert (COMPOSE_FILE.parent / context / dockerfile).is_file()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(compose, name):
    depends_on = compose["services"][name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name} depends_on must use conditions"
    for backing in BACKING_SERVICES:
        assert backing in depends_on, f"{name} does not depend on {backing}"
        assert depends_on[backing].get("condition") == "service_healthy"


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_app_named_by_the_command_exists(compose, name):
    words = program_words(command_words(compose["services"][name]), "celery")
    app_name = option_value(words, "-A")
    module_file = ROOT / Path(*app_name.split("."))
    assert module_file.with_suffix(".py").is_file() or (module_file / "__init__.py").is_file()
    # find_app is how `celery -A` resolves the name.
    app = find_app(app_name)
    assert isinstance(app, Celery)
    celery_module = importlib.import_module(f"{app_name}.celery")
    assert celery_module.app is app


def test_gunicorn_target_is_the_wsgi_application(compose):
    words = program_words(command_words(compose["services"]["web"]), "gunicorn")
    target = next(word for word in words[1:] if not word.startswith("-") and ":" in word)
    module, attribute = target.split(":")
    path = ROOT / Path(*module.split(".")).with_suffix(".py")
    assert path.is_file(), f"{path} missing"
    assigned = {
        target.id
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert attribute in assigned, f"{path} does not define {attribute}"


def test_web_runs_migrations_and_publishes_the_port_gunicorn_binds(compose):
    web = compose["services"]["web"]
    words = command_words(web)
    assert words[:4] == ["python", "manage.py", "migrate", "--noinput"]
    bind = option_value(program_words(words, "gunicorn"), "--bind")
    port = bind.rsplit(":", 1)[1]
    assert f"{port}:{port}" in [str(p) for p in web.get("ports", [])]


def test_beat_scheduler_class_is_importable(compose):
    words = program_words(command_words(compose["services"]["beat"]), "celery")
    assert "beat" in words
    scheduler_path = option_value(words, "--scheduler")
    module_name, _, class_name = scheduler_path.replace(":", ".").rpartition(".")
    scheduler = getattr(importlib.import_module(module_name), class_name)
    assert issubclass(scheduler, Scheduler)


def test_shared_environment_is_used_by_the_app_services(compose):
    env = compose["x-app-env"]
    for name in APP_SERVICES:
        assert compose["services"][name]["environment"] == env


def test_every_shared_environment_variable_is_read_by_settings(compose):
    settings = (ROOT / "retention" / "settings.py").read_text()
    env = compose["x-app-env"]
    assert env, "x-app-env is empty"
    for name in env:
        assert re.search(rf"""\benv_\w+\(\s*["']{re.escape(name)}["']""", settings), (
            f"{name} is set in docker-compose.yml but never read in retention/settings.py"
        )


def test_secret_key_must_be_supplied_and_debug_is_off(compose):
    env = compose["x-app-env"]
    assert str(env["SECRET_KEY"]).startswith("${SECRET_KEY:?")
    assert str(env["DEBUG"]).lower() == "false"


def test_dockerfile_runs_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users, "Dockerfile has no USER"
    assert users[-1] not in ("root", "0")


def test_docker_build_context_leaves_out_local_artifacts():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", "static/node_modules", "staticfiles", "db.sqlite3", ".git"} <= ignored


def _compose_value(value) -> str:
    """${NAME:-default} -> default; ${NAME:?message} -> a strong made-up secret."""
    import secrets

    text = str(value)
    match = re.fullmatch(r"\$\{(\w+)(:-|:\?)([^}]*)\}", text)
    if not match:
        return text
    return match.group(3) if match.group(2) == ":-" else secrets.token_urlsafe(50)


def test_the_shipped_compose_environment_passes_check_deploy(compose):
    """What people run passes Django's deployment checks with no warning, as shipped."""
    import os
    import subprocess
    import sys

    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    }
    env |= {name: _compose_value(value) for name, value in compose["x-app-env"].items()}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_secure_defaults_are_what_compose_ships(compose):
    env = compose["x-app-env"]
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert _compose_value(env[name]) == "true", name


@pytest.mark.django_db
def test_with_the_ssl_redirect_the_health_check_still_answers_over_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz/").status_code == 200
    redirected = client.get("/login/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")


def test_web_and_worker_share_the_uploads_in_a_volume_the_app_user_owns(compose):
    """A CSV uploaded to web is checked and imported by the worker, another container:
    both mount one named volume at MEDIA_ROOT, which the image creates for its user."""
    media_root = compose["x-app-env"]["MEDIA_ROOT"]
    for name in ("web", "worker"):
        mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"][name]["volumes"]}
        assert mounts.get(media_root) in (compose.get("volumes") or {}), name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"chown app:app {media_root}" in dockerfile
    assert dockerfile.index(f"chown app:app {media_root}") < dockerfile.rindex("USER app")
