"""The address a request came from, for the login lockout and the audit trail.

Behind the TLS proxy of a production setup (``BEHIND_HTTPS_PROXY``), every connection
comes from the proxy: the person's address is the one the proxy appended last to
``X-Forwarded-For``. Addresses further left were written by the client itself and are
never trusted. Without a proxy, the connection's own address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    meta = getattr(request, "META", {}) or {}
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            try:
                return str(ipaddress.ip_address(forwarded[-1]))
            except ValueError:
                pass  # not an address: fall back to the connection's
    return meta.get("REMOTE_ADDR") or None
