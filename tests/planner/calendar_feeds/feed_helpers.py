"""What the feed tests share: a team's plan with every kind of event, subscribing, and
three independent parsers (Python's icalendar and vobject, Mozilla's ical.js on Node)
reading a feed into the same plain shape."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zoneinfo
from pathlib import Path

import icalendar
import vobject
from django.urls import reverse

from planner.calendar_feeds import links
from planner.models import KeyDate, KeyDateSource
from planner.posts import actions, writing
from tests.factories import CampaignFactory, ChannelFactory, PostFactory

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NODE = Path(sys.executable).parent / "node"
ICALJS_SCRIPT = Path(__file__).with_name("parse_ical.mjs")

LONG_TEXT = (
    "Our linen collection is out, in seven colours; each one dyed by hand.\n"
    "Come and see it at the shop, or online: https://example.test/linen?x=1,2\n"
    "Ümlauts, accents (é, ç), a backslash \\ and emoji 🧵🎉 too. " + "Every thread counts. " * 60
)


def feed_path(token: str) -> str:
    return reverse("planner:feed", args=[token])


def subscribe(user, workspace, scope: str = "workspace", **fields) -> str:
    """A new feed link of ``user``: its address's path."""
    _link, token = links.feed_link_create(actor=user, workspace=workspace, scope=scope, **fields)
    return feed_path(token)


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


class Plan:
    """Acme's plan at NOW: posts in every shape (text that needs escaping and folding,
    no title, each status), a campaign, all-day and timed key dates, and things a feed
    must leave out (too far, no time, another workspace)."""

    def __init__(self, cast, other) -> None:
        ws = cast.workspace
        self.cast = cast
        self.mastodon = ChannelFactory(workspace=ws, name="Mastodon")
        self.bluesky = ChannelFactory(workspace=ws, kind="bluesky", name="Bluesky, main; news")
        self.spring = CampaignFactory(
            workspace=ws,
            name='Spring, "linen"; 2027',
            starts_on=dt.date(2027, 3, 10),
            ends_on=dt.date(2027, 4, 5),
        )
        self.spring.channels.add(self.mastodon)
        both = {self.mastodon.pk: "", self.bluesky.pk: ""}
        self.launch = writing.post_create(
            actor=cast.content,
            workspace=ws,
            title="Launch: colours, linen; \\o/",
            body=LONG_TEXT,
            variants=both,
            campaign=self.spring,
            scheduled_at=paris(2027, 3, 12, 10, 0),
        )
        self.untitled = writing.post_create(
            actor=cast.content,
            workspace=ws,
            body="A short note without a title\nand a second line.",
            variants={self.bluesky.pk: ""},
            scheduled_at=paris(2027, 3, 20, 15, 30),
        )
        self.approved = writing.post_create(
            actor=cast.content,
            workspace=ws,
            title="Approved one",
            body="Ready to go.",
            variants={self.mastodon.pk: ""},
            scheduled_at=paris(2027, 3, 22, 9, 0),
        )
        actions.post_submit(actor=cast.content, post=self.approved)
        actions.post_decide(
            actor=cast.marketing,
            post=self.approved,
            decision="approve",
            expected_version=1,
            step_position=1,
        )
        self.cancelled = writing.post_create(
            actor=cast.content,
            workspace=ws,
            title="Cancelled one",
            body="Not any more.",
            variants={self.mastodon.pk: ""},
            scheduled_at=paris(2027, 3, 23, 9, 0),
        )
        actions.post_cancel(actor=cast.content, post=self.cancelled)
        self.in_review = writing.post_create(
            actor=cast.content,
            workspace=ws,
            title="Waiting for marketing",
            body="Please approve.",
            variants={self.mastodon.pk: ""},
            scheduled_at=paris(2027, 3, 24, 9, 0),
        )
        actions.post_submit(actor=cast.content, post=self.in_review)
        self.too_far = PostFactory(
            workspace=ws,
            author=cast.content,
            title="Next year",
            scheduled_at=NOW + dt.timedelta(days=400),
            channels=[self.mastodon],
        )
        self.no_time = PostFactory(
            workspace=ws, author=cast.content, title="Some day", scheduled_at=None
        )
        self.elsewhere = PostFactory(
            workspace=other.workspace, author=other.content, title="Globex secret"
        )
        source = KeyDateSource.objects.create(workspace=ws, name="Trade shows")
        self.fair = KeyDate.objects.create(
            workspace=ws,
            source=source,
            external_uid="fair",
            title="Trade fair, hall 3",
            description="Stand B12; bring the samples.",
            all_day=True,
            starts_on=dt.date(2027, 3, 15),
            ends_on=dt.date(2027, 3, 17),
        )
        self.press_call = KeyDate.objects.create(
            workspace=ws,
            title="Press call",
            all_day=False,
            starts_at=dt.datetime(2027, 3, 18, 14, 0, tzinfo=dt.UTC),
            ends_at=dt.datetime(2027, 3, 18, 15, 0, tzinfo=dt.UTC),
        )
        self.far_key_date = KeyDate.objects.create(
            workspace=ws,
            title="Far away",
            starts_on=dt.date(2029, 1, 1),
            ends_on=dt.date(2029, 1, 1),
        )
        for post in (self.launch, self.untitled, self.approved, self.cancelled, self.in_review):
            post.refresh_from_db()

    @property
    def shown_posts(self):
        return [self.launch, self.untitled, self.approved, self.cancelled, self.in_review]


# --- three parsers, one shape ----------------------------------------------------------------


def _when(value) -> str:
    if isinstance(value, dt.datetime):
        assert value.utcoffset() == dt.timedelta(0), value
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def by_icalendar(data: bytes) -> dict[str, dict]:
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar.errors == []
    events = {}
    for event in calendar.walk("VEVENT"):
        assert event.errors == [], event.errors
        categories = event.get("CATEGORIES")
        if categories is None:
            names = []
        else:
            lists = categories if isinstance(categories, list) else [categories]
            names = [str(c) for item in lists for c in item.cats]
        events[str(event["UID"])] = {
            "summary": str(event["SUMMARY"]),
            "description": str(event.get("DESCRIPTION", "")) or None,
            "start": _when(event.decoded("DTSTART")),
            "end": _when(event.decoded("DTEND")),
            "status": str(event["STATUS"]),
            "sequence": int(event["SEQUENCE"]) if "SEQUENCE" in event else None,
            "categories": names,
            "url": str(event["URL"]) if "URL" in event else None,
            "dtstamp": _when(event.decoded("DTSTAMP")),
        }
    return events


def by_vobject(data: bytes) -> dict[str, dict]:
    calendar = vobject.readOne(data.decode())
    events = {}
    for event in calendar.vevent_list:
        contents = event.contents
        events[event.uid.value] = {
            "summary": event.summary.value,
            "description": event.description.value if "description" in contents else None,
            "start": _when(event.dtstart.value),
            "end": _when(event.dtend.value),
            "status": event.status.value,
            "sequence": int(event.sequence.value) if "sequence" in contents else None,
            "categories": [c for line in contents.get("categories", []) for c in line.value],
            "url": event.url.value if "url" in contents else None,
            "dtstamp": _when(event.dtstamp.value),
        }
    return events


def by_icaljs(data: bytes, folder: Path) -> tuple[dict, dict[str, dict]]:
    """Mozilla's ical.js, on Node (not Python at all): the calendar and its events."""
    path = folder / "feed.ics"
    path.write_bytes(data)
    done = subprocess.run(
        [str(NODE), str(ICALJS_SCRIPT), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calendar = json.loads(done.stdout)

    def when(value):
        if value is None:
            return None
        if "date" in value:
            return value["date"]
        return value["utc"].replace(".000Z", "Z")

    events = {
        event["uid"]: {
            "summary": event["summary"],
            "description": event["description"],
            "start": when(event["start"]),
            "end": when(event["end"]),
            "status": event["status"],
            "sequence": event["sequence"],
            "categories": event["categories"],
            "url": event["url"],
            "dtstamp": when(event["dtstamp"]),
        }
        for event in calendar.pop("events")
    }
    return calendar, events
