"""`make test`: run pytest with a Redis, starting a private one if none answers.

Usage: python -m calendar_project.testrun [pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from calendar_project import localredis

BASE_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    # The tests' settings (development on, tests/settings.py), not the project's that
    # importing calendar_project (its Celery app) has just put in the environment.
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env.setdefault("OUTBOUND_ALLOW_LOOPBACK", "true")  # the network stand-ins on 127.0.0.1
    # Database 15 of a shared local Redis keeps test marks away from a dev run's.
    url = localredis.configured_or_local(db=15)
    private = None
    if url is None:
        url, private = localredis.start_private(BASE_DIR / "data" / "redis-test", db=15)
        print(f"No Redis on 127.0.0.1:6379: started a private one at {url}.")
    env["REDIS_URL"] = url
    db = env.get("DATABASE_URL") or "SQLite (default)"
    print(f"Tests use database {db.split('@')[-1]} and Redis {url}.", flush=True)
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=BASE_DIR, env=env)
    finally:
        if private is not None:
            private.terminate()
            private.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
