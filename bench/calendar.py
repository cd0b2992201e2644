"""Calendar speed: how fast the calendar's JSON answers a month of 500 and 2,000 posts.

    .venv/bin/python bench/calendar.py [--database-url URL] [--requests N] [--seconds S]

The project runs for real under gunicorn, configured as in production (DEBUG off, behind
an HTTPS proxy), against a throw-away database (a new SQLite file in a temporary folder by
default, or a PostgreSQL database this script creates and drops). A signed-in member asks
for a month window (/calendar/events/) many times in a row; gunicorn's access log gives the
server time of each request. Then several clients ask at once, for the window and for a
bare view behind the same middleware, to compare requests per second. bench/README.md
says what is measured and why. A missed target is reported, not failed on: exit status 0.
"""
# ruff: noqa: E402 - the path must be fixed before anything imports the calendar module

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder would come first on sys.path, and this file's name
# would hide the standard library's calendar module from everything imported after it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
BASE_DIR = HERE.parent
sys.path.insert(0, str(BASE_DIR))

import argparse
import http.client
import itertools
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bench.publish_lag import open_database, pct, start_bench, table, wait_until, yes

# The targets, on a 2-core machine.
P95_TARGET_MS = 150.0  # p95 server time of a month window with 2,000 posts
RPS_RATIO_TARGET = 0.5  # the window's requests per second / a bare view's, same server

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
ZONE = ZoneInfo("Europe/Paris")
# A month as the widget asks for it: six weeks of grid, here around a clock change
# (Paris moves to summer time on 28 March 2027), in the viewer's wall-clock time.
WINDOW_START = datetime(2027, 3, 1)
WINDOW_END = datetime(2027, 4, 12)
SIZES = (500, 2000)
WARM_UP = 20


# --- the data ---------------------------------------------------------------------------


class World:
    """A workspace as a team would have it: people, three channels, campaigns, labels."""

    def __init__(self) -> None:
        from accounts.models import Role
        from accounts.services import member_add, user_create, workspace_create
        from planner.planning.services import campaign_save, channel_save, label_get_or_create

        self.admin = user_create(email="admin@bench.test", password=None, full_name="Ada Admin")
        self.workspace = workspace_create(owner=self.admin, name="Bench")
        self.people = [self.admin]
        for i, role in enumerate(
            [Role.MARKETING, Role.CONTENT_MANAGER, Role.CONTENT_MANAGER, Role.CONTRIBUTOR]
        ):
            person = user_create(
                email=f"person{i}@bench.test",
                password=None,
                full_name="" if i == 3 else f"Person {i}",  # the last one shows their email
            )
            member_add(actor=self.admin, workspace=self.workspace, user=person, role=role)
            self.people.append(person)
        # The viewer: a content manager, who may move posts (so "editable" is worked out).
        self.viewer = self.people[2]
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
        first = WINDOW_START.date()
        self.campaigns = [
            campaign_save(
                actor=self.admin,
                workspace=self.workspace,
                name=name,
                starts_on=first + timedelta(days=offset),
                ends_on=first + timedelta(days=offset + length),
                channels=self.channels,
                colour=colour,
            )
            for name, offset, length, colour in (
                ("Spring collection", -10, 30, "#1f6feb"),
                ("Easter", 20, 10, "#ffeb3b"),
                ("Trade fair", 5, 4, "#8250df"),
                ("April news", 28, 20, "#2da44e"),
            )
        ]
        self.labels = [
            label_get_or_create(actor=self.admin, workspace=self.workspace, name=name)
            for name in ("video", "evergreen", "partner", "urgent", "photo")
        ]
        self.posts = 0


WORDS = (  # noqa: SIM905 - a sentence reads better than a column of words
    "spring collection launch behind the scenes our team new colours linen cotton workshop "
    "interview partner story video tips care guide sale weekend event fair stand visit "
    "thanks customers feedback recipe season garden light summer"
).split()
STATES = (
    ["draft"] * 8
    + ["in_review"] * 3
    + ["changes_requested"]
    + ["approved"] * 5
    + ["published"] * 2
    + ["cancelled"]
)


def add_posts(world: World, count: int, rng: random.Random) -> None:
    """``count`` more posts in the window, written straight to the tables (the services
    would take minutes, and what the calendar reads is the same rows)."""
    from planner.models import Post, Variant

    start = WINDOW_START.replace(tzinfo=ZONE).astimezone(UTC)
    span = (WINDOW_END.replace(tzinfo=ZONE).astimezone(UTC) - start).total_seconds()
    posts = []
    for _ in range(count):
        n = world.posts = world.posts + 1
        state = rng.choice(STATES)
        body = f"Post {n}: " + " ".join(rng.choices(WORDS, k=rng.randint(8, 60)))
        minutes = int(rng.random() * span / 60) // 15 * 15
        posts.append(
            Post(
                workspace=world.workspace,
                campaign=rng.choice([*world.campaigns, None]),
                title="" if n % 3 == 0 else f"Post {n}: {rng.choice(WORDS).title()}",
                body=body,
                scheduled_at=start + timedelta(minutes=minutes),
                state=state,
                author=rng.choice(world.people),
                assignee=rng.choice([*world.people, None]),
                approved_version=1 if state in ("approved", "published") else None,
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
    Post.labels.through.objects.bulk_create(
        (
            Post.labels.through(post_id=post.pk, label_id=label.pk)
            for post in posts
            for label in rng.sample(world.labels, rng.choice((0, 0, 1, 1, 2)))
        ),
        batch_size=1000,
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would, soon after such a batch


def session_cookie(user) -> str:
    """A signed-in session for ``user``, as the login page would leave it."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the project (and the bench's bare view), its access log timing each
    request in microseconds."""

    def __init__(self, workdir: Path, *, workers: int, threads: int) -> None:
        self.port = free_port()
        self.access = workdir / "access.log"
        self.errors = workdir / "gunicorn.log"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "calendar_project.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                "--worker-class=gthread",
                f"--threads={threads}",
                "--keep-alive=30",
                f"--access-logfile={self.access}",
                "--access-logformat=%(U)s %(s)s %(D)s %(B)s",
                f"--error-logfile={self.errors}",
            ],
            cwd=BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
            start_new_session=True,
        )

    def wait_ready(self, client: Client) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + self.errors.read_text()[-3000:])
            try:
                return client.get(BARE_URL)[0] == 200
            except OSError:
                return False

        if not wait_until(answers, timeout=30, interval=0.2):
            raise RuntimeError("gunicorn did not answer in 30 s:\n" + self.errors.read_text())

    def log_size(self) -> int:
        return self.access.stat().st_size if self.access.exists() else 0

    def times_since(self, offset: int, path: str) -> list[float]:
        """Server times (ms) of the requests for ``path`` logged after ``offset``."""
        with self.access.open("rb") as f:
            f.seek(offset)
            lines = f.read().decode().splitlines()
        times = []
        for line in lines:
            url, status, micros, _size = line.split()
            if url == path and status == "200":
                times.append(int(micros) / 1000)
        return times

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


EVENTS_PATH = "/calendar/events/"
EVENTS_URL = (
    EVENTS_PATH
    + "?"
    + urlencode({"start": WINDOW_START.isoformat(), "end": WINDOW_END.isoformat()})
)
BARE_URL = "/bench/bare/"


class Client:
    """One keep-alive connection, signed in, as if behind the HTTPS proxy."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.headers = {
            "Cookie": f"sessionid={cookie}",
            "X-Forwarded-Proto": "https",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate, br, zstd",  # as a browser does
        }
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, url: str) -> tuple[int, bytes]:
        try:
            self.connection.request("GET", url, headers=self.headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            # The server closed a kept-alive connection: open a new one, once.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request("GET", url, headers=self.headers)
            response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


# --- the measures -------------------------------------------------------------------------


def touch(world: World) -> None:
    """A change just now, as a service would record it: the workspace's version moves on
    (planner.calendar_cache), so no kept answer applies."""
    from planner import calendar_cache

    calendar_cache.bump(world.workspace.pk)


_cold = itertools.count(1)


def cold_url() -> str:
    """The window, ending a second later each time: a question never asked before, so an
    answer computed afresh (no post is due at or after the window's end, so every one has
    the same posts)."""
    end = WINDOW_END + timedelta(seconds=next(_cold))
    return (
        EVENTS_PATH + "?" + urlencode({"start": WINDOW_START.isoformat(), "end": end.isoformat()})
    )


def sequential(
    server: Server,
    client: Client,
    count: int,
    before: Callable[[], None] = lambda: None,
    url: str = EVENTS_URL,
) -> tuple[list[float], int]:
    """Server times (ms) of ``count`` requests for ``url`` in a row, each after
    ``before()``, after WARM_UP unmeasured ones; and the size of the answer."""
    for _ in range(WARM_UP):
        before()
        client.get(url)
    offset = server.log_size()
    size = 0
    for _ in range(count):
        before()
        status, body = client.get(url)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}: {body[:300]!r}")
        size = len(body)
    time.sleep(0.3)  # let the access log catch up
    return server.times_since(offset, url.split("?")[0]), size


def throughput(
    port: int, cookie: str, url: str | Callable[[], str], *, clients: int, seconds: float
) -> float:
    """Requests per second that ``clients`` connections asking in a loop get answered
    (``url``, or a new ``url()`` for each request)."""
    stop = time.monotonic() + seconds
    done = [0] * clients
    failed = []

    def run(i: int) -> None:
        client = Client(port, cookie)
        try:
            while time.monotonic() < stop:
                status, _body = client.get(url() if callable(url) else url)
                if status != 200:
                    failed.append(status)
                    return
                done[i] += 1
        finally:
            client.close()

    began = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise RuntimeError(f"{EVENTS_PATH if callable(url) else url} answered {failed[0]}")
    return sum(done) / (time.monotonic() - began)


def compare(port: int, cookie: str, *, clients: int, seconds: float) -> dict:
    """Requests per second of the window (kept answer, then computed each time) and of the
    bare view, in alternating halves so that a passing disturbance weighs on all three."""
    rates: dict[str, list[float]] = {"warm": [], "bare": [], "cold": []}
    for _ in range(2):
        rates["warm"].append(
            throughput(port, cookie, EVENTS_URL, clients=clients, seconds=seconds / 2)
        )
        rates["bare"].append(
            throughput(port, cookie, BARE_URL, clients=clients, seconds=seconds / 2)
        )
        rates["cold"].append(
            throughput(port, cookie, cold_url, clients=clients, seconds=seconds / 2)
        )
    return {name: sum(values) / len(values) for name, values in rates.items()}


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def report(size: int, times: dict, sizes: tuple[int, int], rps: dict) -> None:
    judged = size == max(SIZES)  # the targets are set for the larger month

    def target(text: str, ok: bool) -> tuple[str, str]:
        return (text, yes(ok)) if judged else ("", "")

    plain, gzipped = sizes
    print(
        f"\n{size:,} posts in the window: {plain / 1024:.0f} KiB of JSON "
        f"({gzipped / 1024:.0f} KiB when kept, gzip)"
    )
    p95_target = f"<= {P95_TARGET_MS:g} ms"
    rows = []
    for name, values in times.items():
        p95 = pct(values, 0.95)
        judge = name != "bare view"
        rows += [
            (f"{name}: p50 server time", ms(pct(values, 0.5)), "", ""),
            (
                f"{name}: p95 server time",
                ms(p95),
                *(target(p95_target, p95 <= P95_TARGET_MS) if judge else ("", "")),
            ),
        ]
    ratio = rps["warm"] / rps["bare"]
    rows += [
        ("requests/s, bare view", f"{rps['bare']:.0f}", "", ""),
        ("requests/s, warm", f"{rps['warm']:.0f}", "", ""),
        ("requests/s, cold", f"{rps['cold']:.0f}", "", ""),
        (
            "ratio warm / bare",
            f"{ratio:.2f}",
            *target(f">= {RPS_RATIO_TARGET:g}", ratio >= RPS_RATIO_TARGET),
        ),
        ("ratio cold / bare", f"{rps['cold'] / rps['bare']:.2f}", "", ""),
    ]
    table(rows)


# --- main ------------------------------------------------------------------------------------


def production_like_env(database, workdir: Path) -> None:
    """The environment of this process and of gunicorn, which inherits it."""
    from cryptography.fernet import Fernet

    os.environ.update(
        DJANGO_SETTINGS_MODULE="calendar_project.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        CREDENTIALS_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_HTTPS_PROXY="true",
        DATABASE_URL=database.url,
        DATA_DIR=str(workdir),
        MEDIA_ROOT=str(workdir / "media"),
        REDIS_URL=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        LOG_LEVEL="WARNING",
    )


def benchmark(args, workdir: Path, database, started: float) -> None:
    t0 = time.monotonic()
    migrated = start_bench(
        f"calendar speed: {database.label}, gunicorn {args.workers} workers x "
        f"{args.threads} threads (gthread)",
        (
            f"Window {WINDOW_START:%Y-%m-%d} to {WINDOW_END:%Y-%m-%d} (six weeks of a month grid, "
            f"{ZONE.key} wall-clock time); {args.requests} requests in a row after {WARM_UP} "
            f"unmeasured; requests/s with {args.clients} clients for {args.seconds:g} s each"
        ),
    )
    rng = random.Random(2027)
    world = World()
    # A new database's ids repeat those of the last run, whose version counter and kept
    # answers Redis may still hold: start this workspace's counter afresh.
    from planner import calendar_cache

    calendar_cache.forget(world.workspace.pk)
    cookie = session_cookie(world.viewer)
    server = Server(workdir, workers=args.workers, threads=args.threads)
    client = Client(server.port, cookie)
    try:
        server.wait_ready(client)
        print(f"Setup: migrate {migrated:.1f} s, server up in {time.monotonic() - t0:.1f} s")
        for size in SIZES:
            t0 = time.monotonic()
            add_posts(world, size - world.posts, rng)
            seeded = time.monotonic() - t0
            touch(world)  # bulk writes record no audit event: tell the calendar by hand
            cold, answer = sequential(server, client, args.requests, lambda: touch(world))
            warm, kept = sequential(server, client, args.requests)
            bare, _size = sequential(server, client, args.requests, url=BARE_URL)
            rps = compare(server.port, cookie, clients=args.clients, seconds=args.seconds)
            report(size, {"cold": cold, "warm": warm, "bare view": bare}, (answer, kept), rps)
            print(f"    ({seeded:.1f} s to add the posts)")
    finally:
        client.close()
        server.stop()
    print(f"\nRun time {time.monotonic() - started:.0f} s in all.")


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def server_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every gunicorn bench takes."""
    parser.add_argument("--database-url", help="sqlite:///new/file or postgres://.../new_db")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and logs")


def run_throwaway(args, name: str, benchmark: Callable) -> int:
    """Run ``benchmark(args, workdir, database, started)`` against a database made for
    it (and dropped after) in a temporary folder, production-like settings; cleans up
    on Ctrl-C or SIGTERM."""
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupted)
    workdir = Path(tempfile.mkdtemp(prefix=f"maillon-bench-{name}-"))
    database = None
    try:
        database = open_database(args.database_url, workdir)
        production_like_env(database, workdir)
        benchmark(args, workdir, database, started)
    except KeyboardInterrupt:
        print("\nInterrupted: cleaning up.")
        return 130
    finally:
        if database is not None:
            from django.db import connections

            connections.close_all()
            database.drop()
        if args.keep:
            print(f"Kept {workdir} (access.log and gunicorn.log).")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(parser)
    parser.add_argument("--requests", type=int, default=200, help="requests in a row (200)")
    parser.add_argument("--clients", type=int, default=4, help="clients at once for req/s (4)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load per URL (10)")
    return run_throwaway(parser.parse_args(), "calendar", benchmark)


if __name__ == "__main__":
    sys.exit(main())
