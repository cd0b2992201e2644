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
_SECRET_PARTS = (
    re.compile(r"(/feeds/)[^/?#\s]+(\.ics)"),
    re.compile(r"(/accounts/invitations/)[^/?#\s]+"),
    re.compile(r"(/accounts/password/reset/)[^/?#\s]+/[^/?#\s]+"),
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
