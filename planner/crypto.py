"""Encryption at rest for channel credentials (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from CREDENTIALS_KEY (comma-separated: the first encrypts, every
key decrypts, so a key can be rotated by putting the new one first). Then
``manage.py rotate_credentials`` re-encrypts what the older keys wrote, and
they can be removed. In development, when no key is set, one is derived from
SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...], secret_key: str) -> tuple[Fernet, ...]:
    if not keys:
        derived = base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest())
        return (Fernet(derived),)
    try:
        return tuple(Fernet(key.encode()) for key in keys)
    except ValueError:
        raise ImproperlyConfigured(
            "CREDENTIALS_KEY must be one or more Fernet keys (32 url-safe base64 bytes), "
            "comma-separated."
        ) from None


def _keys() -> tuple[Fernet, ...]:
    return _fernets(tuple(settings.CREDENTIALS_KEYS), settings.SECRET_KEY)


def fernet() -> MultiFernet:
    return MultiFernet(list(_keys()))


def is_current(token: str) -> bool:
    """Whether this ciphertext is already under the newest key (the first)."""
    try:
        _keys()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """The same secret under the newest key, never decrypted into our own variables.
    Raises ImproperlyConfigured when no key reads it."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "Stored credentials cannot be decrypted with any key of CREDENTIALS_KEY."
        ) from None


def encrypt(data: Any) -> str:
    return fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt(token: str) -> Any:
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ImproperlyConfigured(
            "Stored channel credentials cannot be decrypted with CREDENTIALS_KEY; "
            "was the key changed without keeping the old one after it?"
        ) from None


class EncryptedJSONField(models.TextField):
    """A JSON value stored as a Fernet token. Not searchable, by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return decrypt(value)

    def to_python(self, value):
        if isinstance(value, str):
            if not value:
                return {}
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return decrypt(value)
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(value)

    def value_to_string(self, obj):
        # Dumps (dumpdata) keep the ciphertext, never the secret.
        return self.get_prep_value(self.value_from_object(obj))
