"""What the adapter tests share. The local HTTP stand-in (pytest-httpserver's
``httpserver``) listens on 127.0.0.1, as tests/conftest.py sets."""

from collections.abc import Iterator

import httpx
import pytest

from planner import outbound
from tests.peers.file_server import file_server  # noqa: F401 - a fixture


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """The engine's own HTTP client (public addresses only, no redirect, no proxy;
    loopback allowed for the tests' stand-ins), with short timeouts."""
    with outbound.client(timeout=httpx.Timeout(2.0, connect=1.0)) as client:
        yield client
