"""Key dates out of an iCalendar file: checked, expanded over a window, converted.

Pure: bytes in, occurrences out, no database. ``planner.services.key_dates`` stores them.

* The file is checked whole before anything is kept: one broken event refuses the file,
  with its line and summary, so that an import never keeps half a calendar.
* Recurring events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) are expanded by the
  ``recurring-ical-events`` package over ``WINDOW_BEFORE`` .. ``WINDOW_AFTER`` around today,
  at most ``MAX_OCCURRENCES`` occurrences; X-WR-TIMEZONE (Google's exports) is honoured.
* Times: a TZID (with its VTIMEZONE, or an IANA or Windows name) is converted to UTC; a
  floating time is read in the workspace's zone; dates stay dates (all-day, DTEND is
  exclusive in iCalendar and our ``ends_on`` inclusive; no DTEND is one day).
* An event without UID gets a stable one derived from its summary and start, so that
  importing the same file again updates it instead of adding it twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from dataclasses import dataclass

import icalendar
import recurring_ical_events
from django.utils.translation import gettext as _

from planner.errors import Invalid

# The import window around today (constants: a change of window needs a re-import anyway).
WINDOW_BEFORE = dt.timedelta(days=365)
WINDOW_AFTER = dt.timedelta(days=730)
MAX_OCCURRENCES = 5000
# Key dates are days and hours: a rule repeating every minute or second is a mistake, and
# expanding one can keep a request busy for minutes.
TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY"})
TITLE_MAX = 300
DESCRIPTION_MAX = 2000
UID_MAX = 500
PROBLEMS_SHOWN = 3
# What the parsers may raise on a stranger's file besides their own errors (ValueErrors):
# dateutil's rules, for one, fail in many ways on odd input.
EXPANSION_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError, ArithmeticError)


@dataclass(frozen=True)
class Occurrence:
    external_uid: str
    recurrence_id: str  # the occurrence's original start for a recurring event, else ""
    title: str
    description: str
    all_day: bool
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None  # inclusive
    starts_at: dt.datetime | None = None  # UTC
    ends_at: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.external_uid, self.recurrence_id


@dataclass(frozen=True)
class Window:
    first_day: dt.date
    last_day: dt.date
    zone: zoneinfo.ZoneInfo

    @classmethod
    def around(cls, today: dt.date, zone: zoneinfo.ZoneInfo) -> Window:
        return cls(today - WINDOW_BEFORE, today + WINDOW_AFTER, zone)

    @property
    def starts(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=self.zone)

    @property
    def ends(self) -> dt.datetime:  # exclusive
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, self.zone)


def read(data: bytes, window: Window) -> list[Occurrence]:
    """The occurrences of the file's events that fall in ``window``; raises ``Invalid``
    with a message for a person when the file is not a calendar or has a broken event."""
    text = _decode(data)
    layout = _Layout(text)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except EXPANSION_ERRORS as exc:
        raise Invalid(
            _("The file could not be read as a calendar: %(reason)s") % {"reason": _short(exc)}
        ) from None
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not events:
        raise Invalid(_("This calendar holds no events: nothing was imported."))
    problems = [
        f"{layout.where(index, event, name)}: {problem}"
        for index, event in enumerate(events)
        for name, problem in _problems(event)
    ]
    if problems:
        shown = "; ".join(problems[:PROBLEMS_SHOWN])
        more = len(problems) - PROBLEMS_SHOWN
        if more > 0:
            shown += " " + _("(and %(count)s more)") % {"count": more}
        raise Invalid(
            _("Nothing was imported: the file has errors. %(problems)s") % {"problems": shown}
        )
    recurring = _name_events(events)
    return _expand(calendar, recurring, window)


# --- reading the bytes ----------------------------------------------------------------------


def _decode(data: bytes) -> str:
    head = data[:1024]
    if b"\x00" in head or head.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8", b"%PDF", b"PK")):
        raise Invalid(
            _("This is not an iCalendar file: it looks like an image or another binary file.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Old exports from desktop programs: Windows-1252 rather than UTF-8.
        text = data.decode("cp1252", errors="replace")
    start = text.lstrip()[:15].upper()
    if not start:
        raise Invalid(_("The file is empty."))
    if start.startswith("<"):
        raise Invalid(_("This is a web page (HTML), not an iCalendar file (.ics)."))
    if not start.startswith("BEGIN:VCALENDAR"):
        raise Invalid(_("This is not an iCalendar file: it should begin with BEGIN:VCALENDAR."))
    return text


def _short(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


class _Layout:
    """Where each event of the calendar begins, and where its properties are, in lines of
    the file as an editor numbers them; and the nesting of BEGIN and END, checked here
    because the parser accepts an END that closes something else."""

    _NAME = re.compile(r"^([A-Za-z0-9-]+)[;:]")

    def __init__(self, text: str) -> None:
        self.events: list[tuple[int, dict[str, int]]] = []
        self.calendars = 0
        stack: list[tuple[str, int]] = []
        # Numbered as an editor does: CRLF, LF or CR ends a line (str.splitlines knows more).
        for number, line in enumerate(re.split(r"\r\n|\n|\r", text), 1):
            if not line.strip() or line[0] in " \t":  # blank, or folded onto the one before
                continue
            match = self._NAME.match(line)
            name = match.group(1).upper() if match else ""
            value = line.split(":", 1)[1].strip().upper() if ":" in line else ""
            if name == "BEGIN":
                if not stack and self.calendars:
                    raise Invalid(
                        _("Line %(line)s: a second calendar begins. Import one calendar per file.")
                        % {"line": number}
                    )
                self.calendars += not stack
                stack.append((value, number))
                if value == "VEVENT" and len(stack) == 2:
                    self.events.append((number, {}))
            elif name == "END":
                if not stack:
                    raise Invalid(
                        _("Line %(line)s: END:%(name)s closes nothing. Nothing was imported.")
                        % {"line": number, "name": value}
                    )
                if stack[-1][0] != value:
                    raise Invalid(
                        _(
                            "Line %(line)s: END:%(found)s where END:%(expected)s was expected "
                            "(BEGIN:%(expected)s is on line %(begins)s). Nothing was imported."
                        )
                        % {
                            "line": number,
                            "found": value,
                            "expected": stack[-1][0],
                            "begins": stack[-1][1],
                        }
                    )
                stack.pop()
            elif stack and stack[-1][0] == "VEVENT" and len(stack) == 2 and name:
                self.events[-1][1].setdefault(name, number)
        if stack:
            raise Invalid(
                _("Line %(line)s: BEGIN:%(name)s is never closed (END:%(name)s is missing).")
                % {"line": stack[-1][1], "name": stack[-1][0]}
            )

    def where(self, index: int, event: icalendar.Event, name: str | None) -> str:
        begins, properties = self.events[index] if index < len(self.events) else (0, {})
        line = properties.get(name or "", begins)
        summary = str(event.get("SUMMARY", "")).strip()[:80]
        if summary:
            return _("Line %(line)s (event “%(summary)s”)") % {"line": line, "summary": summary}
        return _("Line %(line)s (an event without summary)") % {"line": line}


# --- checking each event --------------------------------------------------------------------


def _problems(event: icalendar.Event) -> list[tuple[str | None, str]]:
    """(property, what is wrong) for each problem of one event; empty when it is fine."""
    found: list[tuple[str | None, str]] = [
        (
            name,
            _("%(property)s cannot be read (%(reason)s)")
            % {"property": name or _("a line"), "reason": str(reason)[:120]},
        )
        for name, reason in event.errors
    ]
    if found:
        return found
    start = event.get("DTSTART")
    if start is None:
        return [(None, _("it has no start (DTSTART)"))]
    unknown = _unknown_zone(start)
    if unknown:
        return [
            (
                "DTSTART",
                _("its time zone “%(zone)s” is not defined in the file") % {"zone": unknown},
            )
        ]
    end = event.get("DTEND")
    if end is not None:
        if _unknown_zone(end):
            return [
                (
                    "DTEND",
                    _("its time zone “%(zone)s” is not defined in the file")
                    % {"zone": _unknown_zone(end)},
                )
            ]
        if isinstance(start.dt, dt.datetime) != isinstance(end.dt, dt.datetime):
            return [("DTEND", _("its start and end mix a date and a date with a time"))]
        if _comparable(end.dt) < _comparable(start.dt):
            return [("DTEND", _("it ends before it starts"))]
    rules = event.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        if not rule.get("FREQ"):
            return [("RRULE", _("its repeat rule (RRULE) has no FREQ"))]
        if set(rule["FREQ"]) & TOO_FREQUENT:
            return [("RRULE", _("it repeats more often than every hour"))]
    return []


def _unknown_zone(prop: icalendar.vDDDTypes) -> str:
    """The TZID a time names but nobody could resolve (it was read as a floating time)."""
    tzid = prop.params.get("TZID")
    value = prop.dt
    if tzid and isinstance(value, dt.datetime) and value.tzinfo is None:
        return str(tzid)
    return ""


def _comparable(value: dt.date) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _name_events(events: list[icalendar.Event]) -> set[str]:
    """Give each event without UID a stable one; return the UIDs of recurring series."""
    recurring = set()
    for event in events:
        uid = str(event.get("UID", "")).strip()
        if not uid:
            start = event["DTSTART"]
            seed = "\n".join(
                [
                    str(event.get("SUMMARY", "")).strip(),
                    start.params.get("TZID", ""),
                    start.to_ical().decode(),
                ]
            )
            uid = "derived-" + hashlib.sha256(seed.encode()).hexdigest()[:32]
        elif len(uid) > UID_MAX:
            uid = "sha256-" + hashlib.sha256(uid.encode()).hexdigest()
        event["UID"] = uid
        if any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID")):
            recurring.add(uid)
    return recurring


# --- expanding ------------------------------------------------------------------------------


def _expand(calendar: icalendar.Calendar, recurring: set[str], window: Window) -> list[Occurrence]:
    """Series by series, each a generator over the window (with a day of margin either side
    for floating times), so that the work stops at MAX_OCCURRENCES. (The query's ``after``
    would sort them all, but crawls in quarter-hour steps through a long event.)"""
    found: dict[tuple[str, str], Occurrence] = {}
    start = dt.datetime.combine(window.first_day - dt.timedelta(days=1), dt.time.min)
    stop = dt.datetime.combine(window.last_day + dt.timedelta(days=2), dt.time.min)
    try:
        for series in recurring_ical_events.of(calendar).series:
            for match in series.between(start, stop):
                component = match.as_component(False)
                if str(component.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                occurrence = _occurrence(component, recurring, window.zone)
                if not _in_window(occurrence, window):
                    continue
                found[occurrence.key] = occurrence
                if len(found) > MAX_OCCURRENCES:
                    raise Invalid(
                        _(
                            "The calendar has more than %(max)s dates between %(first)s and "
                            "%(last)s: nothing was imported. Import a calendar of key dates "
                            "rather than a busy agenda."
                        )
                        % {
                            "max": MAX_OCCURRENCES,
                            "first": window.first_day,
                            "last": window.last_day,
                        }
                    )
    except EXPANSION_ERRORS as exc:
        raise Invalid(
            _("The recurring events could not be expanded: %(reason)s. Nothing was imported.")
            % {"reason": _short(exc)}
        ) from None
    return sorted(found.values(), key=lambda o: (o.starts_on or o.starts_at.date(), o.key))


def _utc(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if value.tzinfo is None:  # floating: the workspace's wall clock
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


def _occurrence(
    component: icalendar.Event, recurring: set[str], zone: zoneinfo.ZoneInfo
) -> Occurrence:
    uid = str(component["UID"])
    start = component["DTSTART"].dt
    end = component["DTEND"].dt if "DTEND" in component else start
    recurrence_id = ""
    if uid in recurring and "RECURRENCE-ID" in component:
        original = component["RECURRENCE-ID"].dt
        recurrence_id = (
            _utc(original, zone).strftime("%Y-%m-%dT%H:%M:%SZ")
            if isinstance(original, dt.datetime)
            else original.isoformat()
        )
    common = {
        "external_uid": uid,
        "recurrence_id": recurrence_id,
        "title": str(component.get("SUMMARY", "")).strip()[:TITLE_MAX] or _("Untitled date"),
        "description": str(component.get("DESCRIPTION", "")).strip()[:DESCRIPTION_MAX],
    }
    if not isinstance(start, dt.datetime):
        last = end - dt.timedelta(days=1) if isinstance(end, dt.date) else start
        return Occurrence(**common, all_day=True, starts_on=start, ends_on=max(start, last))
    starts_at = _utc(start, zone)
    ends_at = _utc(end, zone) if isinstance(end, dt.datetime) else starts_at
    return Occurrence(**common, all_day=False, starts_at=starts_at, ends_at=max(starts_at, ends_at))


def _in_window(occurrence: Occurrence, window: Window) -> bool:
    if occurrence.all_day:
        return occurrence.ends_on >= window.first_day and occurrence.starts_on <= window.last_day
    return occurrence.ends_at >= window.starts and occurrence.starts_at < window.ends
