"""Typed readers for environment variables.

Every reader refuses a bad value with ``ImproperlyConfigured`` naming the
variable, so a misconfigured deployment stops at start-up instead of failing
later in a request or a task.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None or value == "" else value

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
        return number

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self.raw(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def time_zone(self, name: str, default: str) -> str:
        value = self.str(name, default)
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ImproperlyConfigured(
                f"{name}={value!r} is not an IANA time zone (for example Europe/Paris)."
            ) from None
        return value

    def url(self, name: str, default: str, *, schemes: tuple[str, ...]) -> str:
        value = self.str(name, default)
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in schemes:
            allowed = ", ".join(f"{s}://" for s in schemes)
            raise ImproperlyConfigured(f"{name}={value!r} must start with one of: {allowed}.")
        return value

    def site_url(self, name: str, default: str) -> str:
        """The site's public address (http or https, a host, perhaps a path): what the
        links in emails and the networks' media fetches are built on."""
        value = self.url(name, default, schemes=("http", "https")).rstrip("/")
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={value!r} has a port that is not a number."
            ) from None
        if not parts.hostname:
            raise ImproperlyConfigured(
                f"{name}={value!r} has no host; write the full address, e.g. https://maillon.example."
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ImproperlyConfigured(
                f"{name}={value!r} must be a plain address: no user, query (?) or fragment (#)."
            )
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.str(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
        return value


def database_config(url: str, *, name: str = "DATABASE_URL") -> dict:
    """Parse a database URL into Django's DATABASES entry, naming the variable on error."""
    import dj_database_url

    if not url.startswith(("sqlite:", "postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured(
            f"{name}={url!r} is not supported; use postgres://user@host:5432/db or sqlite:///path."
        )
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except (ValueError, dj_database_url.UnknownSchemeError) as exc:
        raise ImproperlyConfigured(f"{name} could not be read: {exc}") from None
    if config["ENGINE"].endswith("sqlite3"):
        # A long timeout lets the worker, beat and web share the file without
        # "database is locked" errors under short write bursts.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config
