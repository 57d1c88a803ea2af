"""Every dotted path the settings and the URLconf name (a view, a parser, a middleware, a
task) imports in a new process as the first thing after `django.setup()`.

Django runs its system checks in no fixed order (a set of functions), so in one run of
`manage.py` the CSRF failure view is imported before anything else, in another the
URLconf is; DRF resolves its settings when rest_framework.views is first imported. A path
that only imports after some other module has been loaded fails `manage.py` now and then,
as `security.E102` ("The CSRF failure view ... could not be imported") once did."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.faults import ROOT

OWN = ("retention", "customers", "staff", "handover", "alerts")

LIST_MODULES = """
import importlib.util
import json
import sys

import django

django.setup()
from django.conf import settings

import retention.urls as urls


def walk(value):
    if isinstance(value, str):
        if value.split(".")[0] in OWN and "." in value and not set(value) & set(" /"):
            yield value.replace(":", ".")
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from walk(item)


def module_of(path):
    # Everything is loaded by now, so a module is in sys.modules; a name is not.
    return path if path in sys.modules else path.rpartition(".")[0]


paths = {p for name in dir(settings) if name.isupper() for p in walk(getattr(settings, name))}
paths |= {getattr(urls, f"handler{code}") for code in (400, 403, 404, 500)}
for path in paths:
    importlib.import_module(module_of(path))
print(json.dumps(sorted({module_of(p) for p in paths} - {"retention.settings"})))
"""

IMPORT_FIRST = """
import importlib
import os
import sys
import traceback

import django

django.setup()
failed = 0
for module in sys.argv[1:]:
    # A child forked from the state right after setup imports the module first.
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(module)
        except BaseException:
            print(f"{module}:", traceback.format_exc()[-1500:], sep="\\n", flush=True)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    failed += status != 0
sys.exit(1 if failed else 0)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="retention.settings", SECRET_KEY="import-first")
    return env


def test_every_module_the_settings_name_imports_first_in_a_new_process():
    listed = subprocess.run(
        [sys.executable, "-c", f"OWN = {OWN!r}\n{LIST_MODULES}"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    paths = json.loads(listed.stdout.strip().splitlines()[-1])
    # The module that once failed is among them (the list is not empty by accident).
    assert "retention.api.errors" in paths
    assert "retention.api.auth" in paths
    imported = subprocess.run(
        [sys.executable, "-c", IMPORT_FIRST, *paths],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr[-3000:]
