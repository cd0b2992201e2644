"""Compile the translation catalogues (locale/*/LC_MESSAGES/*.po) into .mo files.

Django's `compilemessages` needs GNU gettext's msgfmt, which a machine with only
Python lacks; Babel reads and writes the same formats in pure Python. A catalogue
with a syntax error stops the install with the file and line, rather than leaving
the site half in English.

Usage: python -m calendar_project.messages
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale"


def compile_catalogue(po_path: Path) -> Path:
    mo_path = po_path.with_suffix(".mo")
    with po_path.open("rb") as source:
        catalogue = read_po(source, abort_invalid=True)
    with mo_path.open("wb") as target:
        # Fuzzy entries are guesses nobody checked: they stay out, as with msgfmt.
        write_mo(target, catalogue, use_fuzzy=False)
    return mo_path


def main() -> int:
    catalogues = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    for po_path in catalogues:
        try:
            compile_catalogue(po_path)
        except PoFileError as exc:
            print(f"{po_path.relative_to(BASE_DIR)}: {exc}", file=sys.stderr)
            return 1
    print(f"Compiled {len(catalogues)} translation catalogue(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
