"""English and French complete: every string of the code has a checked French translation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

BASE_DIR = Path(__file__).resolve().parent.parent
CATALOGUE = Path("locale/fr/LC_MESSAGES/django.po")
SOURCES = ("accounts", "planner", "api", "calendar_project", "templates", "static", "locale")


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory) -> Path:
    """The catalogue as `make messages` would leave it now, built in a copy of the code
    so the real one is untouched: strings added since the last translation show up
    untranslated, strings changed since show up fuzzy."""
    copy = tmp_path_factory.mktemp("messages")
    for name in SOURCES:
        shutil.copytree(
            BASE_DIR / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(BASE_DIR / "manage.py", copy / "manage.py")
    # The copy has no tests/ (nor its settings module): the project's, in development.
    env = {
        **os.environ,
        "DATA_DIR": str(copy / "data"),
        "DJANGO_SETTINGS_MODULE": "calendar_project.settings",
        "DEBUG": "true",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    return copy / CATALOGUE


def _entries(path: Path):
    with path.open("rb") as source:
        return [message for message in read_po(source) if message.id]


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def test_every_string_has_a_french_translation(fresh_catalogue):
    missing = [message.id for message in _entries(fresh_catalogue) if not _translated(message)]
    assert not missing, f"Untranslated (run `make messages`, then translate): {missing}"


def test_no_translation_is_a_guess(fresh_catalogue):
    fuzzy = [message.id for message in _entries(fresh_catalogue) if message.fuzzy]
    assert not fuzzy, f"Fuzzy entries to check in {CATALOGUE}: {fuzzy}"


def test_translations_keep_their_placeholders():
    with (BASE_DIR / CATALOGUE).open("rb") as source:
        catalogue = read_po(source)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalogue.check()]
    assert not problems


@pytest.mark.django_db
def test_a_french_user_gets_the_site_in_french(client, cast):
    cast.content.language = "fr"
    cast.content.save()
    client.force_login(cast.content)
    page = client.get("/calendar/").content.decode()
    assert '<html lang="fr"' in page
    assert "Calendrier" in page
    assert ">Calendar<" not in page
