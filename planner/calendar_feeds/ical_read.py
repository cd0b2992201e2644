"""Key dates out of an iCalendar file: checked, expanded over a window, converted.

Pure: bytes in, occurrences out, no database. ``planner.calendar_feeds.key_dates`` stores them.

* The file is checked whole before anything is kept: one broken event refuses the file,
  with its line and summary, so that an import never keeps half a calendar.
* Recurring events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) are expanded by the
  ``recurring-ical-events`` package over ``WINDOW_BEFORE`` .. ``WINDOW_AFTER`` around today,
  at most ``MAX_OCCURRENCES`` occurrences; X-WR-TIMEZONE (Google's exports) is honoured.
* Bounded work: a rule that can never happen (``BYMONTH=2;BYMONTHDAY=31``, a BYYEARDAY of
  400) is refused before expansion, by looking at it; and expansion is bounded by what
  dateutil really does, its candidate periods (a day, a week, a month or a year it looks at,
  whether or not one matches): at most ``SERIES_BUDGET`` per series and ``FILE_BUDGET`` for
  the file. dateutil looks for the first match of a rule that matches nothing until the year
  9999: about 2.9 million days, 6 s of CPU, for ``FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=31``.
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
import threading
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

import dateutil.rrule
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
# Candidate periods dateutil may look at (see the module's docstring): a daily series since
# 1970 is 21,000, a yearly one since 1601 (Outlook's) 430; 100,000 costs about 0.25 s of CPU
# (2 cores), and a file at most about 2.5 s.
SERIES_BUDGET = 100_000
FILE_BUDGET = 1_000_000
TITLE_MAX = 300
DESCRIPTION_MAX = 2000
UID_MAX = 500
PROBLEMS_SHOWN = 3  # in the message
PROBLEMS_KEPT = 200  # listed on the import's page
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


Progress = Callable[[int, int], None]


class FileErrors(Invalid):
    """The file's events have errors: the message names the first few, ``problems``
    lists each (where, and what), for the import's page."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


def read(data: bytes, window: Window, progress: Progress | None = None) -> list[Occurrence]:
    """The occurrences of the file's events that fall in ``window``; raises ``Invalid``
    with a message for a person when the file is not a calendar or has a broken event, or
    a repeating event that would take too long to expand. ``progress(done, total)`` is told
    of each series expanded."""
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
        raise FileErrors(
            _("Nothing was imported: the file has errors. %(problems)s") % {"problems": shown},
            problems[:PROBLEMS_KEPT],
        )
    recurring = _name_events(events)
    where = {
        str(event["UID"]): (layout.where(index, event, "RRULE"), _rule_text(event["RRULE"]))
        for index, event in enumerate(events)
        if "RRULE" in event
    }
    return _expand(calendar, recurring, window, where, progress)


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
        problem = _rule_problem(rule)
        if problem:
            return [("RRULE", problem)]
    return []


# The parts of a rule that hold numbers, and the values each may take (0 is never one).
_RANGES = {
    "BYMONTH": (1, 12, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYHOUR": (0, 23, False),
    "BYMINUTE": (0, 59, False),
    "BYSECOND": (0, 60, False),
}


def _rule_text(rules: icalendar.vRecur | list[icalendar.vRecur]) -> str:
    rules = rules if isinstance(rules, list) else [rules]
    return " / ".join(rule.to_ical().decode(errors="replace") for rule in rules)[:200]


def _rule_problem(rule: icalendar.vRecur) -> str:
    """Why a repeat rule is refused without expanding it: a number out of its range, or
    days that no year has (the months, days of the month and days of the year it asks for,
    looked at in a common and in a leap year). "" when it may happen."""
    text = _rule_text(rule)
    numbers: dict[str, set[int]] = {}
    for part, (low, high, negative) in _RANGES.items():
        values = rule.get(part)
        if values is None:
            continue
        try:
            found = {int(v) for v in (values if isinstance(values, list) else [values])}
        except (TypeError, ValueError):
            found = {low - 1}
        wrong = sorted(
            v for v in found if not (low <= v <= high or (negative and -high <= v <= -low))
        )
        if wrong:
            return _("%(part)s=%(value)s is out of range in its repeat rule (%(rule)s)") % {
                "part": part,
                "value": wrong[0],
                "rule": text,
            }
        numbers[part] = found
    if not numbers.keys() & {"BYMONTH", "BYMONTHDAY", "BYYEARDAY"}:
        return ""
    for length in (365, 366):
        first = dt.date(2023 if length == 365 else 2024, 1, 1)
        for offset in range(length):
            day = first + dt.timedelta(days=offset)
            month_length = (
                (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            ).day
            if (
                ("BYMONTH" not in numbers or day.month in numbers["BYMONTH"])
                and (
                    "BYMONTHDAY" not in numbers
                    or numbers["BYMONTHDAY"] & {day.day, day.day - month_length - 1}
                )
                and (
                    "BYYEARDAY" not in numbers
                    or numbers["BYYEARDAY"] & {offset + 1, offset - length}
                )
            ):
                return ""
    return _("its repeat rule can never happen: no year has such a day (%(rule)s)") % {"rule": text}


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


class _TooLong(Exception):
    """The budget of candidate periods is spent (raised from inside dateutil)."""

    def __init__(self, whole_file: bool) -> None:
        super().__init__()
        self.whole_file = whole_file


class _Budget(threading.local):
    series_left: int | None = None  # None: not counting (dateutil used elsewhere)
    file_left = 0


_budget = _Budget()


def _spend() -> None:
    if _budget.series_left is None:
        return
    _budget.series_left -= 1
    _budget.file_left -= 1
    if _budget.file_left < 0:
        raise _TooLong(whole_file=True)
    if _budget.series_left < 0:
        raise _TooLong(whole_file=False)


class _CountingIterInfo(dateutil.rrule._iterinfo):
    """dateutil's helper of ``rrule._iter``, which asks it for each candidate period (the
    set of days of a year, month, week or day) whether or not a day of it matches: counting
    those calls counts the work, where counting occurrences counts nothing for a rule that
    never matches. Installed once in the module (``rrule._iter`` looks the class up there
    at each expansion); it counts only inside ``_expand``, in its own thread."""

    def ydayset(self, year, month, day):
        _spend()
        return super().ydayset(year, month, day)

    def mdayset(self, year, month, day):
        _spend()
        return super().mdayset(year, month, day)

    def wdayset(self, year, month, day):
        _spend()
        return super().wdayset(year, month, day)

    def ddayset(self, year, month, day):
        _spend()
        return super().ddayset(year, month, day)


dateutil.rrule._iterinfo = _CountingIterInfo


def _expand(
    calendar: icalendar.Calendar,
    recurring: set[str],
    window: Window,
    where: dict[str, str],
    progress: Progress | None = None,
) -> list[Occurrence]:
    """Series by series, each a generator over the window (with a day of margin either side
    for floating times), so that the work stops at MAX_OCCURRENCES, and within the budgets
    of candidate periods. (The query's ``after`` would sort them all, but crawls in
    quarter-hour steps through a long event.)"""
    found: dict[tuple[str, str], Occurrence] = {}
    start = dt.datetime.combine(window.first_day - dt.timedelta(days=1), dt.time.min)
    stop = dt.datetime.combine(window.last_day + dt.timedelta(days=2), dt.time.min)
    uid = ""
    _budget.file_left = FILE_BUDGET
    try:
        _budget.series_left = SERIES_BUDGET
        all_series = list(recurring_ical_events.of(calendar).series)
        for done, series in enumerate(all_series):
            if progress is not None:
                progress(done, len(all_series))
            uid = str(series.uid)
            _budget.series_left = SERIES_BUDGET
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
    except _TooLong as exc:
        if exc.whole_file:
            raise Invalid(
                _(
                    "The repeating events of this file would take too long to expand: "
                    "nothing was imported. Import a calendar with fewer or simpler ones."
                )
            ) from None
        raise Invalid(
            _(
                "Nothing was imported: %(where)s: this repeating event would take too long "
                "to expand, its rule (%(rule)s) matches too few of the days it goes "
                "through. Correct or remove its RRULE."
            )
            % dict(zip(("where", "rule"), where.get(uid, (uid[:80], "")), strict=True))
        ) from None
    except EXPANSION_ERRORS as exc:
        raise Invalid(
            _("The recurring events could not be expanded: %(reason)s. Nothing was imported.")
            % {"reason": _short(exc)}
        ) from None
    finally:
        _budget.series_left = None
    if progress is not None:
        progress(len(all_series), len(all_series))
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
