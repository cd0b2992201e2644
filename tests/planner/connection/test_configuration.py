"""The operator's apps come from the environment; a half-set or bad value stops start-up
with a message that names the variable and says what to set."""

from __future__ import annotations

import pytest

from planner.channels.authorization import SPECS
from planner.connection.clients import app_for, callback_url
from tests.calendar_project.test_settings import run_manage


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"X_CLIENT_ID": "abc"}, "X_CLIENT_SECRET is missing: set both X_CLIENT_ID and"),
        ({"META_APP_SECRET": "s"}, "META_APP_ID is missing: set both META_APP_ID and"),
        (
            {"THREADS_OAUTH_TOKEN_URL": "graph.threads.test/token"},
            "THREADS_OAUTH_TOKEN_URL='graph.threads.test/token' must start with one of",
        ),
    ],
)
def test_a_half_set_app_or_a_bad_address_stops_start_up(env, said):
    result = run_manage("check", DEBUG="true", **env)
    assert result.returncode != 0
    assert said in result.stderr


def test_a_configured_app_starts(settings):
    result = run_manage(
        "check",
        DEBUG="true",
        LINKEDIN_CLIENT_ID="78abc",
        LINKEDIN_CLIENT_SECRET="WPL_AP1.secret",
        LINKEDIN_API_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 0, result.stderr


def test_an_app_without_overrides_uses_the_networks_own_addresses(settings):
    settings.OAUTH_APPS = {
        "x": {"client_id": "id", "client_secret": "s", "authorize_url": "", "token_url": ""}
    }
    app = app_for("x")
    assert app.authorize_url == "https://x.com/i/oauth2/authorize"
    assert app.token_url == "https://api.x.com/2/oauth2/token"
    assert not app.test_server
    assert app_for("linkedin") is None  # no id and secret: the pasted-token form stays


def test_the_callback_address_comes_from_site_url(settings):
    settings.SITE_URL = "https://maillon.example.com"
    assert callback_url("meta") == "https://maillon.example.com/channels/connect/meta/callback/"


def test_every_scope_says_why_maillon_needs_it():
    for spec in SPECS.values():
        assert spec.scopes
        for scope in spec.scopes:
            assert len(str(scope.why)) > 20, (spec.network, scope.name)
