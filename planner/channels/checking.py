"""Testing a channel's connection while a person waits: bounded in time, and a failure
said in plain words (bad token, unreachable host, timeout, TLS) rather than as an outcome
class.

The adapter's ``check_connection`` does the talking; this module gives it an HTTP client
(through ``planner.outbound``: public servers only) whose every request shares one
deadline, and watches what the transport saw (the host, the last status, the error) so
that the explanation can name the cause. Like the adapters, it never touches the
database: ``Session`` is built by the caller.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from django.utils.translation import gettext as _

from planner import outbound
from planner.channels import base

logger = logging.getLogger(__name__)

# Sentences written for the engine's retries, which a one-off test does not do.
_RETRY_PROMISE_RE = re.compile(r"\s*(Maillon will (try again|wait)[^.]*|Will retry later)\.")


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    account: str = ""  # what the network says the credentials reach, when ok


@dataclass
class _Trace:
    """What the transport saw last."""

    host: str = ""
    status: int | None = None
    detail: str = ""  # the network's own words on a refusal
    error: httpx.TransportError | None = None


class _TracedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, trace: _Trace) -> None:
        self._inner = inner
        self._trace = trace

    def __iter__(self):
        try:
            yield from self._inner
        except httpx.TransportError as exc:
            self._trace.error = exc
            raise

    def close(self) -> None:
        self._inner.close()


class _DeadlineTransport(httpx.BaseTransport):
    """Every request gets what is left of one time budget, and leaves a trace."""

    def __init__(self, trace: _Trace, seconds: float) -> None:
        self._inner = outbound.OutboundTransport()
        self._trace = trace
        self._deadline = time.monotonic() + seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        trace = self._trace
        trace.host = request.url.host
        left = self._deadline - time.monotonic()
        if left <= 0:
            trace.error = httpx.ConnectTimeout("No time left for the test.", request=request)
            raise trace.error
        asked = {"connect": None, "read": None, "write": None, "pool": None}
        asked.update(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {
            key: left if value is None else min(value, left) for key, value in asked.items()
        }
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError as exc:
            trace.error = exc
            raise
        trace.error = None
        trace.status = response.status_code
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _TracedStream(response.stream, trace)
        return response

    def close(self) -> None:
        self._inner.close()


def _remember_refusal(trace: _Trace) -> Callable[[httpx.Response], None]:
    def hook(response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            response.read()
            trace.detail = base.error_text(response)

    return hook


def check(
    adapter: base.Adapter,
    session_for: Callable[[httpx.Client], base.Session],
    *,
    network: str,
    seconds: float,
) -> CheckResult:
    """Run ``adapter.check_connection`` within ``seconds``; never raises."""
    trace = _Trace()
    client = outbound.client(
        transport=_DeadlineTransport(trace, seconds),
        timeout=httpx.Timeout(seconds),
        event_hooks={"response": [_remember_refusal(trace)]},
    )
    with client:
        try:
            account = adapter.check_connection(session_for(client))
        except base.AdapterError as exc:
            return CheckResult(False, explain(trace, exc.outcome.reason, network, seconds))
        except Exception as exc:  # a bug in an adapter must not become a server error
            logger.exception("Connection test of a %s channel crashed", adapter.kind)
            return CheckResult(
                False,
                _(
                    "The test stopped on an unexpected error (%(error)s). "
                    "The details are in the server's log."
                )
                % {"error": exc.__class__.__name__},
            )
    if adapter.live_check:
        message = _("Connected: %(account)s.") % {"account": account}
    else:
        message = _(
            "The address is well formed (%(account)s). %(network)s cannot be asked without "
            "posting a message, so the first post will confirm it."
        ) % {"account": account, "network": network}
    return CheckResult(True, message, account)


def explain(trace: _Trace, reason: str, network: str, seconds: float) -> str:
    """A failed test in plain words: the transport's cause first, else the network's answer."""
    host = trace.host or _("the server")
    error = trace.error
    if isinstance(error, outbound.Refused | outbound.HostNotFound):
        return str(error)  # nothing was sent, nothing came back
    if isinstance(error, httpx.TimeoutException):
        return _(
            "%(host)s did not answer within %(seconds)s seconds. The server may be down or "
            "overloaded, or the address may be wrong."
        ) % {"host": host, "seconds": f"{seconds:g}"}
    if isinstance(error, httpx.ConnectError) and _is_tls(error):
        return _(
            "The secure (TLS) connection to %(host)s failed: %(detail)s. Check the address; "
            "the server's certificate may be invalid or expired."
        ) % {"host": host, "detail": _short(error)}
    if isinstance(error, httpx.ConnectError):
        return _(
            "%(host)s could not be reached (%(detail)s). Check the address, and that the "
            "server is running."
        ) % {"host": host, "detail": _short(error)}
    if isinstance(error, httpx.UnsupportedProtocol):
        return _(
            "The channel's address is missing or is not a web address: edit the channel "
            "and enter one starting with https://."
        )
    if isinstance(error, httpx.TransportError):
        return _("The connection to %(host)s broke off (%(detail)s). Try again.") % {
            "host": host,
            "detail": _short(error),
        }
    if trace.status == 401:
        return _(
            "%(network)s refused the credentials (HTTP 401: %(detail)s). The token or "
            "password is wrong, expired or revoked: enter a new one and save."
        ) % {"network": network, "detail": trace.detail or _("not authorised")}
    if trace.status == 403:
        return _(
            "%(network)s refused access (HTTP 403: %(detail)s). The account or app may lack "
            "a permission this channel needs."
        ) % {"network": network, "detail": trace.detail or _("forbidden")}
    return _RETRY_PROMISE_RE.sub("", reason).strip() or _("The test failed.")


def _is_tls(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in str(seen) or "certificate" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _short(error: BaseException) -> str:
    text = str(error).strip() or error.__class__.__name__
    return text[:200]
