"""Our own lint of an iCalendar feed (a test helper): what RFC 5545 and RFC 7986 require
and what Maillon promises, checked line by line. ``icalendar``'s ``validate()`` checks
little, and parsers are lenient, so the rules are written out here.

``problems(data, posts=...)`` returns a list of sentences; a good feed gives []. ``posts``
are the UIDs of the events that stand for posts, which must carry more (their SEQUENCE,
DESCRIPTION, URL and LAST-MODIFIED) than a campaign's or a key date's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection

UTC_TIME = re.compile(r"^\d{8}T\d{6}Z$")
DATE = re.compile(r"^\d{8}$")
# A backslash in TEXT starts one of the four escapes, nothing else.
ESCAPE = re.compile(r"\\[\\;,nN]")
TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "NAME", "X-WR-CALNAME", "CATEGORIES", "PRODID"}

CALENDAR_ONCE = {
    "PRODID",
    "VERSION",
    "CALSCALE",
    "NAME",
    "X-WR-CALNAME",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
}
EVENT_REQUIRED = {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "STATUS", "TRANSP"}
EVENT_ALLOWED = EVENT_REQUIRED | {
    "LAST-MODIFIED",
    "SEQUENCE",
    "DESCRIPTION",
    "CATEGORIES",
    "URL",
}
# A post's event has all of these (a campaign's or a key date's may lack some).
POST_REQUIRED = EVENT_REQUIRED | {"SEQUENCE", "DESCRIPTION", "URL", "LAST-MODIFIED"}


def physical_lines(data: bytes) -> tuple[list[str], list[str]]:
    found = []
    if not data.endswith(b"\r\n"):
        found.append("the text does not end with CRLF")
    if b"\n" in data.replace(b"\r\n", b"") or b"\r" in data.replace(b"\r\n", b""):
        found.append("a line ends with a bare LF or CR")
    lines = []
    for number, raw in enumerate(data.split(b"\r\n")[:-1], start=1):
        if len(raw) > 75:
            found.append(f"line {number} is {len(raw)} octets long")
        try:
            # Each physical line decodes on its own: no character was split by folding.
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            found.append(f"line {number} is not UTF-8 on its own (a character split)")
            lines.append(raw.decode("utf-8", "replace"))
    return lines, found


def unfold(lines: list[str]) -> list[str]:
    logical: list[str] = []
    for line in lines:
        if line.startswith((" ", "\t")) and logical:
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def split(line: str) -> tuple[str, dict[str, str], str]:
    """``NAME;P=V:value`` (no quoted parameters in what we write)."""
    head, _colon, value = line.partition(":")
    name, *params = head.split(";")
    return name.upper(), dict(p.split("=", 1) for p in params), value


def problems(data: bytes, posts: Collection[str] = ()) -> list[str]:
    lines, found = physical_lines(data)
    components: list[tuple[str, list[tuple[str, dict, str]]]] = []
    stack: list[tuple[str, list]] = []
    for line in unfold(lines):
        if not line:
            found.append("an empty line")
            continue
        name, params, value = split(line)
        if name == "BEGIN":
            stack.append((value, []))
            continue
        if name == "END":
            if not stack or stack[-1][0] != value:
                found.append(f"END:{value} does not close what is open")
                continue
            components.append(stack.pop())
            continue
        if not stack:
            found.append(f"{name} outside any component")
            continue
        if value == "":
            found.append(f"{name} has an empty value")
        if name == "METHOD":
            found.append("METHOD is present (a subscription feed has none)")
        if "TZID" in params:
            found.append(f"{name} has a TZID (times are UTC)")
        if name in TEXT_PROPERTIES and "\\" in ESCAPE.sub("", value):
            found.append(f"{name} has a backslash that escapes nothing: {value[:40]!r}")
        stack[-1][1].append((name, params, value))
    if stack:
        found.append(f"{stack[-1][0]} is never closed")
    calendars = [c for c in components if c[0] == "VCALENDAR"]
    if len(calendars) != 1:
        return [*found, f"{len(calendars)} VCALENDAR instead of one"]
    found += _calendar(calendars[0][1])
    uids = Counter()
    for kind, properties in components:
        if kind == "VEVENT":
            found += _event(properties, posts)
            uids.update(value for name, _p, value in properties if name == "UID")
        elif kind != "VCALENDAR":
            found.append(f"an unexpected {kind}")
    found += [f"UID {uid} appears {n} times" for uid, n in uids.items() if n > 1]
    return found


def _calendar(properties: list) -> list[str]:
    found = []
    names = Counter(name for name, _p, _v in properties)
    for name in CALENDAR_ONCE:
        if names[name] != 1:
            found.append(f"VCALENDAR has {names[name]} {name} instead of one")
    values = {name: (params, value) for name, params, value in properties}
    if values.get("VERSION", ({}, ""))[1] != "2.0":
        found.append("VERSION is not 2.0")
    if values.get("CALSCALE", ({}, ""))[1] != "GREGORIAN":
        found.append("CALSCALE is not GREGORIAN")
    params, value = values.get("REFRESH-INTERVAL", ({}, ""))
    if params.get("VALUE") != "DURATION" or value != "PT1H":
        found.append("REFRESH-INTERVAL is not ;VALUE=DURATION:PT1H")
    if values.get("X-PUBLISHED-TTL", ({}, ""))[1] != "PT1H":
        found.append("X-PUBLISHED-TTL is not PT1H")
    if values.get("NAME", ({}, ""))[1] != values.get("X-WR-CALNAME", ({}, ""))[1]:
        found.append("NAME and X-WR-CALNAME differ")
    return found


def _event(properties: list, posts: Collection[str]) -> list[str]:
    found = []
    names = Counter(name for name, _p, _v in properties)
    values = {name: (params, value) for name, params, value in properties}
    uid = values.get("UID", ({}, "?"))[1]
    required = POST_REQUIRED if uid in posts else set()
    for name in EVENT_REQUIRED | required:
        if names[name] != 1:
            found.append(f"VEVENT {uid} has {names[name]} {name} instead of one")
    for name in names:
        if name not in EVENT_ALLOWED:
            found.append(f"VEVENT {uid} has an unexpected {name}")
        elif names[name] > 1:
            found.append(f"VEVENT {uid} has {names[name]} {name}")
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        if name in values and not UTC_TIME.match(values[name][1]):
            found.append(f"VEVENT {uid}: {name} is not a UTC time")
    start, end = values.get("DTSTART"), values.get("DTEND")
    if start and end:
        if start[0].get("VALUE") == "DATE":
            if end[0].get("VALUE") != "DATE" or not (DATE.match(start[1]) and DATE.match(end[1])):
                found.append(f"VEVENT {uid}: an all-day DTSTART with a DTEND of another kind")
        elif not (UTC_TIME.match(start[1]) and UTC_TIME.match(end[1])):
            found.append(f"VEVENT {uid}: DTSTART or DTEND is not a UTC time")
        if end[1] <= start[1]:  # same-format strings sort like the times they name
            found.append(f"VEVENT {uid}: DTEND is not after DTSTART")
    if values.get("STATUS", ({}, ""))[1] not in ("TENTATIVE", "CONFIRMED", "CANCELLED"):
        found.append(f"VEVENT {uid}: STATUS is not one of an event's")
    if values.get("TRANSP", ({}, ""))[1] != "TRANSPARENT":
        found.append(f"VEVENT {uid}: not TRANSPARENT")
    if "SEQUENCE" in values and not values["SEQUENCE"][1].isdigit():
        found.append(f"VEVENT {uid}: SEQUENCE is not a number")
    return found
