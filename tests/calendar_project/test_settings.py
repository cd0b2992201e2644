"""Configuration: bad values stop start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from calendar_project.env import Env, database_config

pytestmark = pytest.mark.domain
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("DEBUG", "maybe", lambda e: e.bool("DEBUG", True)),
        ("EMAIL_PORT", "smtp", lambda e: e.int("EMAIL_PORT", 587)),
        ("EMAIL_PORT", "0", lambda e: e.int("EMAIL_PORT", 587, minimum=1)),
        ("TIME_ZONE", "Mars/Olympus", lambda e: e.time_zone("TIME_ZONE", "UTC")),
        ("REDIS_URL", "localhost:6379", lambda e: e.url("REDIS_URL", "", schemes=("redis",))),
        ("LOG_LEVEL", "LOUD", lambda e: e.choice("LOG_LEVEL", "INFO", ("INFO", "DEBUG"))),
    ],
)
def test_a_bad_value_is_refused_with_the_variables_name(name, value, read):
    with pytest.raises(ImproperlyConfigured, match=name):
        read(Env({name: value}))


def test_an_unsupported_database_url_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_config("mysql://root@localhost/maillon")


def test_good_values_are_read():
    env = Env({"DEBUG": "false", "ALLOWED_HOSTS": "a.example, b.example", "EMAIL_PORT": "25"})
    assert env.bool("DEBUG", True) is False
    assert env.list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]
    assert env.int("EMAIL_PORT", 587) == 25


def test_sqlite_waits_for_the_write_lock_instead_of_failing():
    config = database_config("sqlite:////tmp/maillon-test.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] >= 10


def run_manage(*args, **env):
    # A deployment has none of the test run's own switches.
    dropped = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "calendar_project.settings",
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-0123456789",
    "CREDENTIALS_KEY": "mQ8V0Qm4eI3a8gC2zjv3b8qjN7l9bFj6aHkJ0nW2s1E=",
    "ALLOWED_HOSTS": "maillon.example.com",
}


def test_production_without_a_secret_key_refuses_to_start():
    env = {**PRODUCTION}
    env.pop("SECRET_KEY")
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_without_debug_set_a_command_refuses_to_start_and_says_what_to_set():
    """Development is never the default: a machine where nobody set DEBUG is treated as
    production, and the message says both ways out."""
    result = run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr
    assert "DEBUG=true" in result.stderr


def test_development_is_on_when_asked_for_and_needs_no_keys():
    result = run_manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "django-insecure-maillon-development-only-key-do-not-use-in-production",
        "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz-made-by-startproject",
    ],
    ids=["maillon's development key", "a key Django generated for development"],
)
def test_production_refuses_a_public_development_key(key):
    result = run_manage("check", **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "development key" in result.stderr


def test_a_bad_variable_stops_start_up_with_its_name():
    result = run_manage("check", DEBUG="true", TIME_ZONE="Europe/Atlantis")
    assert result.returncode != 0
    assert "TIME_ZONE='Europe/Atlantis' is not an IANA time zone" in result.stderr


def test_the_deployment_checklist_is_clean_in_a_production_environment():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_every_model_change_has_its_migration():
    result = run_manage("makemigrations", "--check", "--dry-run", DEBUG="true")
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_lists_every_variable_the_settings_read():
    import re

    settings_source = (BASE_DIR / "calendar_project" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', settings_source))
    listed = set(re.findall(r"^([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))
    assert read, "no variable found: has the settings style changed?"
    assert read - listed == set()


def test_a_short_health_token_is_refused():
    result = run_manage("check", DEBUG="true", HEALTH_TOKEN="guessable")
    assert result.returncode != 0
    assert "HEALTH_TOKEN must be at least 32 characters" in result.stderr
