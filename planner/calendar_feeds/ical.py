"""iCalendar text (RFC 5545, with RFC 7986's calendar properties), written by hand.

A feed of 5,000 posts is one answer: the ``icalendar`` library takes about 0.15 ms per
event to serialise (it builds an object per property and value), which alone would be
most of a second. Here an event is a handful of f-strings: TEXT values are escaped,
every line is folded at 75 octets without splitting a UTF-8 character, lines end in
CRLF. Times are always UTC (``...Z``), so no VTIMEZONE is ever needed. Pure: no
database, no settings; ``planner.calendar_feeds.content`` decides what goes in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

LINE_OCTETS = 75  # RFC 5545 §3.1: lines SHOULD NOT be longer, excluding the CRLF
CRLF = "\r\n"

# TEXT values (RFC 5545 §3.3.11): a backslash, a semicolon and a comma are escaped, a
# line break becomes "\n"; the other control characters are not allowed at all. Chained
# str.replace (C loops) is several times faster than str.translate on long texts.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text(value: str) -> str:
    """A TEXT value, escaped (CRLF and a lone CR count as line breaks)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\n", "\\n")
    if not value.isprintable():  # a tab, a control character, or a rare Unicode one
        value = _CONTROL.sub("", value)
    return value


def text_list(values: Iterable[str]) -> str:
    """A multi-valued TEXT property (CATEGORIES): each escaped, joined by bare commas."""
    return ",".join(text(v) for v in values)


def utc(value: dt.datetime) -> str:
    """A DATE-TIME in UTC form, ``20270328T080000Z`` (aware datetimes only)."""
    if value.utcoffset():
        value = value.astimezone(dt.UTC)
    return (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"T{value.hour:02d}{value.minute:02d}{value.second:02d}Z"
    )


def date(value: dt.date) -> str:
    """A DATE, ``20270328``."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def fold(line: str) -> str:
    """One content line, folded (RFC 5545 §3.1) into pieces of at most 75 octets, each
    continuation starting with a space, never inside a UTF-8 character."""
    if line.isascii():  # one octet per character: cut the text itself
        if len(line) <= LINE_OCTETS:
            return line
        rest = range(LINE_OCTETS, len(line), LINE_OCTETS - 1)
        return "\r\n ".join([line[:LINE_OCTETS], *(line[i : i + LINE_OCTETS - 1] for i in rest)])
    raw = line.encode()
    if len(raw) <= LINE_OCTETS:
        return line
    pieces = []
    start, room = 0, LINE_OCTETS
    while start < len(raw):
        end = start + room
        if end < len(raw):
            # Back off to the first byte of a character (continuation bytes are 10xxxxxx).
            while (raw[end] & 0xC0) == 0x80:
                end -= 1
        pieces.append(raw[start:end].decode())
        start, room = end, LINE_OCTETS - 1  # the leading space takes one octet
    return "\r\n ".join(pieces)


class Writer:
    """Content lines in order; ``bytes()`` gives the UTF-8 text with CRLF line ends."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, content: str) -> None:
        """A line already in ``NAME[;PARAM=...]:value`` form, folded here."""
        self.lines.append(fold(content))

    def calendar_start(self, *, prodid: str, name: str, refresh: str = "PT1H") -> None:
        add = self.lines.append
        add("BEGIN:VCALENDAR")
        add("VERSION:2.0")
        add(fold(f"PRODID:{text(prodid)}"))
        add("CALSCALE:GREGORIAN")
        add(fold(f"NAME:{text(name)}"))
        add(fold(f"X-WR-CALNAME:{text(name)}"))
        # RFC 7986 §5.7 makes VALUE=DURATION required; X-PUBLISHED-TTL is Microsoft's.
        add(f"REFRESH-INTERVAL;VALUE=DURATION:{refresh}")
        add(f"X-PUBLISHED-TTL:{refresh}")

    def calendar_end(self) -> None:
        self.lines.append("END:VCALENDAR")

    def __bytes__(self) -> bytes:
        return (CRLF.join(self.lines) + CRLF).encode()
