"""Fetching a calendar from an address someone typed, without letting the address reach
inside our own network (SSRF), nor hold a request for long, nor fill the memory.

* Only ``http://`` and ``https://`` (``webcal://``, what calendar sites hand out for
  subscriptions, is read as ``https://``); no user name or password in the address.
* The connection goes through ``planner.outbound``: every address the host name
  resolves to must be public, the connection is made to an address that was checked
  (no second look-up that could answer otherwise), and its peer is checked before the
  request is sent. Loopback only under ``OUTBOUND_ALLOW_LOOPBACK`` (development, tests).
* Redirects are followed by hand, at most ``MAX_REDIRECTS``, each checked the same way.
* ``KEY_DATES_TIMEOUT_SECONDS`` bounds each wait and the whole download;
  ``KEY_DATES_MAX_BYTES`` bounds the body: reading stops past it. No compression is asked
  for, so that what is counted is what is kept.
* No proxy from the environment: the checks are on the real target.
"""

from __future__ import annotations

import time
import zlib
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from planner import outbound
from planner.errors import Invalid

MAX_REDIRECTS = 3
SCHEMES = ("http", "https")


class FetchError(Invalid):
    """The address could not be fetched; the message says why, for a person."""


def normalise(url: str) -> str:
    """The address as it will be fetched; raises ``FetchError`` for one we never fetch."""
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    try:
        parts = urlsplit(url)
        _port = parts.port  # a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise FetchError(_("Enter an address starting with https:// or http://."))
    if parts.username or parts.password:
        raise FetchError(_("The address must not contain a user name or password."))
    return url


def fetch(url: str) -> bytes:
    """The body of ``url`` (status 200), within the limits; raises ``FetchError``."""
    max_bytes = int(settings.KEY_DATES_MAX_BYTES)
    seconds = float(settings.KEY_DATES_TIMEOUT_SECONDS)
    deadline = time.monotonic() + seconds
    headers = {
        "User-Agent": "Maillon (key dates import)",
        "Accept": "text/calendar, text/plain;q=0.8, */*;q=0.5",
        "Accept-Encoding": "identity",
    }
    url = normalise(url)
    try:
        with outbound.client(timeout=httpx.Timeout(seconds)) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                with client.stream("GET", url, headers=headers) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = normalise(urljoin(url, response.headers["location"]))
                        continue
                    if response.status_code != 200:
                        raise FetchError(
                            _("The address answered %(status)s %(reason)s.")
                            % {"status": response.status_code, "reason": response.reason_phrase}
                        )
                    return _body(response, max_bytes, deadline, seconds)
    except (outbound.Refused, outbound.HostNotFound) as exc:
        raise FetchError(str(exc)) from None
    except httpx.TimeoutException:
        raise _timed_out(seconds) from None
    except httpx.HTTPError as exc:
        raise FetchError(
            _("The address could not be reached (%(reason)s).")
            % {"reason": str(exc)[:200] or type(exc).__name__}
        ) from None
    raise FetchError(_("The address redirects too many times."))


def _body(response: httpx.Response, max_bytes: int, deadline: float, seconds: float) -> bytes:
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    if encoding in ("", "identity"):
        inflate = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, told by the header
    else:
        raise FetchError(
            _("The address sent the calendar compressed as %(encoding)s, which is not read.")
            % {"encoding": encoding[:40]}
        )
    body = bytearray()
    for chunk in response.iter_raw():
        if inflate is not None:
            # Never more than one byte past the limit, however well the chunk compresses.
            try:
                chunk = inflate.decompress(chunk, max_bytes + 1 - len(body))
            except zlib.error:
                raise FetchError(
                    _("The address sent a compressed answer that is broken.")
                ) from None
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
        if time.monotonic() > deadline:
            raise _timed_out(seconds)
    return bytes(body)


def _too_large(max_bytes: int) -> FetchError:
    return FetchError(
        _("The calendar at this address is larger than %(size)s: nothing was imported.")
        % {"size": size_text(max_bytes)}
    )


def _timed_out(seconds: float) -> FetchError:
    return FetchError(
        _("The address did not answer within %(seconds)s seconds.") % {"seconds": f"{seconds:g}"}
    )


def size_text(count: int) -> str:
    """2097152 -> "2 MB" (binary megabytes, as the limit is set)."""
    if count >= 1024 * 1024:
        return _("%(count)s MB") % {"count": f"{count / (1024 * 1024):.3g}"}
    return _("%(count)s KB") % {"count": f"{count / 1024:.3g}"}
