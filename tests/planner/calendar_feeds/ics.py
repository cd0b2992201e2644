"""iCalendar files written out by hand for the key dates tests, as calendar programs
export them: CRLF line ends, a VTIMEZONE where a zone is named."""

from __future__ import annotations

NEW_YORK_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Eastern Time (US & Canada)
BEGIN:STANDARD
DTSTART:19671029T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19870405T020000
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
END:DAYLIGHT
END:VTIMEZONE"""


def vevent(*lines: str, uid: str | None = None, summary: str | None = None) -> str:
    head = []
    if uid is not None:
        head.append(f"UID:{uid}")
    head.append("DTSTAMP:20270101T000000Z")
    if summary is not None:
        head.append(f"SUMMARY:{summary}")
    return "\n".join(["BEGIN:VEVENT", *head, *lines, "END:VEVENT"])


def calendar(*components: str, header: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Maillon tests//EN"]
    if header:
        lines.append(header)
    text = "\n".join([*lines, *components, "END:VCALENDAR"])
    return ("\r\n".join(text.splitlines()) + "\r\n").encode()


def holidays(*extra: str, christmas: str = "Christmas", whit_monday: bool = True) -> bytes:
    """A public-holiday calendar: two yearly all-day dates and a one-off."""
    events = [
        vevent(
            "DTSTART;VALUE=DATE:20000714",
            "RRULE:FREQ=YEARLY",
            uid="bastille@holidays.test",
            summary="Bastille Day",
        ),
        vevent(
            "DTSTART;VALUE=DATE:20001225",
            "DTEND;VALUE=DATE:20001226",
            "RRULE:FREQ=YEARLY",
            uid="christmas@holidays.test",
            summary=christmas,
        ),
    ]
    if whit_monday:
        events.append(
            vevent(
                "DTSTART;VALUE=DATE:20270517",
                uid="whit-monday-2027@holidays.test",
                summary="Whit Monday",
            )
        )
    return calendar(*events, *extra)
