"""`make run`: prepare the database and run web, worker and beat (and Redis if needed)
in the foreground under one process manager, with the demo networks that the demo
channels publish to (calendar_project/demo_networks.py). Ctrl-C stops them all.

Usage: python -m calendar_project.devrun [--port 8000] [--networks-port 8025]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

from honcho.manager import Manager

from calendar_project import localredis

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_LOGINS = ["admin", "marketing", "content", "contributor", "viewer"]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo workspace")
    parser.add_argument(
        "--networks-port",
        type=int,
        default=8025,
        help="port of the demo networks; a new demo's channels point at it (default 8025)",
    )
    parser.add_argument("--no-networks", action="store_true", help="do not start the demo networks")
    options = parser.parse_args()
    networks_url = f"http://127.0.0.1:{options.networks_port}"

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "calendar_project.settings")
    env.setdefault("DEBUG", "true")  # development: off unless asked for (settings.py)
    env.setdefault("OUTBOUND_ALLOW_LOOPBACK", "true")  # the demo networks on 127.0.0.1
    if not options.no_networks:  # Bluesky videos go to the demo networks' video service
        env.setdefault("BLUESKY_VIDEO_SERVICE_URL", f"{networks_url}/bluesky")
    env["PYTHONUNBUFFERED"] = "1"
    manager = Manager()

    redis_url = localredis.configured_or_local()
    if redis_url is None:
        port = localredis.free_port()
        redis_url = f"redis://127.0.0.1:{port}/0"
        command = localredis.private_server_command(port, BASE_DIR / "data" / "redis")
        manager.add_process("redis", subprocess.list2cmdline(command), env=env, cwd=str(BASE_DIR))
        print(f"No Redis on 127.0.0.1:6379: starting a private one on port {port}.")
    env["REDIS_URL"] = redis_url

    manage("migrate", "--no-input", env=env)
    if not options.no_demo:
        manage("seed_demo", "--if-empty", f"--networks-url={networks_url}", env=env)

    python = subprocess.list2cmdline([sys.executable])
    networks = not options.no_networks
    if networks and not port_is_free(options.networks_port):
        # Honcho stops everything when one process exits: better to run without.
        print(f"Port {options.networks_port} is busy: the demo networks are not started.")
        networks = False
    if networks:
        manager.add_process(
            "networks",
            f"{python} -m calendar_project.demo_networks --port {options.networks_port}",
            env=env,
            cwd=str(BASE_DIR),
        )
    manager.add_process(
        "web",
        f"{python} manage.py runserver 127.0.0.1:{options.port} --noreload",
        env=env,
        cwd=str(BASE_DIR),
    )
    manager.add_process(
        "worker",
        f"{python} -m celery -A calendar_project worker --loglevel=INFO --concurrency=2",
        env=env,
        cwd=str(BASE_DIR),
    )
    manager.add_process(
        "beat",
        f"{python} -m celery -A calendar_project beat --loglevel=INFO",
        env=env,
        cwd=str(BASE_DIR),
    )

    print()
    print(f"  Maillon is starting on http://127.0.0.1:{options.port}/")
    if not options.no_demo:
        logins = ", ".join(f"{name}@maillon.test" for name in DEMO_LOGINS)
        print(f"  Demo logins (password maillon-demo): {logins}")
    if networks:
        print(f"  Demo networks (what the demo channels published): {networks_url}/")
    print(f"  Health: http://127.0.0.1:{options.port}/healthz   Stop: Ctrl-C")
    print()
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
