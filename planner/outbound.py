"""Every request Maillon makes to a server someone configured goes through here: the
channel adapters (publish, test connection, metrics, reconciliation, delete), the chat
webhook and the key-date fetcher. An address typed into a form must not let an admin
read, or post to, the services of our own network (SSRF).

For each new connection the transport (``OutboundTransport``):

1. resolves the host name itself (``socket.getaddrinfo``);
2. refuses it when ANY address it resolves to is not public (``classify``): loopback,
   private, link-local, shared (CGNAT 100.64/10), multicast, reserved, unspecified,
   site-local ``fec0::/10``, documentation ranges, and the IPv6 forms that carry an IPv4
   address (mapped ``::ffff:0:0/96``, compatible ``::a.b.c.d``, 6to4 ``2002::/16``,
   NAT64 ``64:ff9b::/96``), which are judged by the IPv4 address inside;
3. connects to one of the addresses it checked, never resolving again (a name that
   answers a public address, then a private one, cannot slip through: DNS rebinding);
4. checks the peer of the connected socket before anything is sent.

TLS still verifies the certificate against the host name (SNI and the Host header are
those of the address, not of the IP connected to). No proxy from the environment.

``OUTBOUND_ALLOW_LOOPBACK`` (off by default; ``make run`` and the tests turn it on, for
the demo networks and the stand-ins on 127.0.0.1) lets loopback through, and only
loopback: a private network is refused whatever the settings.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

PUBLIC = "public"
LOOPBACK = "loopback"
PRIVATE = "private"  # anything else that is not public

USER_AGENT = "Maillon/1.0 (+editorial calendar)"
# The names of this machine a form lets through as plain http, when loopback is allowed.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WEB_SCHEMES = ("http", "https")

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use only
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
# Not a web server's address, whatever this Python's tables say.
_NOT_PUBLIC_V4 = (
    ipaddress.ip_network("100.64.0.0/10"),  # shared address space (CGNAT)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
)


class Refused(httpx.ConnectError):
    """The address is not one Maillon connects to; nothing was sent."""


class HostNotFound(httpx.ConnectError):
    """The host name does not resolve; nothing was sent."""


def refusal_message() -> str:
    return _("This address points into a private network; Maillon only connects to public servers.")


def loopback_allowed() -> bool:
    """Loopback (this machine) is reachable only when development or the tests say so."""
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that
    carry one (mapped, compatible, 6to4, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(int(ip))
    return None


def classify(address: str) -> str:
    """PUBLIC, LOOPBACK or PRIVATE (everything else that is not public)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    except ValueError:
        return PRIVATE
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            # Even 127.0.0.1 inside an IPv6 address is not "this machine" to us.
            return PUBLIC if classify(str(embedded)) == PUBLIC else PRIVATE
        if ip in _NAT64_LOCAL or ip in _SITE_LOCAL:
            return PRIVATE
    if ip.is_loopback:
        return LOOPBACK
    if (
        not ip.is_global
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_link_local
        or ip.is_unspecified
        or (ip.version == 4 and any(ip in net for net in _NOT_PUBLIC_V4))
    ):
        return PRIVATE
    return PUBLIC


def is_public(address: str) -> bool:
    return classify(address) == PUBLIC


def allowed(address: str) -> bool:
    kind = classify(address)
    return kind == PUBLIC or (kind == LOOPBACK and loopback_allowed())


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, all of them allowed; raises ``Refused`` when
    any is not (a name with one private address among public ones is refused whole)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise HostNotFound(_("The host %(host)s could not be found.") % {"host": host}) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise HostNotFound(_("The host %(host)s could not be found.") % {"host": host})
    if not all(allowed(address) for address in addresses):
        raise Refused(refusal_message())
    return addresses


def _same_address(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a.split("%", 1)[0]) == ipaddress.ip_address(b.split("%", 1)[0])
    except ValueError:
        return False


class _CheckedBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, given only addresses that were checked."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        problem: Exception | None = None
        for address in checked_addresses(host, port):
            try:
                stream = self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                problem = exc  # the next checked address, if there is one
                continue
            peer = stream.get_extra_info("server_addr")
            if not peer or not _same_address(str(peer[0]), address) or not allowed(str(peer[0])):
                stream.close()
                raise Refused(refusal_message())
            return stream
        assert problem is not None
        raise problem

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise Refused(refusal_message())

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Loading the CA bundle costs ~20 ms of CPU: once per process, not once per send."""
    return httpx.create_ssl_context()


class OutboundTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connections go only to checked addresses."""

    def __init__(self, verify: ssl.SSLContext | None = None) -> None:
        super().__init__(verify=verify or tls_context(), trust_env=False)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=verify or tls_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=5.0,
            network_backend=_CheckedBackend(),
        )


def client(
    *, timeout: httpx.Timeout | float, transport: httpx.BaseTransport | None = None, **kwargs: Any
) -> httpx.Client:
    """An ``httpx.Client`` that only reaches allowed addresses, follows no redirect and
    reads no proxy from the environment."""
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    return httpx.Client(
        transport=transport or OutboundTransport(),
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
        **kwargs,
    )


def plain_http_allowed(host: str) -> bool:
    """Plain http (no TLS) only to this machine, and only where loopback is allowed."""
    return host.lower().strip("[]") in LOOPBACK_HOSTS and loopback_allowed()


def refused_literal(url: str) -> bool:
    """Whether the address names, as digits, a host Maillon would not connect to (a form
    says so at once; a host name is judged when connecting)."""
    try:
        host = urlsplit(url).hostname or ""
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return not allowed(host)


def web_link(url: str | None) -> str:
    """``url`` when it is an http(s) address with a host, else '' (a network's answer may
    hold ``javascript:`` or ``data:``: never a link on our pages)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return ""
    return url
