"""Outbound requests only go where they should (planner/outbound.py): every request to a
server someone configured resolves the host itself, refuses any non-public address,
connects to the address it checked and verifies TLS against the host name.

The stand-in servers listen on 127.0.0.1. A host name is given an address by replacing
``socket.getaddrinfo``, the system's resolver (not our code)."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import ssl
import subprocess
import sys

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer

from planner import outbound
from planner.channels.base import Outgoing, Permanent, Session, new_http_client
from planner.channels.mastodon import MastodonAdapter

MESSAGE = "This address points into a private network; Maillon only connects to public servers."

# (address, why it is not public): one row per range refused.
REFUSED = [
    ("127.0.0.1", "IPv4 loopback"),
    ("127.8.9.10", "the rest of 127/8"),
    ("10.1.2.3", "private 10/8"),
    ("172.16.0.1", "private 172.16/12"),
    ("192.168.1.1", "private 192.168/16"),
    ("100.64.0.1", "shared address space, CGNAT 100.64/10"),
    ("169.254.169.254", "link-local (cloud metadata)"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 - an address checked, not bound
    ("0.1.2.3", "this network 0/8"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved 240/4"),
    ("255.255.255.255", "broadcast"),
    ("192.0.2.1", "documentation TEST-NET-1"),
    ("198.18.0.1", "benchmarking 198.18/15"),
    ("192.0.0.8", "IETF protocol assignments"),
    ("::1", "IPv6 loopback"),
    ("::", "IPv6 unspecified"),
    ("fe80::1", "IPv6 link-local"),
    ("fc00::1", "unique local fc00::/7"),
    ("fd12:3456::1", "unique local fd00::/8"),
    ("fec0::1", "site-local fec0::/10"),
    ("ff02::1", "IPv6 multicast"),
    ("2001:db8::1", "IPv6 documentation"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::10.0.0.1", "IPv4-compatible private"),
    ("::127.0.0.1", "IPv4-compatible loopback"),
    ("2002:a00:1::1", "6to4 of 10.0.0.1"),
    ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
    ("2002:a9fe:a9fe::1", "6to4 of 169.254.169.254"),
    ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"),
    ("64:ff9b:1::a00:1", "local-use NAT64 64:ff9b:1::/48"),
    ("2001::1", "Teredo"),
]

PUBLIC = [
    "93.184.215.14",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:93.184.215.14",
    "2002:5db8:d70e::1",  # 6to4 of 93.184.215.14
    "64:ff9b::5db8:d70e",  # NAT64 of 93.184.215.14
]


@pytest.fixture
def resolver(monkeypatch):
    """``names[host]`` is the list of answers, one per look-up (the last one repeats);
    other hosts resolve as usual. ``asked`` counts the look-ups of each name."""
    real = socket.getaddrinfo
    names: dict[str, list[list[str]]] = {}
    asked: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        count = asked[host] = asked.get(host, 0) + 1
        answers = names[host][min(count, len(names[host])) - 1]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, int(port or 0)),
            )
            for a in answers
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    resolver.names, resolver.asked = names, asked
    return resolver


def get(url: str, **kwargs) -> httpx.Response:
    with outbound.client(timeout=httpx.Timeout(3.0, connect=1.0), **kwargs) as client:
        return client.get(url)


# --- which addresses -------------------------------------------------------------------


@pytest.mark.parametrize(("address", "why"), REFUSED, ids=[why for _a, why in REFUSED])
def test_a_non_public_address_is_refused_before_connecting(address, why, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    assert not outbound.is_public(address), why
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(outbound.Refused, match=re.escape(MESSAGE)):
        get(f"https://{host}/")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_count_as_public(address):
    assert outbound.classify(address) == outbound.PUBLIC


def test_loopback_inside_an_ipv6_form_is_not_this_machine_even_when_loopback_is_allowed(
    settings,
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    for address in ("::ffff:127.0.0.1", "::127.0.0.1", "2002:7f00:1::1", "64:ff9b::7f00:1"):
        assert not outbound.allowed(address), address
    assert outbound.allowed("127.0.0.1")
    assert outbound.allowed("::1")


def test_a_host_name_resolving_to_a_private_address_is_refused(resolver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    resolver.names["intranet.example"] = [["10.0.0.5"]]
    with pytest.raises(outbound.Refused, match=re.escape(MESSAGE)):
        get("https://intranet.example/admin")


def test_a_name_with_one_private_address_among_public_ones_is_refused(resolver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    resolver.names["mixed.example"] = [["93.184.215.14", "192.168.0.10"]]
    with pytest.raises(outbound.Refused, match=re.escape(MESSAGE)):
        get("https://mixed.example/")


def test_an_unknown_host_is_said_plainly():
    with pytest.raises(
        outbound.HostNotFound, match=re.escape("The host nowhere.invalid could not be found")
    ):
        get("https://nowhere.invalid/")


# --- this machine ------------------------------------------------------------------------


def test_loopback_is_refused_by_default(httpserver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    httpserver.expect_request("/").respond_with_data("internal")
    for url in (httpserver.url_for("/"), f"http://localhost:{httpserver.port}/"):
        with pytest.raises(outbound.Refused, match=re.escape(MESSAGE)):
            get(url)
    assert httpserver.log == []


def test_loopback_is_reached_when_allowed(httpserver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    httpserver.expect_request("/").respond_with_data("hello")
    assert get(httpserver.url_for("/")).text == "hello"
    assert get(f"http://localhost:{httpserver.port}/").text == "hello"


def test_loopback_is_off_unless_the_environment_turns_it_on():
    env = {k: v for k, v in os.environ.items() if k != "OUTBOUND_ALLOW_LOOPBACK"}
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.OUTBOUND_ALLOW_LOOPBACK)"
    for extra, expected in (({}, "False"), ({"OUTBOUND_ALLOW_LOOPBACK": "true"}, "True")):
        shown = subprocess.run(
            [sys.executable, "-c", code],
            env={
                **env,
                "DEBUG": "true",
                "DJANGO_SETTINGS_MODULE": "calendar_project.settings",
                **extra,
            },
            capture_output=True,
            text=True,
            check=True,
        )
        assert shown.stdout.strip() == expected, shown.stderr


def test_allowing_loopback_never_opens_a_private_network(resolver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    resolver.names["printer.example"] = [["192.168.1.20"]]
    with pytest.raises(outbound.Refused):
        get("http://printer.example/")
    with pytest.raises(outbound.Refused):
        get("http://10.0.0.1/")


# --- DNS rebinding -------------------------------------------------------------------------


def test_the_connection_goes_to_the_address_that_was_checked(httpserver, resolver, settings):
    """The name answers this machine (allowed here) at the first look-up and a private
    address at any later one: the request still reaches the first, as nothing asks again."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    resolver.names["rebind.example"] = [["127.0.0.1"], ["10.9.9.9"]]
    httpserver.expect_request("/").respond_with_data("checked")
    response = get(f"http://rebind.example:{httpserver.port}/")
    assert response.text == "checked"
    assert resolver.asked["rebind.example"] == 1
    request, _response = httpserver.log[0]
    assert request.headers["Host"] == f"rebind.example:{httpserver.port}"


# --- TLS on the host name ------------------------------------------------------------------


def _certificate(name: str):
    """A self-signed certificate for ``name`` (its own CA), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


@pytest.fixture
def tls_server(tmp_path):
    cert, key = _certificate("secure.example")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=server_context)
    server.start()
    client_context = ssl.create_default_context(cafile=str(cert_file))
    yield server, client_context
    server.clear()
    server.stop()


def test_tls_is_verified_against_the_host_name_not_the_address(tls_server, resolver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server, trusted = tls_server
    server.expect_request("/").respond_with_data("secure")
    resolver.names["secure.example"] = [["127.0.0.1"]]
    resolver.names["other.example"] = [["127.0.0.1"]]
    transport = outbound.OutboundTransport(verify=trusted)
    with outbound.client(timeout=3.0, transport=transport) as client:
        assert client.get(f"https://secure.example:{server.port}/").text == "secure"
        # The same server under another name: its certificate does not match.
        with pytest.raises(httpx.ConnectError, match="certificate"):
            client.get(f"https://other.example:{server.port}/")


# --- the adapters ------------------------------------------------------------------------


def test_an_adapter_publishing_into_a_private_network_fails_for_good(resolver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    resolver.names["mastodon.internal.example"] = [["10.20.30.40"]]
    with new_http_client() as http:
        session = Session(
            kind="mastodon",
            base_url="https://mastodon.internal.example",
            handle="",
            credentials={"access_token": "t"},
            http=http,
        )
        outcome = MastodonAdapter().publish(session, Outgoing(text="Hi", idempotency_key="k"))
    assert outcome == Permanent(MESSAGE)


def test_web_links_are_only_http_or_https():
    assert outbound.web_link("https://mastodon.example/@a/1") == "https://mastodon.example/@a/1"
    assert outbound.web_link("http://127.0.0.1:8025/posts/1") == "http://127.0.0.1:8025/posts/1"
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "//x", ""):
        assert outbound.web_link(bad) == "", bad
