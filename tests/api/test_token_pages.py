"""The API tokens page: list, make (shown once), revoke after a confirmation."""

from __future__ import annotations

import pytest

from api.models import ApiToken
from tests.calendar_project.test_settings import run_manage

pytestmark = pytest.mark.django_db


def test_the_profile_links_to_the_tokens_page(client, cast):
    client.force_login(cast.viewer)
    assert b'href="/api/tokens/"' in client.get("/accounts/profile/").content


def test_the_page_says_when_there_are_no_tokens(client, cast):
    client.force_login(cast.viewer)
    response = client.get("/api/tokens/")
    assert response.status_code == 200
    assert b'data-testid="tokens-empty"' in response.content


def test_a_viewer_makes_a_token_and_sees_it_once(client, cast):
    client.force_login(cast.viewer)
    response = client.post("/api/tokens/", {"name": "Reporting"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=cast.viewer)
    secret = response.context["fresh"]["secret"]
    assert secret.encode() in response.content
    assert ApiToken.hash_token(secret) == token.token_hash
    again = client.get("/api/tokens/")
    assert secret.encode() not in again.content
    assert token.prefix.encode() in again.content


def test_a_token_without_a_name_is_refused_on_the_form(client, cast):
    client.force_login(cast.viewer)
    response = client.post("/api/tokens/", {"name": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_an_expiry_in_the_past_is_refused_on_its_field(client, cast):
    client.force_login(cast.viewer)
    response = client.post("/api/tokens/", {"name": "x", "expires_on": "2001-01-01"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_asks_first(client, cast):
    client.force_login(cast.content)
    client.post("/api/tokens/", {"name": "ci"})
    token = ApiToken.objects.get()
    response = client.post(f"/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 200
    assert b'data-testid="confirm-revoke"' in response.content
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_confirmed_revoke_stops_the_token(client, cast):
    client.force_login(cast.content)
    client.post("/api/tokens/", {"name": "ci"})
    token = ApiToken.objects.get()
    response = client.post(f"/api/tokens/{token.pk}/revoke/", {"confirmed": "yes"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_nobody_revokes_another_persons_token_from_the_page(client, cast):
    client.force_login(cast.content)
    client.post("/api/tokens/", {"name": "ci"})
    token = ApiToken.objects.get()
    client.force_login(cast.admin)
    response = client.post(f"/api/tokens/{token.pk}/revoke/", {"confirmed": "yes"})
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_page_needs_a_signed_in_person(client):
    assert client.get("/api/tokens/").status_code == 302


def test_a_signed_in_person_can_read_the_api_in_their_workspace(client, cast):
    client.force_login(cast.viewer)
    assert client.get("/api/v1/posts/").status_code == 200


def test_a_session_write_needs_the_csrf_token(cast):
    from tests.two_factor import VerifiedClient

    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(cast.content)  # with the second factor, as a real sign-in gives
    response = client.post("/api/v1/posts/", {"body": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_a_bad_rate_limit_stops_start_up_with_its_name():
    result = run_manage("check", DEBUG="true", API_RATE_PER_MINUTE="0")
    assert result.returncode != 0
    assert "API_RATE_PER_MINUTE=0 must be at least 1" in result.stderr
