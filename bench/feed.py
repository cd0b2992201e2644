"""Feed speed: how fast a calendar feed of 1,000 and 5,000 posts answers, against the
icalendar library's own serialisation of the same events, and how fast a 304 answers.

    .venv/bin/python bench/feed.py [--database-url URL] [--requests N]

The project runs for real under gunicorn, configured as in production (DEBUG off, behind
an HTTPS proxy), against a throw-away database (a new SQLite file in a temporary folder by
default, or a PostgreSQL database this script creates and drops). A calendar app asks for
a workspace's feed many times in a row, then again with the ETag it got (304); gunicorn's
access log gives the server time of each request. In this process, the icalendar library
serialises a Calendar built with the same events (``Calendar.to_ical()``), timed in the
same run. bench/README.md says what is measured and why. A missed target is reported,
not failed on: exit status 0.
"""
# ruff: noqa: E402 - the path must be fixed before anything imports the calendar module

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder would come first on sys.path, and bench/calendar.py
# would hide the standard library's calendar module from everything imported after it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
BASE_DIR = HERE.parent
sys.path.insert(0, str(BASE_DIR))

import argparse
import http.client
import random
import secrets
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from bench.calendar import Server, run_throwaway, server_arguments
from bench.publish_lag import pct, start_bench, table, wait_until, yes

# The targets, on a 2-core machine.
RATIO_TARGET = 1.3  # our p50 server time / icalendar's Calendar.to_ical() of the same events
NOT_MODIFIED_TARGET_MS = 10.0  # p50 server time of a 304

SIZES = (1000, 5000)
WARM_UP = 5
ICALENDAR_RUNS = 5  # to_ical() runs per size (the median is taken)

WORDS = (  # noqa: SIM905 - a sentence reads better than a column of words
    "spring collection launch behind the scenes our team new colours linen cotton workshop "
    "interview partner story video tips care guide sale weekend event fair stand visit "
    "thanks customers feedback recipe season garden light summer été façade cœur"
).split()
STATES = (
    ["draft"] * 8
    + ["in_review"] * 3
    + ["changes_requested"]
    + ["approved"] * 5
    + ["published"] * 2
    + ["cancelled"]
)


# --- the data ---------------------------------------------------------------------------


class World:
    """A workspace with its people, three channels, four campaigns and a year of key
    dates, made through the services; the posts are added in bulk (``add_posts``)."""

    def __init__(self, today: date) -> None:
        from accounts.models import Role
        from accounts.services import member_add, user_create, workspace_create
        from planner.models import KeyDate
        from planner.planning.services import campaign_save, channel_save

        self.today = today
        self.admin = user_create(email="admin@bench.test", password=None, full_name="Ada Admin")
        self.workspace = workspace_create(owner=self.admin, name="Bench")
        self.people = [self.admin]
        for i, role in enumerate([Role.MARKETING, Role.CONTENT_MANAGER, Role.CONTRIBUTOR]):
            person = user_create(email=f"person{i}@bench.test", password=None)
            member_add(actor=self.admin, workspace=self.workspace, user=person, role=role)
            self.people.append(person)
        self.channels = [
            channel_save(
                actor=self.admin,
                workspace=self.workspace,
                kind=kind,
                name=name,
                credentials={"access_token": secrets.token_hex(8)},
            )
            for kind, name in (
                ("mastodon", "Mastodon"),
                ("bluesky", "Bluesky"),
                ("linkedin", "LinkedIn page"),
            )
        ]
        self.campaigns = [
            campaign_save(
                actor=self.admin,
                workspace=self.workspace,
                name=name,
                starts_on=today + timedelta(days=offset),
                ends_on=today + timedelta(days=offset + length),
                channels=self.channels,
            )
            for name, offset, length in (
                ("Spring collection", -30, 60),
                ("Easter, part 2", 20, 10),
                ("Trade fair; hall 3", 100, 4),
                ("Summer news", 200, 60),
            )
        ]
        KeyDate.objects.bulk_create(
            KeyDate(
                workspace=self.workspace,
                title=f"Key date {i}",
                starts_on=today + timedelta(days=7 * i - 60),
                ends_on=today + timedelta(days=7 * i - 60 + i % 3),
            )
            for i in range(50)
        )
        self.posts = 0


def add_posts(world: World, count: int, rng: random.Random) -> None:
    """``count`` more posts across the feed's window (90 days back, 365 ahead), written
    straight to the tables: the services would take minutes, and the feed reads the same
    rows."""
    from planner.models import Post, Variant

    start = datetime.combine(world.today - timedelta(days=85), datetime.min.time(), UTC)
    span = timedelta(days=440).total_seconds()
    posts = []
    for _ in range(count):
        n = world.posts = world.posts + 1
        state = rng.choice(STATES)
        minutes = int(rng.random() * span / 60) // 15 * 15
        posts.append(
            Post(
                workspace=world.workspace,
                campaign=rng.choice([*world.campaigns, None]),
                title="" if n % 3 == 0 else f"Post {n}: {rng.choice(WORDS).title()}, again",
                body=f"Post {n}: " + " ".join(rng.choices(WORDS, k=rng.randint(8, 60))),
                scheduled_at=start + timedelta(minutes=minutes),
                state=state,
                author=rng.choice(world.people),
                approved_version=1 if state in ("approved", "published") else None,
                sequence=rng.randint(0, 4),
            )
        )
    posts = Post.objects.bulk_create(posts, batch_size=500)
    Variant.objects.bulk_create(
        (
            Variant(post=post, channel=channel)
            for post in posts
            for channel in rng.sample(world.channels, rng.randint(1, 3))
        ),
        batch_size=1000,
    )
    settle(world)


def settle(world: World) -> None:
    """Date every row an hour back, as in a feed nobody edited in the last minutes (while
    a change is younger than two minutes, the ETag follows every write:
    planner.calendar_feeds.content)."""
    from django.db import connection

    from planner.models import Campaign, Channel, KeyDate, Post

    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for model in (Post, Campaign, Channel, KeyDate):
        model.objects.filter(workspace=world.workspace).update(updated_at=an_hour_ago)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would, soon after such a batch
    touch(world)  # bulk writes record no audit event: move the counter on by hand


def touch(world: World) -> None:
    """A write elsewhere in the workspace (a comment, say), as a service records it: the
    workspace's counter moves on, so the feed's aggregate is asked afresh."""
    from planner import calendar_cache

    calendar_cache.bump(world.workspace.pk)


# --- the client -----------------------------------------------------------------------------


class Client:
    """A calendar app: one keep-alive connection, no cookie, as if behind the HTTPS proxy."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "bench", **(headers or {})}
        for attempt in (1, 2):
            try:
                self.connection.request("GET", url, headers=headers)
                response = self.connection.getresponse()
                return response.status, dict(response.getheaders()), response.read()
            except (http.client.HTTPException, OSError):
                # The server closed a kept-alive connection: open a new one, once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


def server_times(server: Server, offset: int, path: str, status: str) -> list[float]:
    """Server times (ms) of the requests for ``path`` answered ``status``, logged after
    ``offset``."""
    with server.access.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode().splitlines()
    times = []
    for line in lines:
        url, code, micros, _size = line.split()
        if url == path and code == status:
            times.append(int(micros) / 1000)
    return times


def in_a_row(
    server: Server, client: Client, path: str, count: int, headers=None, expect=200, before=None
):
    """``count`` requests in a row after WARM_UP unmeasured ones, each after ``before()``:
    their server times (ms) and the last answer."""
    for _ in range(WARM_UP):
        if before:
            before()
        client.get(path, headers)
    offset = server.log_size()
    answer = None
    for _ in range(count):
        if before:
            before()
        answer = client.get(path, headers)
        if answer[0] != expect:
            raise RuntimeError(f"{path} answered {answer[0]}, not {expect}: {answer[1]} {headers}")
    time.sleep(0.3)  # let the access log catch up
    return server_times(server, offset, path, str(expect)), answer


# --- the yardstick: the icalendar library ----------------------------------------------------


def icalendar_calendar(ours: bytes):
    """A Calendar built with the icalendar library's API (``add``), holding the same events
    with the same values as our feed (read back from it), the way a feed built with the
    library would be."""
    import icalendar
    from icalendar.prop import vDuration

    read = icalendar.Calendar.from_ical(ours)
    calendar = icalendar.Calendar()
    for name in ("PRODID", "VERSION", "CALSCALE", "NAME", "X-WR-CALNAME"):
        calendar.add(name, str(read[name]))
    calendar.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(timedelta(hours=1)))
    for found in read.walk("VEVENT"):
        event = icalendar.Event()
        for name in found:
            if name == "CATEGORIES":
                event.add(name, [str(c) for c in found[name].cats])
            elif name in ("DTSTART", "DTEND", "DTSTAMP", "LAST-MODIFIED"):
                event.add(name, found.decoded(name))
            elif name == "SEQUENCE":
                event.add(name, int(found[name]))
            else:
                event.add(name, str(found[name]))
        calendar.add_component(event)
    return calendar


def time_icalendar(calendar) -> tuple[float, int]:
    """The median time (ms) of ``calendar.to_ical()`` over ICALENDAR_RUNS, and its size."""
    times, size = [], 0
    for _ in range(ICALENDAR_RUNS):
        t0 = time.perf_counter()
        size = len(calendar.to_ical())
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), size


def time_our_render(link, role: str) -> tuple[float, float]:
    """In this process: reading the rows, and writing the text (median ms of 5 runs each)."""
    from django.utils import timezone

    from planner.calendar_feeds import content, text

    window = content.window_of(link, timezone.now().date())
    reading, writing = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        contents = content.feed_contents(link, role, window)
        t1 = time.perf_counter()
        text.render(contents, link.user.language)
        t2 = time.perf_counter()
        reading.append((t1 - t0) * 1000)
        writing.append((t2 - t1) * 1000)
    return statistics.median(reading), statistics.median(writing)


def same_events(ours: bytes, theirs: bytes) -> bool:
    import icalendar

    def key(data: bytes) -> list:
        return sorted(
            (str(e["UID"]), e["DTSTART"].to_ical(), str(e["SUMMARY"]), str(e.get("DESCRIPTION")))
            for e in icalendar.Calendar.from_ical(data).walk("VEVENT")
        )

    return key(ours) == key(theirs)


# --- the run -----------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def measure(args, server: Server, client: Client, world: World, link, path: str) -> dict:
    count = args.requests if world.posts <= 1000 else max(10, args.requests // 3)
    full, (_status, headers, body) = in_a_row(server, client, path, count)
    etag = headers["ETag"]
    not_modified, _answer = in_a_row(
        server, client, path, args.requests, {"If-None-Match": etag}, expect=304
    )
    by_date, _answer = in_a_row(
        server,
        client,
        path,
        args.requests,
        {"If-Modified-Since": headers["Last-Modified"]},
        expect=304,
    )
    after_a_write, _answer = in_a_row(
        server,
        client,
        path,
        args.requests,
        {"If-None-Match": etag},
        expect=304,
        before=lambda: touch(world),
    )
    calendar = icalendar_calendar(body)
    theirs_ms, theirs_size = time_icalendar(calendar)
    reading, writing = time_our_render(link, "admin")
    return {
        "events": body.count(b"BEGIN:VEVENT"),
        "size": len(body),
        "full": full,
        "not_modified": not_modified,
        "by_date": by_date,
        "after_a_write": after_a_write,
        "icalendar": theirs_ms,
        "icalendar_size": theirs_size,
        "same": same_events(body, calendar.to_ical()),
        "reading": reading,
        "writing": writing,
    }


def report(size: int, m: dict) -> None:
    p50, p95 = pct(m["full"], 0.5), pct(m["full"], 0.95)
    ratio = p50 / m["icalendar"]
    nm50 = pct(m["not_modified"], 0.5)
    written = pct(m["after_a_write"], 0.5)
    print(
        f"\n{size:,} posts: {m['events']:,} events (posts, campaign spans, key dates), "
        f"{m['size'] / 1024:.0f} KiB ({m['icalendar_size'] / 1024:.0f} KiB from icalendar; "
        f"same events and texts: {yes(m['same'])})"
    )
    table(
        [
            ("our feed: p50 server time", ms(p50), "", ""),
            ("our feed: p95 server time", ms(p95), "", ""),
            ("icalendar to_ical() of the same events", ms(m["icalendar"]), "", ""),
            (
                "ratio p50 / icalendar",
                f"{ratio:.2f}",
                f"<= {RATIO_TARGET:g}",
                yes(ratio <= RATIO_TARGET),
            ),
            ("ratio p95 / icalendar", f"{p95 / m['icalendar']:.2f}", "", ""),
            (
                "304 (If-None-Match): p50 server time",
                ms(nm50),
                f"<= {NOT_MODIFIED_TARGET_MS:g} ms",
                yes(nm50 <= NOT_MODIFIED_TARGET_MS),
            ),
            ("304 (If-None-Match): p95 server time", ms(pct(m["not_modified"], 0.95)), "", ""),
            ("304 (If-Modified-Since): p50 server time", ms(pct(m["by_date"], 0.5)), "", ""),
            (
                "304 just after a write: p50 server time",
                ms(written),
                f"<= {NOT_MODIFIED_TARGET_MS:g} ms",
                yes(written <= NOT_MODIFIED_TARGET_MS),
            ),
        ]
    )
    print(
        f"    in this process: reading the rows {m['reading']:.1f} ms, "
        f"writing the text {m['writing']:.1f} ms"
    )


def benchmark(args, workdir: Path, database, started: float) -> None:
    t0 = time.monotonic()
    migrated = start_bench(
        f"feed speed: {database.label}, gunicorn {args.workers} workers x "
        f"{args.threads} threads (gthread)",
        (
            f"A workspace's feed (90 days back, 365 ahead); {args.requests} requests in a row "
            f"after {WARM_UP} unmeasured (a third as many for 5,000 posts), then as many 304s; "
            f"icalendar: median of {ICALENDAR_RUNS} to_ical() in this process"
        ),
    )
    from django.core.cache import cache
    from django.urls import reverse

    from planner import calendar_cache
    from planner.calendar_feeds import links

    rng = random.Random(2027)
    world = World(datetime.now(UTC).date())
    link, token = links.feed_link_create(
        actor=world.admin, workspace=world.workspace, scope="workspace"
    )
    # A new database's ids repeat those of the last run, whose marks Redis may still hold.
    calendar_cache.forget(world.workspace.pk)
    cache.delete(f"feed:{link.pk}")
    path = reverse("planner:feed", args=[token])
    server = Server(workdir, workers=args.workers, threads=args.threads)
    client = Client(server.port)
    try:
        if not wait_until(
            lambda: server.process.poll() is None and _answers(client, path), timeout=30
        ):
            raise RuntimeError("gunicorn did not answer in 30 s:\n" + server.errors.read_text())
        print(f"Setup: migrate {migrated:.1f} s, server up in {time.monotonic() - t0:.1f} s")
        results = {}
        for size in SIZES:
            t0 = time.monotonic()
            add_posts(world, size - world.posts, rng)
            seeded = time.monotonic() - t0
            results[size] = measure(args, server, client, world, link, path)
            report(size, results[size])
            print(f"    ({seeded:.1f} s to add the posts)")
        print()
        for name, label in (("not_modified", "304"), ("after_a_write", "304 after a write")):
            small, large = (pct(results[s][name], 0.5) for s in SIZES)
            print(
                f"{label} p50 at {SIZES[0]:,} and {SIZES[1]:,} posts: {small:.1f} and "
                f"{large:.1f} ms ({large / small:.2f}x for {SIZES[1] // SIZES[0]}x the posts)"
            )
    finally:
        client.close()
        server.stop()
    print(f"\nRun time {time.monotonic() - started:.0f} s in all.")


def _answers(client: Client, path: str) -> bool:
    try:
        return client.get(path)[0] == 200
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(parser)
    parser.add_argument("--requests", type=int, default=40, help="requests in a row (40)")
    return run_throwaway(parser.parse_args(), "feed", benchmark)


if __name__ == "__main__":
    sys.exit(main())
