"""What a calendar feed says: RFC 5545/7986 text that three independent parsers read the
same way, one event per post with a UID for life, SEQUENCE and DTSTAMP that follow the
post, UTC times right on both sides of a clock change, campaign spans and key dates."""

import datetime as dt

import pytest
from django.conf import settings

from planner.calendar_feeds import content, ical
from planner.models import Post
from planner.posts import scheduling, writing
from tests.planner.calendar_feeds import ical_lint
from tests.planner.calendar_feeds.feed_helpers import (
    LONG_TEXT,
    NOW,
    Plan,
    by_icalendar,
    by_icaljs,
    by_vobject,
    paris,
    subscribe,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def plan(cast, other, clock):
    return Plan(cast, other)


@pytest.fixture
def feed(client, cast, plan):
    """The whole workspace's feed, as the content manager's link gives it."""
    response = client.get(subscribe(cast.content, cast.workspace))
    assert response.status_code == 200
    return response.content


def uid(post: Post) -> str:
    return f"{post.uid}@maillon"


def post_url(post: Post) -> str:
    return f"{settings.SITE_URL}/posts/{post.pk}/"


# --- the text passes our lint, and the lint can fail -------------------------------------------


def test_the_feed_passes_our_lint(feed, plan):
    assert ical_lint.problems(feed, posts={uid(post) for post in plan.shown_posts}) == []


def test_every_line_ends_in_crlf_and_stays_within_75_octets(feed):
    lines = feed.split(b"\r\n")
    assert lines[-1] == b""
    assert max(len(line) for line in lines) <= 75
    assert b"\n" not in feed.replace(b"\r\n", b"")
    # The long, accented, emoji-laden text was folded, and each piece is whole UTF-8.
    assert sum(line.startswith(b" ") for line in lines) > 10
    for line in lines:
        line.decode("utf-8")


def test_the_calendar_names_itself_asks_hourly_refresh_and_has_no_method(feed):
    head = feed.split(b"BEGIN:VEVENT")[0].decode()
    assert head.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert "CALSCALE:GREGORIAN\r\n" in head
    assert "NAME:Acme · The whole workspace\r\n" in head
    assert "X-WR-CALNAME:Acme · The whole workspace\r\n" in head
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in head
    assert "X-PUBLISHED-TTL:PT1H\r\n" in head
    assert b"METHOD" not in feed
    assert b"TZID" not in feed and b"VTIMEZONE" not in feed


@pytest.mark.parametrize(
    "bad, problem",
    [
        (b"METHOD:PUBLISH\r\n", "METHOD is present"),
        (b"X-LONG:" + b"x" * 80 + b"\r\n", "octets long"),
        (b"X-BARE:lf\n", "bare LF"),
    ],
)
def test_our_lint_catches_what_it_looks_for(feed, bad, problem):
    broken = feed.replace(b"CALSCALE:GREGORIAN\r\n", b"CALSCALE:GREGORIAN\r\n" + bad)
    assert any(problem in p for p in ical_lint.problems(broken))


def test_our_lint_catches_an_event_without_uid_or_a_split_character(feed, plan):
    no_uid = feed.replace(b"UID:", b"X-UID:", 1)
    assert any("0 UID instead of one" in p for p in ical_lint.problems(no_uid))
    no_url = feed.replace(f"URL:{post_url(plan.approved)}\r\n".encode(), b"")
    assert ical_lint.problems(no_url, posts={uid(plan.approved)}) == [
        f"VEVENT {uid(plan.approved)} has 0 URL instead of one"
    ]
    split = feed.replace(b"SUMMARY:Approved one", "SUMMARY:Approved é".encode()[:-1] + b"\r\n x")
    assert any("character split" in p for p in ical_lint.problems(split))


# --- three parsers read the same events --------------------------------------------------------


def expected(plan) -> dict[str, dict]:
    launch_description = (
        "Status: Draft\nChannels: Bluesky, main; news, Mastodon\n"
        'Campaign: Spring, "linen"; 2027\n\n'
        + LONG_TEXT[: content.TEXT_EXCERPT]
        + "…\n\n"
        + post_url(plan.launch)
    )
    return {
        uid(plan.launch): {
            "summary": "Launch: colours, linen; \\o/",
            "description": launch_description,
            "start": "2027-03-12T09:00:00Z",  # 10:00 in Paris, winter time
            "end": "2027-03-12T09:15:00Z",
            "status": "TENTATIVE",
            "sequence": 0,
            "categories": ['Spring, "linen"; 2027', "Bluesky, main; news", "Mastodon"],
            "url": post_url(plan.launch),
        },
        uid(plan.untitled): {
            "summary": "A short note without a title",
            "start": "2027-03-20T14:30:00Z",
            "status": "TENTATIVE",
            "categories": ["Bluesky, main; news"],
        },
        uid(plan.approved): {"status": "CONFIRMED", "summary": "Approved one"},
        uid(plan.cancelled): {"status": "CANCELLED"},
        uid(plan.in_review): {"status": "TENTATIVE"},
        f"campaign-{plan.spring.pk}@127.0.0.1": {
            "summary": 'Campaign: Spring, "linen"; 2027',
            "start": "2027-03-10",
            "end": "2027-04-06",  # the day after the last one: DTEND is exclusive
            "status": "CONFIRMED",
            "categories": ['Spring, "linen"; 2027'],
        },
        f"{plan.fair.uid}@maillon": {
            "summary": "Trade fair, hall 3",
            "description": "Stand B12; bring the samples.",
            "start": "2027-03-15",
            "end": "2027-03-18",
            "categories": ["Key date", "Trade shows"],
            "sequence": 0,
        },
        f"{plan.press_call.uid}@maillon": {
            "summary": "Press call",
            "description": None,
            "start": "2027-03-18T14:00:00Z",
            "end": "2027-03-18T15:00:00Z",
            "categories": ["Key date"],
        },
    }


def check(events: dict[str, dict], plan) -> None:
    wanted = expected(plan)
    assert set(events) == set(wanted)
    for key, fields in wanted.items():
        found = {name: events[key][name] for name in fields}
        assert found == fields, key


def test_icalendar_reads_every_event_as_meant(feed, plan):
    check(by_icalendar(feed), plan)


def test_vobject_reads_every_event_as_meant(feed, plan):
    check(by_vobject(feed), plan)


def test_ical_js_on_node_reads_every_event_as_meant(feed, plan, tmp_path):
    calendar, events = by_icaljs(feed, tmp_path)
    check(events, plan)
    assert calendar["version"] == "2.0"
    assert calendar["name"] == calendar["wrCalname"] == "Acme · The whole workspace"
    assert calendar["refresh"] == "PT1H"
    assert calendar["method"] is None


def test_a_post_stamps_its_last_change_not_the_request_time(client, cast, plan, clock):
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(hours=3))
    events = by_icalendar(client.get(path).content)
    assert events[uid(plan.launch)]["dtstamp"] == "2027-03-01T09:00:00Z"
    assert plan.launch.updated_at == NOW


# --- UID for life, SEQUENCE that grows ---------------------------------------------------------


def test_a_rescheduled_post_keeps_its_uid_and_raises_its_sequence(client, cast, plan, clock):
    path = subscribe(cast.content, cast.workspace)
    before = by_icalendar(client.get(path).content)[uid(plan.launch)]
    clock.shift(dt.timedelta(hours=1))
    scheduling.post_reschedule(
        actor=cast.content, post=plan.launch, scheduled_at=paris(2027, 3, 13, 11, 0)
    )
    after = by_icalendar(client.get(path).content)
    assert uid(plan.launch) in after
    moved = after[uid(plan.launch)]
    assert moved["sequence"] == before["sequence"] + 1
    assert moved["start"] == "2027-03-13T10:00:00Z"
    assert moved["dtstamp"] == "2027-03-01T10:00:00Z"


def test_an_edited_post_keeps_its_uid_and_raises_its_sequence(client, cast, plan, clock):
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(minutes=5))
    writing.post_edit(
        actor=cast.content,
        post=plan.untitled,
        expected_version=1,
        title="Now with a title",
        body="Changed.",
        variants={plan.bluesky.pk: ""},
    )
    event = by_icalendar(client.get(path).content)[uid(plan.untitled)]
    assert (event["summary"], event["sequence"]) == ("Now with a title", 1)


def test_the_uids_are_the_same_from_one_request_to_the_next(client, cast, plan):
    path = subscribe(cast.content, cast.workspace)
    assert list(by_icalendar(client.get(path).content)) == list(
        by_icalendar(client.get(path).content)
    )


def test_the_services_raise_the_sequence_on_every_content_change_and_move(cast, plan, clock):
    post = plan.untitled
    steps = [
        lambda: writing.post_edit(
            actor=cast.content,
            post=post,
            expected_version=post.version,
            title="",
            body="Edited once.",
            variants={plan.bluesky.pk: ""},
        ),
        lambda: scheduling.post_reschedule(
            actor=cast.content, post=post, scheduled_at=paris(2027, 3, 21, 9, 0)
        ),
        lambda: writing.post_save(
            actor=cast.content,
            post=post,
            expected_version=post.version,
            title="Both at once",
            body="Edited twice.",
            variants={plan.bluesky.pk: ""},
            scheduled_at=paris(2027, 3, 22, 9, 0),
            campaign=None,
            assignee=None,
            labels=[],
        ),
    ]
    seen = [Post.objects.get(pk=post.pk).sequence]
    for step in steps:
        step()
        post.refresh_from_db()
        seen.append(post.sequence)
    # The editor's save of text and time together is a content change and a move.
    assert seen == [0, 1, 2, 4]


def test_a_change_of_planning_details_only_keeps_the_sequence(cast, plan):
    writing.post_update_details(
        actor=cast.content, post=plan.untitled, campaign=plan.spring, assignee=None, labels=[]
    )
    plan.untitled.refresh_from_db()
    assert plan.untitled.sequence == 0


# --- time: UTC, right across the clock changes -------------------------------------------------


@pytest.mark.parametrize(
    "local, utc",
    [
        (paris(2027, 3, 27, 10, 0), "2027-03-27T09:00:00Z"),  # the day before summer time
        (paris(2027, 3, 29, 10, 0), "2027-03-29T08:00:00Z"),  # the day after
        (paris(2027, 10, 30, 10, 0), "2027-10-30T08:00:00Z"),  # the day before winter time
        (paris(2027, 11, 1, 10, 0), "2027-11-01T09:00:00Z"),  # the day after
    ],
)
def test_ten_in_paris_is_the_right_utc_on_both_sides_of_a_clock_change(
    client, cast, clock, tmp_path, local, utc
):
    post = writing.post_create(
        actor=cast.content,
        workspace=cast.workspace,
        title="Ten o'clock",
        body="x",
        scheduled_at=local,
    )
    data = client.get(subscribe(cast.content, cast.workspace)).content
    assert f"DTSTART:{utc.replace('-', '').replace(':', '')}\r\n".encode() in data
    for events in (by_icalendar(data), by_vobject(data), by_icaljs(data, tmp_path)[1]):
        assert events[uid(post)]["start"] == utc


# --- the writer on its own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, escaped",
    [
        ("a,b;c\\d", "a\\,b\\;c\\\\d"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("bell\x07 and tab\tstay", "bell and tab\tstay"),
        ("plain", "plain"),
    ],
)
def test_text_is_escaped_as_rfc_5545_says(value, escaped):
    assert ical.text(value) == escaped


@pytest.mark.parametrize("line", ["x" * 200, "é" * 100, "DESCRIPTION:" + "🧵" * 50, "a" * 74 + "é"])
def test_folding_never_exceeds_75_octets_nor_splits_a_character(line):
    pieces = ical.fold(line).split("\r\n")
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert pieces[0] + "".join(piece[1:] for piece in pieces[1:]) == line


def test_a_time_with_an_offset_is_written_in_utc():
    assert ical.utc(paris(2027, 7, 14, 10, 30)) == "20270714T083000Z"
