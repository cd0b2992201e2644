"""`make run`: prepare the database and run web, worker and beat (and Redis if needed)
in the foreground under one process manager. Ctrl-C stops them all.

Usage: python -m calendar_project.devrun [--port 8000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from honcho.manager import Manager

from calendar_project import localredis

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_LOGINS = ["admin", "marketing", "content", "contributor", "viewer"]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo workspace")
    options = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "calendar_project.settings")
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
        manage("seed_demo", "--if-empty", env=env)

    python = subprocess.list2cmdline([sys.executable])
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
    print(f"  Health: http://127.0.0.1:{options.port}/healthz   Stop: Ctrl-C")
    print()
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
