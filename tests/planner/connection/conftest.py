from __future__ import annotations

import pytest

from tests.planner.connection.networks import SITE, install_apis, oauth_apps, provider
from tests.planner.connection.stand_ins import oauth_server, x_api


@pytest.fixture(scope="session")
def network_provider():
    """The real authorization server, with one app per network coming back to SITE."""
    with provider(SITE) as server:
        yield server


@pytest.fixture
def networks(settings, httpserver, network_provider):
    """Maillon configured with the networks' apps; their APIs stand in on httpserver."""
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "maillon.test"]
    settings.OAUTH_APPS = oauth_apps(network_provider, httpserver.url_for("/"))
    install_apis(httpserver, network_provider)
    return network_provider


__all__ = ["oauth_server", "x_api"]
