"""The production setup, run for real: Gunicorn with the shipped configuration, DEBUG off,
static files collected and served by WhiteNoise, behind a TLS proxy on the same host;
and the Procfile and systemd units naming the processes and queues that exist."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from calendar_project.celery import ENGINE_QUEUE, IMPORTS_QUEUE, METRICS_QUEUE, app
from calendar_project.localredis import free_port
from calendar_project.redaction import MASK, redact
from tests import processes
from tests.calendar_project.test_settings import PRODUCTION

BASE_DIR = Path(__file__).resolve().parents[2]
UNITS = BASE_DIR / "deploy" / "systemd"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("GET /feeds/AbC-123_xyz.ics HTTP/1.1", "GET /feeds/[secret].ics HTTP/1.1"),
        (
            "GET /accounts/invitations/tok3n/ HTTP/1.1",
            "GET /accounts/invitations/[secret]/ HTTP/1.1",
        ),
        (
            "GET /accounts/password/reset/MQ/c4x-9f/ HTTP/1.1",
            "GET /accounts/password/reset/[secret]/ HTTP/1.1",
        ),
        (
            "GET /accounts/password/reset/sent/ HTTP/1.1",
            "GET /accounts/password/reset/sent/ HTTP/1.1",
        ),
        ("GET /calendar/?campaign=3 HTTP/1.1", "GET /calendar/?campaign=3 HTTP/1.1"),
        # The same addresses inside another one's next=, URL-encoded once or twice.
        (
            "GET /accounts/login/?next=%2Faccounts%2Finvitations%2Ftok3n%2F HTTP/1.1",
            "GET /accounts/login/?next=%2Faccounts%2Finvitations%2F[secret]%2F HTTP/1.1",
        ),
        (
            "GET /accounts/login/?next=%2faccounts%2finvitations%2ftok3n HTTP/1.1",
            "GET /accounts/login/?next=%2faccounts%2finvitations%2f[secret] HTTP/1.1",
        ),
        (
            "GET /a/?next=%252Faccounts%252Finvitations%252Ftok3n%252F&x=1 HTTP/1.1",
            "GET /a/?next=%252Faccounts%252Finvitations%252F[secret]%252F&x=1 HTTP/1.1",
        ),
        (
            "GET /a/?next=%2Faccounts%2Fpassword%2Freset%2FMQ%2Fc4x-9f%2F HTTP/1.1",
            "GET /a/?next=%2Faccounts%2Fpassword%2Freset%2F[secret]%2F HTTP/1.1",
        ),
        (
            "GET /a/?next=%2Ffeeds%2FAbC-123%2Eics HTTP/1.1",
            "GET /a/?next=%2Ffeeds%2F[secret]%2Eics HTTP/1.1",
        ),
        ("GET /a/?next=%2Fcalendar%2F HTTP/1.1", "GET /a/?next=%2Fcalendar%2F HTTP/1.1"),
    ],
)
def test_the_access_log_masks_the_addresses_that_are_credentials(line, kept):
    assert redact(line) == kept


@pytest.mark.django_db
def test_the_invitations_sign_in_link_is_masked_in_the_access_log(client, cast):
    """The page an invitation opens for an existing account links to the sign-in page with
    the invitation in next=; that link, followed, is what the access log records."""
    from django.test import Client

    from accounts import services as account_services
    from tests.factories import UserFactory

    UserFactory(email="known@example.test")
    _invitation, token = account_services.invitation_create(
        actor=cast.admin, workspace=cast.workspace, email="known@example.test", role="viewer"
    )
    page = Client().get(f"/accounts/invitations/{token}/").content.decode()
    (login_link,) = re.findall(r'href="(/accounts/login/\?next=[^"]+)"', page)
    assert token in login_link
    for encoded_again in (login_link, quote(login_link, safe="")):
        assert token not in redact(f"GET {encoded_again} HTTP/1.1")


def commands(text: str) -> list[str]:
    """The command lines of a Procfile or of systemd units (continuations joined)."""
    return [
        line.split(":", 1)[1] if not line.startswith("ExecStart=") else line[len("ExecStart=") :]
        for line in re.sub(r"\\\n\s*", "", text).splitlines()
        if line.startswith("ExecStart=") or re.match(r"^[a-z]+: ", line)
    ]


@pytest.mark.parametrize(
    "text",
    [
        (BASE_DIR / "Procfile").read_text(),
        "\n".join(path.read_text() for path in sorted(UNITS.glob("*.service"))),
    ],
    ids=["Procfile", "systemd"],
)
def test_the_shipped_process_files_consume_every_queue_and_run_one_beat(text):
    queues = set()
    for cmd in commands(text):
        for found in re.findall(r"-Q (\S+)", cmd):
            queues |= set(found.split(","))
    assert queues == {queue.name for queue in app.conf.task_queues}
    assert {ENGINE_QUEUE, "celery", METRICS_QUEUE, IMPORTS_QUEUE} <= queues
    beats = [cmd for cmd in commands(text) if " beat" in cmd]
    assert len(beats) == 1
    assert any("gunicorn -c deploy/gunicorn.conf.py" in cmd for cmd in commands(text))
    assert (BASE_DIR / "deploy" / "gunicorn.conf.py").exists()


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    env = {**processes.os.environ, **PRODUCTION, "STATIC_ROOT": str(root)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=240,
    )
    return root


@pytest.mark.django_db
def test_gunicorn_serves_maillon_in_production_behind_a_tls_proxy(collected, tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = processes.env(
        **PRODUCTION,
        STATIC_ROOT=str(collected),
        BEHIND_HTTPS_PROXY="true",
        WEB_CONCURRENCY="2",
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proxy = {"Host": "maillon.example.com", "X-Forwarded-Proto": "https"}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"{base}/accounts/login/", headers=proxy, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert page.status_code == 200, log.read_text()
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert "Secure" in page.headers["Set-Cookie"]

        # Static files carry their content's hash and are cached for ever.
        stylesheet = re.search(r'href="(/static/css/maillon\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, page.text[:2000]
        css = httpx.get(base + stylesheet.group(1), headers=proxy, timeout=5)
        assert css.status_code == 200
        assert "immutable" in css.headers["Cache-Control"]

        # Plain http from outside the proxy is sent to https.
        plain = httpx.get(f"{base}/accounts/login/", headers={"Host": "maillon.example.com"})
        assert plain.status_code == 301
        assert plain.headers["Location"] == "https://maillon.example.com/accounts/login/"

        # A feed's token never reaches the access log.
        token = "S3cr3t-feed-token-that-must-not-be-logged"
        assert httpx.get(f"{base}/feeds/{token}.ics", headers=proxy).status_code == 404
    finally:
        processes.stop(server)
    written = log.read_text()
    assert f"/feeds/{MASK}.ics" in written
    assert token not in written


def test_django_log_lines_mask_the_addresses_that_are_credentials():
    import logging

    from calendar_project.redaction import RedactSecrets

    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/feeds/t0k.ics",), None
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == f"Not Found: /feeds/{MASK}.ics"
