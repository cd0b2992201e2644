"""Addresses that are credentials, masked before any log line is written.

A calendar feed's address is its own credential (``/feeds/<token>.ics``), as are an
invitation link and a password-reset link. Logs travel further than the database (log
shippers, support tickets): Gunicorn's access log (``gunicorn_logging``) and Django's
own log lines ("Not Found: /feeds/...", through ``RedactSecrets``) mask them.
"""

from __future__ import annotations

import logging
import re

MASK = "[secret]"

# Such an address also travels inside another one's query, URL-encoded: the sign-in
# page's ``next=%2Faccounts%2Finvitations%2F<token>%2F``, and encoded once more when that
# page's address is itself a ``next`` (``%252F``). A slash is therefore "/" or "%2F"
# encoded any number of times, a dot likewise, and a secret part stops at any of them
# or at "%" (the start of an encoded separator) and "&" (the next query parameter).
_SLASH = r"(?:/|%(?:25)*2[fF])"
_DOT = r"(?:\.|%(?:25)*2[eE])"
_PART = r"[^/?#&%\s]+"


def _path(*words: str) -> str:
    return _SLASH + _SLASH.join(words) + _SLASH


_SECRET_PARTS = (
    re.compile(rf"({_path('feeds')}){_PART}({_DOT}ics)"),
    re.compile(rf"({_path('accounts', 'invitations')}){_PART}"),
    re.compile(rf"({_path('accounts', 'password', 'reset')}){_PART}{_SLASH}{_PART}"),
)


def redact(text: str) -> str:
    for pattern in _SECRET_PARTS:
        text = pattern.sub(
            lambda m: m.group(1) + MASK + (m.group(2) if m.re.groups > 1 else ""), text
        )
    return text


class RedactSecrets(logging.Filter):
    """A logging filter: the record's message with its secret parts masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
