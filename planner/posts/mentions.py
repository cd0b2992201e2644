"""@mentions in comments: whom a comment names, and its text cut into plain parts and
mentions (to highlight them).

A mention is ``@`` followed by a member's email local part (``@camille`` for
camille@acme.test), or by their whole email, in any case. Only the members given
count: an unknown handle stays plain text. A local part two members share is
ambiguous, so only the whole email names them. An ``@`` inside a word (``a@b.c``
in running text) is not a mention. Pure: the caller passes the members
(``members_of_workspace`` reads them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from accounts.models import User


class Person(Protocol):
    pk: int | None
    email: str


# "@" not preceded by a character of an address or a word; the handle ends on a
# word character, so "@camille." and "@camille," name camille. An optional
# "@domain.tld" makes it a whole email.
MENTION = re.compile(r"(?<![\w.+@-])@([\w.+-]*\w(?:@[\w-]+(?:\.[\w-]+)+)?)")

EXCERPT = 200


@dataclass(frozen=True)
class Part:
    text: str
    person: Person | None = None  # the member this part mentions; None: plain text


class Directory:
    """The members who can be mentioned, found by handle or email (any case)."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.people = sorted(people, key=lambda p: p.email.lower())
        self._by_email = {p.email.lower(): p for p in self.people}
        by_local: dict[str, list[Person]] = {}
        for person in self.people:
            by_local.setdefault(_local(person.email), []).append(person)
        self._by_local = {k: v[0] for k, v in by_local.items() if len(v) == 1}

    def find(self, handle: str) -> Person | None:
        handle = handle.lower()
        if "@" in handle:
            return self._by_email.get(handle)
        return self._by_local.get(handle)

    def handle_of(self, person: Person) -> str:
        """How to mention ``person``: their local part, or their email when shared."""
        local = _local(person.email)
        owner = self._by_local.get(local)
        shared = owner is None or owner.email.lower() != person.email.lower()
        return person.email.lower() if shared else local

    @property
    def handles(self) -> list[str]:
        return sorted(self.handle_of(p) for p in self.people)


def _local(email: str) -> str:
    return email.rsplit("@", 1)[0].lower()


def split(text: str, directory: Directory) -> list[Part]:
    """``text`` as plain parts and mentions of known members, in order."""
    parts: list[Part] = []
    start = 0
    for match in MENTION.finditer(text):
        person = directory.find(match.group(1))
        if person is None:
            continue
        if match.start() > start:
            parts.append(Part(text[start : match.start()]))
        parts.append(Part(match.group(0), person))
        start = match.end()
    if start < len(text):
        parts.append(Part(text[start:]))
    return parts


def mentioned(text: str, directory: Directory) -> list[Person]:
    """The members ``text`` mentions, each once, in the order first mentioned."""
    seen: dict[str, Person] = {}
    for part in split(text, directory):
        if part.person is not None:
            seen.setdefault(part.person.email.lower(), part.person)
    return list(seen.values())


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def members_of_workspace(workspace_id: int) -> Directory:
    """The workspace's active members, ready to be mentioned."""
    return Directory(
        User.objects.filter(memberships__workspace_id=workspace_id, is_active=True).order_by(
            "email"
        )
    )
