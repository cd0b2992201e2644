"""Reports speed: how fast the reports answer with a year of history, 2,000 then 20,000
published posts and 20,000 then 200,000 metric snapshots.

    .venv/bin/python bench/reports.py [--database-url URL] [--requests N]

The project runs for real under gunicorn, configured as in production (DEBUG off, behind
an HTTPS proxy), against a throw-away database (a new SQLite file in a temporary folder by
default, or a PostgreSQL database this script creates and drops). The history is written
in bulk as the demo writes its own (``planner.demo.history``): posts with their audit
trail (drafting, marketing's approval, publication, some requests for changes, missed
slots and failures), deliveries, metric rounds and latest values, daily follower counts.
A signed-in marketer asks for each report many times in a row; gunicorn's access log
gives the server time of each request. The number of queries of each page is asserted
constant by the tests (tests/planner/analytics/test_weak_link.py); here, the time. A missed target
is reported, not failed on: exit status 0.
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
import time
from datetime import UTC, datetime, timedelta

from bench.calendar import Client, Server, run_throwaway, server_arguments, session_cookie
from bench.publish_lag import pct, start_bench, table, yes

# The target, on this machine.
P95_TARGET_MS = 1000.0  # p95 server time of a report page, 20,000 posts, 200,000 snapshots

# (published posts, metric snapshots): the second is the one judged.
SIZES = ((2_000, 20_000), (20_000, 200_000))
CHUNK = 2_000  # posts written per call (each spread over the whole year)
YEAR = timedelta(days=365)
WARM_UP = 3
PAGES = {
    "weak-link report (90 days)": "/reports/weak-link/",
    "weak-link report (365 days)": "/reports/weak-link/?days=365",
    "weak-link CSV (365 days)": "/reports/weak-link/?days=365&format=csv",
    "executive dashboard": "/reports/",
}


class World:
    """A workspace with writers, two marketers, an admin, and seven social channels."""

    def __init__(self) -> None:
        from accounts.models import Role
        from accounts.services import member_add, user_create, workspace_create
        from planner.planning.services import channel_save

        self.admin = user_create(email="admin@bench.test", password=None, full_name="Ada Admin")
        self.workspace = workspace_create(owner=self.admin, name="Bench")
        people = {}
        for key, role in (
            ("marketing", Role.MARKETING),
            ("marketing2", Role.MARKETING),
            ("content", Role.CONTENT_MANAGER),
            ("contributor", Role.CONTRIBUTOR),
        ):
            people[key] = user_create(
                email=f"{key}@bench.test", password=None, full_name=key.title()
            )
            member_add(actor=self.admin, workspace=self.workspace, user=people[key], role=role)
        self.viewer = people["marketing"]
        self.people = people
        self.channels = [
            channel_save(
                actor=self.admin,
                workspace=self.workspace,
                kind=kind,
                name=kind.title(),
                credentials={"access_token": "bench"},
            )
            for kind in ("mastodon", "bluesky", "x", "linkedin", "facebook", "instagram", "threads")
        ]
        self.now = datetime.now(UTC)
        self.posts = 0
        self.snapshots = 0


def add_history(world: World, posts: int, snapshots: int) -> None:
    """Bring the world to ``posts`` published posts and ``snapshots`` metric snapshots."""
    from django.db import connection

    from planner.demo import history
    from planner.models import Publication, PublicationMetric, PublicationState

    cast = history.Cast(
        writers=(world.people["content"], world.people["contributor"]),
        approvers=(world.people["marketing"], world.people["marketing2"]),
        planner=world.people["content"],
    )
    end = world.now - timedelta(hours=2)
    while world.posts < posts:
        count = min(CHUNK, posts - world.posts)
        history.write_history(
            world.workspace,
            cast,
            world.channels,
            start=end - YEAR,
            end=end,
            posts=count,
            seed=world.posts,
            with_metrics=False,
        )
        world.posts += count
    if world.snapshots == 0:
        history.write_followers(world.channels, start=end - YEAR, end=world.now)
    # Metrics for the most recent deliveries without any yet: four rounds of four metrics.
    wanted = (snapshots - world.snapshots) // (4 * len(history.METRICS))
    measured = PublicationMetric.objects.values("publication_id")
    fresh = list(
        Publication.objects.filter(
            post__workspace=world.workspace,
            state=PublicationState.PUBLISHED,
            published_at__lte=world.now - timedelta(days=8),
        )
        .exclude(pk__in=measured)
        .order_by("-published_at")
        .only("pk", "published_at")[:wanted]
    )
    for start in range(0, len(fresh), CHUNK):
        world.snapshots += history.write_metrics(
            fresh[start : start + CHUNK], end=world.now, seed=world.snapshots
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would, soon after such a batch


def in_a_row(server: Server, client: Client, url: str, count: int) -> list[float]:
    """Server times (ms) of ``count`` requests in a row, after WARM_UP unmeasured ones."""
    for _ in range(WARM_UP):
        client.get(url)
    offset = server.log_size()
    for _ in range(count):
        status, _body = client.get(url)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
    time.sleep(0.3)  # let the access log catch up
    return server.times_since(offset, url.split("?")[0])


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def report(size: tuple[int, int], times: dict[str, list[float]], missing: list[str]) -> None:
    judged = size == SIZES[-1]
    posts, snapshots = size
    print(f"\n{posts:,} published posts, {snapshots:,} metric snapshots")
    rows = []
    for name, values in times.items():
        p95 = pct(values, 0.95)
        rows += [
            (f"{name}: p50 server time", ms(pct(values, 0.5)), "", ""),
            (
                f"{name}: p95 server time",
                ms(p95),
                f"<= {P95_TARGET_MS:g} ms" if judged else "",
                yes(p95 <= P95_TARGET_MS) if judged else "",
            ),
        ]
    table(rows)
    for name in missing:
        print(f"    {name}: not measured ({PAGES[name]} does not answer 200 here)")


def benchmark(args, workdir: Path, database, started: float) -> None:
    t0 = time.monotonic()
    migrated = start_bench(
        f"reports speed: {database.label}, gunicorn {args.workers} workers x "
        f"{args.threads} threads (gthread)",
        (
            f"A year of history; {args.requests} requests in a row per page after {WARM_UP} "
            "unmeasured, signed in as a marketer"
        ),
    )
    world = World()
    cookie = session_cookie(world.viewer)
    server = Server(workdir, workers=args.workers, threads=args.threads)
    client = Client(server.port, cookie)
    client.headers["Accept"] = "text/html"
    try:
        server.wait_ready(client)
        print(f"Setup: migrate {migrated:.1f} s, server up in {time.monotonic() - t0:.1f} s")
        for size in SIZES:
            t0 = time.monotonic()
            add_history(world, *size)
            seeded = time.monotonic() - t0
            times, missing = {}, []
            for name, url in PAGES.items():
                if client.get(url)[0] != 200:
                    missing.append(name)
                    continue
                times[name] = in_a_row(server, client, url, args.requests)
            report(size, times, missing)
            print(
                f"    ({seeded:.1f} s to write the history: {world.posts:,} posts, "
                f"{world.snapshots:,} snapshots)"
            )
    finally:
        client.close()
        server.stop()
    print(f"\nRun time {time.monotonic() - started:.0f} s in all.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(parser)
    parser.add_argument("--requests", type=int, default=30, help="requests in a row (30)")
    return run_throwaway(parser.parse_args(), "reports", benchmark)


if __name__ == "__main__":
    sys.exit(main())
