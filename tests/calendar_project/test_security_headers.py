"""The headers that keep a page from being framed, sniffed, or made to run a foreign script."""

import json

import pytest

from tests.calendar_project.test_settings import PRODUCTION, run_manage


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.django_db
def test_every_page_forbids_scripts_not_served_by_maillon_itself(client, cast):
    client.force_login(cast.admin)
    for url in ("/", "/calendar/", "/accounts/profile/"):
        policy = directives(client.get(url))
        assert policy["script-src"] == ["'self'"], url
        assert "'unsafe-inline'" not in policy.get("script-src", [])
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["base-uri"] == ["'self'"]


@pytest.mark.django_db
def test_the_sign_in_page_cannot_be_framed_or_sniffed(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert directives(response)["frame-ancestors"] == ["'none'"]


PROBE = """
import json
from django.conf import settings
from django.test import Client
secure = Client().get('/healthz', secure=True, headers={'host': 'maillon.example.com'})
plain = Client().get('/accounts/login/', headers={'host': 'maillon.example.com'})
print(json.dumps({
    'hsts': secure.headers.get('Strict-Transport-Security'),
    'cookies_secure': [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    'cookies_httponly': [settings.SESSION_COOKIE_HTTPONLY, settings.CSRF_COOKIE_HTTPONLY],
    'plain_status': plain.status_code,
    'plain_location': plain.headers.get('Location'),
}))
"""


def test_production_sends_hsts_secure_cookies_and_redirects_plain_http():
    result = run_manage("shell", "-c", PROBE, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["cookies_secure"] == [True, True]
    assert seen["cookies_httponly"] == [True, True]
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://maillon.example.com/accounts/login/"
