"""A catalogue left uncompiled is said at start-up (retention/checks.py), not discovered by
a Chinese reader getting English."""

import os
import shutil

from django.test import override_settings

from retention.checks import translations_compiled


def _catalogue(tmp_path, *, compiled: bool, newer_source: bool = False):
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    source = folder / "django.po"
    source.write_text('msgid ""\nmsgstr ""\n')
    if compiled:
        target = folder / "django.mo"
        target.write_bytes(b"\x00")
        stamp = source.stat().st_mtime
        os.utime(target, (stamp + (-60 if newer_source else 60),) * 2)
    return tmp_path


def test_it_warns_when_the_compiled_catalogue_is_missing(tmp_path):
    with override_settings(LOCALE_PATHS=[_catalogue(tmp_path, compiled=False)]):
        problems = translations_compiled()
    assert [p.id for p in problems] == ["retention.W001"]
    assert "is missing beside django.po" in problems[0].msg
    assert "zh_Hans" in problems[0].msg


def test_it_warns_when_the_catalogue_changed_after_compiling(tmp_path):
    with override_settings(LOCALE_PATHS=[_catalogue(tmp_path, compiled=True, newer_source=True)]):
        problems = translations_compiled()
    assert len(problems) == 1
    assert "is older than django.po" in problems[0].msg


def test_it_is_quiet_when_every_catalogue_is_compiled(tmp_path):
    with override_settings(LOCALE_PATHS=[_catalogue(tmp_path, compiled=True)]):
        assert translations_compiled() == []


def test_the_repository_catalogues_are_compiled_by_set_up(tmp_path):
    # The shipped catalogue, copied with its compiled file as .ci/setup leaves it.
    shutil.copytree("locale", tmp_path / "locale")
    for mo in (tmp_path / "locale").glob("*/LC_MESSAGES/django.mo"):
        po = mo.with_suffix(".po")
        os.utime(mo, (po.stat().st_mtime + 1,) * 2)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        assert translations_compiled() == []
