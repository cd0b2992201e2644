"""What the adapter tests share. The local HTTP stand-in (pytest-httpserver's
``httpserver``) listens on 127.0.0.1, as tests/conftest.py sets."""

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """An HTTP client with short timeouts, as the adapters get from the engine."""
    with httpx.Client(timeout=httpx.Timeout(2.0, connect=1.0)) as client:
        yield client
