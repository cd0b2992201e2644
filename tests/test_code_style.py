"""The code is ruff clean (format and lint), imports run one way (import-linter) and no
module uses another's private names: part of `make test` so CI holds the line."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).parent / "ruff"


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(command):
    result = subprocess.run(
        [str(RUFF), *command], cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- imports -------------------------------------------------------------------------------

OUR_PACKAGES = ("planner", "accounts", "api", "calendar_project", "tests", "bench")


def _python_files():
    for package in OUR_PACKAGES:
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            if "migrations" not in path.parts and "node_modules" not in path.parts:
                yield path


def _is_our_module(dotted: str) -> bool:
    path = BASE_DIR.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_imports_another_modules_private_names():
    """Ruff's PLC2701 only sees names taken from another top-level package; this sees them
    between modules of one package too (``from planner.x import _y``, ``x._y``)."""
    found = []
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        modules = {}  # local name -> one of our modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] not in OUR_PACKAGES:
                    continue
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{path.relative_to(BASE_DIR)}:{node.lineno} {alias.name}")
                    elif _is_our_module(f"{node.module}.{alias.name}"):
                        modules[alias.asname or alias.name] = node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in OUR_PACKAGES and alias.asname:
                        modules[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and _private(node.attr)
            ):
                found.append(f"{path.relative_to(BASE_DIR)}:{node.lineno} {node.attr}")
    assert not found, "Private names used outside their module:\n" + "\n".join(found)


def test_imports_run_one_way():
    """The layers of planner/ (pyproject.toml, ``[tool.importlinter]``): no capability
    imports one above it, and no circle comes back."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-logo", "--no-cache"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
