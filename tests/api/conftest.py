"""API clients: each carries a real token of one person in one workspace."""

from __future__ import annotations

import pytest
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


@pytest.fixture
def api_as(cast):
    """``api_as(cast.marketing)``: a token client of that person in the cast's workspace."""

    def build(user, workspace=None, **kwargs):
        return make_client(user, workspace or cast.workspace, **kwargs)

    return build
