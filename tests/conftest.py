"""Test set-up: real PostgreSQL and Redis when they are there, and loud about it when not.

Tests marked `postgres`, `redis` or `worker` need the real services. Without them they are
skipped with a message naming the service; with --require-services (CI) a skip becomes a
failure, so CI cannot pass without having exercised the real database, broker and worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
# whitenoise warns when STATIC_ROOT is missing; tests serve static files through the finders.
(ROOT / "staticfiles").mkdir(exist_ok=True)
_missing_services: set[str] = set()
_service_tests_passed: dict[str, int] = {"postgres": 0, "redis": 0, "worker": 0, "browser": 0}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_addoption(parser):
    parser.addoption(
        "--require-services",
        action="store_true",
        help="Fail, rather than skip, tests whose PostgreSQL/Redis/Celery services are missing.",
    )


def _service_available(name: str) -> bool:
    if name == "postgres":
        return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if name in ("redis", "worker"):
        return bool(settings.CELERY_BROKER_URL) and settings.CELERY_BROKER_URL.startswith("redis")
    if name == "browser":
        return os.access(CHROMIUM, os.X_OK)
    raise ValueError(name)


def pytest_runtest_setup(item):
    for name in ("postgres", "redis", "worker", "browser"):
        if item.get_closest_marker(name) and not _service_available(name):
            _missing_services.add(name)
            message = (
                f"needs Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
                if name == "browser"
                else f"needs a real {name} (set DATABASE_URL / REDIS_URL)"
            )
            if item.config.getoption("--require-services"):
                pytest.fail(f"--require-services: {message}", pytrace=False)
            pytest.skip(message)


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL or "none: Celery tasks run in-process (eager)"
    return [
        f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('HOST') or database['NAME']}",
        f"celery broker: {broker}",
    ]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.passed:
        for name in _service_tests_passed:
            if item.get_closest_marker(name):
                _service_tests_passed[name] += 1


def pytest_terminal_summary(terminalreporter):
    ran = ", ".join(f"{name}: {count}" for name, count in _service_tests_passed.items())
    terminalreporter.write_sep("-", f"service tests passed against real services: {ran}")
    if _missing_services:
        terminalreporter.write_sep("!", "SERVICE TESTS NOT RUN", red=True, bold=True)
        terminalreporter.write_line(
            f"Could not run the tests that need: {', '.join(sorted(_missing_services))}. "
            "Start PostgreSQL and Redis (or set DATABASE_URL and REDIS_URL) and install "
            "Chromium to run them.",
            red=True,
        )


@pytest.fixture(autouse=True)
def _eager_celery_unless_worker(request):
    """Tasks run in-process in ordinary tests; `worker` tests send them to the real broker."""
    from retention.celery import app

    eager = request.node.get_closest_marker("worker") is None or not settings.CELERY_BROKER_URL
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def celery_worker_queue(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the real Redis broker, using the test database.

    It listens on a queue of its own, so no other worker on the machine takes our tasks."""
    if not _service_available("worker"):
        pytest.skip("needs a real Redis broker for the Celery worker")
    from django.db import connection

    database = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
        if database["ENGINE"] == "django.db.backends.postgresql"
        else f"sqlite:///{database['NAME']}"
    )
    env["REDIS_URL"] = settings.CELERY_BROKER_URL
    env.setdefault("SECRET_KEY", "test-worker-secret")
    # One customer per scoring chunk, so worker tests exercise the fan-out with few rows.
    env["SCORING_CHUNK_SIZE"] = "1"
    log_path = ROOT / "test-artifacts" / f"celery-worker-{queue}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "retention",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from retention.celery import app

    deadline = time.monotonic() + 60
    while True:
        replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1.0)
        if replies:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(
                f"The Celery worker did not start; see {log_path}:\n{log_path.read_text()[-3000:]}"
            )
    yield queue
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(autouse=True)
def _csv_jobs_in_the_request(settings):
    """CSV jobs run inside the request in tests (their thread would not see the test's
    transaction); tests of the embedded mode's thread switch it back on with a live server."""
    settings.CSV_IMPORT_IN_THREAD = False


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request made through the test client leaves its language active in the thread
    (LocaleMiddleware activates it and nothing switches back); a later test would read
    labels in Chinese."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Test users' passwords need not resist cracking; hashing them properly costs about
    half a second each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A Chromium page (Debian's package, driven by Playwright) against the live server."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        yield page
        shots = ROOT / "test-artifacts"
        shots.mkdir(exist_ok=True)
        page.screenshot(path=str(shots / "last-browser-test.png"))
        browser.close()
        # ORM calls made while Playwright's loop runs get connections of their own
        # (asgiref contexts); close them here or the test database cannot be dropped.
        connections.close_all()


@pytest.fixture(autouse=True)
def _fresh_cache(settings, request):
    """Rate limits and sign-in failure counts start from zero in every test: a memory
    cache of the test's own. Tests marked `shared_cache` keep the configured one (Redis
    when there is one) under a key prefix of their own."""
    if request.node.get_closest_marker("shared_cache") is not None:
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        }
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }
