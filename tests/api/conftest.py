"""API clients: each carries a real token of one person in one workspace."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from api import services


class TokenClient(APIClient):
    """A client that sends ``Authorization: Bearer <token>`` with every request."""

    def __init__(self, secret: str, token=None) -> None:
        super().__init__()
        self.secret, self.token = secret, token
        self.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")


def make_client(user, workspace, **kwargs) -> TokenClient:
    token, secret = services.api_token_create(
        actor=user, workspace=workspace, name=f"tests {user.email}", **kwargs
    )
    return TokenClient(secret, token)


@pytest.fixture(autouse=True)
def _english_after(request):
    """A token request switches the thread to its owner's language (no middleware does it
    for tokens); each request of a server begins afresh, but a test goes on in the same
    thread: back to English, so the next test does not run in French."""
    yield
    translation.deactivate()


@pytest.fixture
def api_as(cast):
    """``api_as(cast.marketing)``: a token client of that person in the cast's workspace."""

    def build(user, workspace=None, **kwargs):
        return make_client(user, workspace or cast.workspace, **kwargs)

    return build
