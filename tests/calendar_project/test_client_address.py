"""The person's address behind the TLS proxy: for the lockout and the audit trail."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from calendar_project.client_address import client_address
from planner.models import AuditEvent
from tests.factories import PASSWORD

PROXY = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.fixture
def behind_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = PROXY


def request(**meta):
    return RequestFactory().get("/", **meta)


def test_without_a_proxy_the_connections_address_counts_whatever_the_headers_say(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    forged = request(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert client_address(forged) == "198.51.100.7"


def test_behind_the_proxy_the_address_it_appended_counts(behind_proxy):
    seen = request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.7")
    # The leftmost was written by the client itself: only the proxy's own entry is trusted.
    assert client_address(seen) == "198.51.100.7"


def test_a_header_that_is_not_an_address_falls_back_to_the_connection(behind_proxy):
    assert client_address(request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="x")) == (
        "127.0.0.1"
    )


@pytest.mark.django_db
def test_behind_the_proxy_one_persons_failures_never_lock_a_colleague_out(
    behind_proxy, settings, cast
):
    settings.AXES_FAILURE_LIMIT = 3
    through_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "https"}
    attacker = Client(**through_proxy, HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _n in range(3):
        attacker.post("/accounts/login/", {"username": cast.viewer.email, "password": "x"})
    assert (
        attacker.post(
            "/accounts/login/", {"username": cast.viewer.email, "password": PASSWORD}
        ).status_code
        == 429
    )
    colleague = Client(**through_proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    response = colleague.post(
        "/accounts/login/", {"username": cast.viewer.email, "password": PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_behind_the_proxy_the_audit_trail_records_the_persons_address(behind_proxy, client, cast):
    client.force_login(cast.admin)
    client.post(
        "/publishing/pause/",
        {"reason": "Crisis", "confirmed": "yes"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        secure=True,
    )
    event = AuditEvent.objects.get(workspace=cast.workspace, action="publishing.pause")
    assert event.ip_address == "198.51.100.7"
