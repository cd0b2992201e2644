"""Two texts side by side: which lines changed, and within a changed line which words.

Pure (difflib). The result is rows of a two-column table, Before and After, each
cell cut into pieces that are the same, deleted or inserted, so a template marks
them with <del> and <ins> (never colour alone)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest

SAME, DELETED, INSERTED = "same", "del", "ins"

# Words, runs of spaces, and single punctuation marks: "new," and "new." differ by
# one mark, not by the word.
TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Piece:
    kind: str  # SAME, DELETED or INSERTED
    text: str


@dataclass(frozen=True)
class Row:
    """One line of each side; None where that side has no line (added or removed)."""

    before: tuple[Piece, ...] | None
    after: tuple[Piece, ...] | None


@dataclass(frozen=True)
class TextDiff:
    rows: tuple[Row, ...]
    changed: bool


def _merge(pieces: list[Piece]) -> tuple[Piece, ...]:
    merged: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if merged and merged[-1].kind == piece.kind:
            merged[-1] = Piece(piece.kind, merged[-1].text + piece.text)
        else:
            merged.append(piece)
    return tuple(merged)


# Below this share of words in common, a line was rewritten rather than edited: it
# reads better as one deletion and one insertion than as a confetti of words.
REWRITTEN = 0.5


def _words(before: str, after: str) -> Row:
    """A changed line, word by word (or whole, when rewritten)."""
    a, b = TOKEN.findall(before), TOKEN.findall(after)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < REWRITTEN:
        return Row(_whole(DELETED, before), _whole(INSERTED, after))
    left: list[Piece] = []
    right: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(Piece(SAME, "".join(a[i1:i2])))
            right.append(Piece(SAME, "".join(b[j1:j2])))
            continue
        left.append(Piece(DELETED, "".join(a[i1:i2])))
        right.append(Piece(INSERTED, "".join(b[j1:j2])))
    return Row(_merge(left), _merge(right))


def _whole(kind: str, line: str) -> tuple[Piece, ...]:
    return (Piece(kind, line),)


def side_by_side(before: str, after: str) -> TextDiff:
    """``before`` and ``after`` line by line, changed lines word by word."""
    a, b = before.splitlines(), after.splitlines()
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(Row(_whole(SAME, x), _whole(SAME, x)) for x in a[i1:i2])
        elif tag == "delete":
            rows.extend(Row(_whole(DELETED, x), None) for x in a[i1:i2])
        elif tag == "insert":
            rows.extend(Row(None, _whole(INSERTED, x)) for x in b[j1:j2])
        else:
            for old, new in zip_longest(a[i1:i2], b[j1:j2]):
                if old is None:
                    rows.append(Row(None, _whole(INSERTED, new)))
                elif new is None:
                    rows.append(Row(_whole(DELETED, old), None))
                else:
                    rows.append(_words(old, new))
    return TextDiff(rows=tuple(rows), changed=before != after)
