"""Publish lag: how late the engine delivers a due post, measured where it arrives.

    .venv/bin/python bench/publish_lag.py [--database-url URL] [--singles N] [--burst N]

Lag is the time from a publication's scheduled time (``due_at``) to its request arriving
at a local generic-webhook receiver. The engine runs for real, configured as in production
(DEBUG off): Celery beat and one worker with two pool processes, against Redis and a
throw-away database (a new SQLite file in a temporary folder by default, or a PostgreSQL
database this script creates and drops). bench/README.md says what is measured and why.
A missed target is reported, not failed on: the exit status is 0.
"""

# ruff: noqa: E402 - the path must be fixed before anything imports the calendar module

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder would come first on sys.path, and bench/calendar.py would
# hide the standard library's calendar module (imported by http.server, email...).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

# The targets, on a 2-core machine with two worker processes.
SINGLE_P50_TARGET = 1.0  # seconds
SINGLE_P95_TARGET = 2.0
BURST_ALL_TARGET = 30.0

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SINGLES_SPACING = 1.3  # seconds between two single posts' times
LEAD = 3.0  # at least this many seconds between giving posts their time and that time


# --- the receiver ----------------------------------------------------------------------


class Receiver:
    """A generic-webhook endpoint on the loopback: records when each delivery arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = time.time()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.arrivals.append((arrived, self.headers.get("X-Maillon-Delivery", "")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def seen(self, ids) -> tuple[dict[str, float], Counter]:
        """First arrival time and number of requests of each delivery id in ``ids``."""
        first, counts = {}, Counter()
        with self.lock:
            for arrived, delivery in self.arrivals:
                if delivery in ids:
                    first.setdefault(delivery, arrived)
                    counts[delivery] += 1
        return first, counts


# --- the throw-away database ------------------------------------------------------------


@dataclass
class Database:
    url: str
    label: str
    drop: Callable[[], None]


def postgres_database(url: str) -> Database:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        sys.exit("--database-url needs a database name, e.g. postgres://.../maillon_bench")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    dropping = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and "bench" not in name:
            sys.exit(
                f"Database {name!r} exists. The benchmark creates and drops its own database: "
                "name a new one (only a leftover whose name contains 'bench' is replaced)."
            )
        conn.execute(dropping)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(dropping)

    return Database(url, f"PostgreSQL {parts.hostname}:{parts.port or 5432}/{name}", drop)


def sqlite_database(url: str | None, workdir: Path) -> Database:
    path = workdir / "bench.sqlite3" if url is None else Path(url.removeprefix("sqlite:///"))
    if path.exists():
        sys.exit(f"{path} exists: the benchmark only runs on a new SQLite file.")

    def drop() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return Database(f"sqlite:///{path}", f"SQLite {path}", drop)


def open_database(url: str | None, workdir: Path) -> Database:
    if url and url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return postgres_database(url)
    if url is None or url.startswith("sqlite:///"):
        return sqlite_database(url, workdir)
    sys.exit(f"--database-url {url!r}: use sqlite:///new/file or postgres://user@host:5432/new")


# --- the data, through the services -----------------------------------------------------


def build_workspace(receiver_url: str):
    """A workspace with an admin, an approver, an author and a webhook channel."""
    from accounts.models import Role
    from accounts.services import member_add, user_create, workspace_create
    from planner.planning.services import channel_save

    admin = user_create(email="admin@bench.test", password=None, full_name="Admin")
    marketing = user_create(email="marketing@bench.test", password=None, full_name="Marketing")
    content = user_create(email="content@bench.test", password=None, full_name="Content")
    workspace = workspace_create(owner=admin, name="Bench")
    member_add(actor=admin, workspace=workspace, user=marketing, role=Role.MARKETING)
    member_add(actor=admin, workspace=workspace, user=content, role=Role.CONTENT_MANAGER)
    channel = channel_save(
        actor=admin,
        workspace=workspace,
        kind="webhook",
        name="Bench receiver",
        credentials={"webhook_url": receiver_url, "signing_secret": secrets.token_hex(16)},
    )
    return workspace, content, marketing, channel


def approved_posts(workspace, content, marketing, channel, *, count: int, label: str) -> list[int]:
    """``count`` posts written, submitted and approved, due a month from now for the time
    being (the services refuse a time in the past, and setup takes a while)."""
    from django.utils import timezone

    from planner.posts.actions import post_decide, post_submit
    from planner.posts.writing import post_create

    later = timezone.now() + timedelta(days=30)
    ids = []
    for i in range(count):
        post = post_create(
            actor=content,
            workspace=workspace,
            title=f"{label} {i}",
            body=f"Benchmark post: {label} number {i}.",
            variants={channel.pk: ""},
            scheduled_at=later,
        )
        post_submit(actor=content, post=post)
        post_decide(
            actor=marketing, post=post, decision="approve", expected_version=1, step_position=1
        )
        ids.append(post.pk)
    return ids


def move_to(post_times: dict[int, datetime]) -> dict[str, tuple[int, float]]:
    """Give approved posts their real time directly, as the engine tests do (moving an
    approved post keeps its approval). Returns delivery id -> (post id, due timestamp)."""
    from django.db import transaction

    from planner.models import Post, Publication

    by_time: dict[datetime, list[int]] = {}
    for post_id, when in post_times.items():
        by_time.setdefault(when, []).append(post_id)
    with transaction.atomic():
        for when, ids in by_time.items():
            Post.objects.filter(pk__in=ids).update(scheduled_at=when)
            Publication.objects.filter(post_id__in=ids).update(due_at=when)
    rows = Publication.objects.filter(post_id__in=list(post_times)).values_list(
        "idempotency_key", "post_id", "due_at"
    )
    return {str(key): (post_id, due.timestamp()) for key, post_id, due in rows}


def in_flight(post_ids: list[int]) -> int:
    from planner.models import Publication
    from planner.publishing.engine import IN_FLIGHT

    return Publication.objects.filter(post_id__in=post_ids, state__in=IN_FLIGHT).count()


def outcome(post_ids: list[int]) -> tuple[Counter, dict[int, float]]:
    """Publication states, and when a worker began each post's send (its audit event)."""
    from planner.models import AuditEvent, Publication

    states = Counter(
        Publication.objects.filter(post_id__in=post_ids).values_list("state", flat=True)
    )
    started = AuditEvent.objects.filter(post_id__in=post_ids, action="post.start_publishing")
    return states, {pk: at.timestamp() for pk, at in started.values_list("post_id", "created_at")}


# --- figures -----------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN when there is nothing to rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def secs(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f} s"


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def table(rows: list[tuple[str, str, str, str]]) -> None:
    rows = [("figure", "measured", "target", "met"), *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    rows.insert(1, tuple("-" * w for w in widths))
    for row in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


PUBLISH_DONE = re.compile(r"tasks\.publish\[[^\]]+\] succeeded in ([\d.]+)s: '(\w+)'")
DISPATCH_DONE = re.compile(r"tasks\.dispatch\[[^\]]+\] succeeded in [\d.]+s: (\d+)")
DISPATCH_DROPPED = re.compile(r"Discarding revoked task: planner\.tasks\.dispatch")


@dataclass
class Phase:
    """What one round (singles or burst) delivered, and where its time went."""

    ids: dict[str, tuple[int, float]]  # delivery id -> (post id, due timestamp)
    first: dict[str, float]  # delivery id -> first arrival
    counts: Counter  # delivery id -> requests received
    states: Counter
    started: dict[int, float]  # post id -> when a worker began its send
    log: str  # the worker and beat output during the round

    def __post_init__(self) -> None:
        self.lags = [self.first[d] - self.ids[d][1] for d in self.first]
        self.duplicates = sum(n - 1 for n in self.counts.values() if n > 1)
        self.missing = len(self.ids) - len(self.first)

    def diagnosis(self) -> list[str]:
        waits, sends = [], []
        for delivery, (post_id, due) in self.ids.items():
            if delivery in self.first and post_id in self.started:
                waits.append(self.started[post_id] - due)
                sends.append(self.first[delivery] - self.started[post_id])
        tasks = PUBLISH_DONE.findall(self.log)
        runtimes = [float(t) for t, _ in tasks]
        results = ", ".join(f"{r} {n}" for r, n in Counter(r for _, r in tasks).items())
        claims = [int(n) for n in DISPATCH_DONE.findall(self.log)]
        return [
            f"due -> a worker starts the send (tick + queue): median {secs(pct(waits, 0.5))}, "
            f"p95 {secs(pct(waits, 0.95))}",
            f"send start -> arrival: median {secs(pct(sends, 0.5))}",
            f"publish tasks: {len(runtimes)} ({results or 'none'}), median "
            f"{secs(pct(runtimes, 0.5))} each, {sum(runtimes):.1f} s of pool time in all",
            f"dispatch ticks: {len(claims)} ran ({sum(claims)} claimed, at most "
            f"{max(claims, default=0)} in one), {len(DISPATCH_DROPPED.findall(self.log))} "
            "dropped as expired, "
            f"{self.log.count('Leases expired')} with expired leases",
            "publication states: " + ", ".join(f"{s} {n}" for s, n in sorted(self.states.items())),
        ]


def report_singles(phase: Phase) -> None:
    p50, p95 = pct(phase.lags, 0.5), pct(phase.lags, 0.95)
    print(f"\nSingles: {len(phase.ids)} posts, one due every {SINGLES_SPACING} s")
    table(
        [
            ("p50 lag", secs(p50), f"<= {SINGLE_P50_TARGET:g} s", yes(p50 <= SINGLE_P50_TARGET)),
            ("p95 lag", secs(p95), f"<= {SINGLE_P95_TARGET:g} s", yes(p95 <= SINGLE_P95_TARGET)),
            ("max lag", secs(max(phase.lags, default=math.nan)), "", ""),
            ("duplicates", str(phase.duplicates), "0", yes(phase.duplicates == 0)),
            ("missing", str(phase.missing), "0", yes(phase.missing == 0)),
        ]
    )
    for line in phase.diagnosis():
        print("    " + line)


def report_burst(phase: Phase, due: datetime) -> None:
    last = max(phase.lags, default=math.nan)
    complete = phase.missing == 0
    print(f"\nBurst: {len(phase.ids)} posts, all due at {due:%H:%M:%S} UTC")
    table(
        [
            (
                "due -> last arrival",
                secs(last) + ("" if complete else " (some never came)"),
                f"<= {BURST_ALL_TARGET:g} s",
                yes(complete and last <= BURST_ALL_TARGET),
            ),
            ("p50 lag", secs(pct(phase.lags, 0.5)), "", ""),
            ("p95 lag", secs(pct(phase.lags, 0.95)), "", ""),
            ("duplicates", str(phase.duplicates), "0", yes(phase.duplicates == 0)),
            ("missing", str(phase.missing), "0", yes(complete)),
        ]
    )
    for line in phase.diagnosis():
        print("    " + line)


# --- the engine and a round ----------------------------------------------------------------


def wait_until(predicate, *, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def aligned(lead: float) -> datetime:
    """The first whole second at least ``lead`` seconds from now."""
    return datetime.fromtimestamp(math.ceil(time.time() + lead), UTC)


class Engine:
    """Celery beat and a worker (tests/processes.py), and the log they share."""

    def __init__(self, workdir: Path, *, tick_ms: int, concurrency: int) -> None:
        self.workdir = workdir
        self.log = workdir / "celery.log"
        self.extra = {"PUBLISH_TICK_MILLISECONDS": str(tick_ms)}
        self.concurrency = concurrency
        self.processes: list[subprocess.Popen] = []

    def tail(self, offset: int = 0) -> str:
        if not self.log.exists():
            return ""
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def start(self) -> float:
        """Start both and wait until a worker has run a tick of this beat; seconds taken."""
        from calendar_project import health
        from tests import processes

        processes.purge_queue()
        began = time.time()
        worker = processes.start_worker(
            self.log, concurrency=self.concurrency, name="bench", **self.extra
        )
        self.processes.append(worker)
        self.processes.append(processes.start_beat(self.log, self.workdir, **self.extra))

        def ticked() -> bool:
            mark = health.last_mark(health.DISPATCH_KEY)
            return mark is not None and mark[0] > began

        if not wait_until(ticked, timeout=60):
            raise RuntimeError("The engine did not start in 60 s:\n" + self.tail()[-3000:])
        return time.time() - began

    def stop(self) -> None:
        from tests import processes

        if not self.processes:
            return
        for process in reversed(self.processes):
            processes.stop(process)
        self.processes.clear()
        processes.purge_queue()


def run_round(engine: Engine, receiver: Receiver, post_times, *, timeout: float) -> Phase:
    """Give the posts their times, wait for every delivery (or the timeout), and collect."""
    offset = engine.size()
    ids = move_to(post_times)
    last_due = max(post_times.values()).timestamp()
    wait_until(
        lambda: len(receiver.seen(ids)[0]) == len(ids),
        timeout=max(0.0, last_due - time.time()) + timeout,
    )
    post_ids = list(post_times)
    # Let the rows settle, then wait a little more so that a late duplicate would show.
    wait_until(lambda: in_flight(post_ids) == 0, timeout=15, interval=0.5)
    time.sleep(2)
    first, counts = receiver.seen(ids)
    states, started = outcome(post_ids)
    return Phase(ids, first, counts, states, started, engine.tail(offset))


# --- main ----------------------------------------------------------------------------------


def production_like_env(database: Database, workdir: Path, tick_ms: int) -> None:
    """The environment of this process and of beat and the worker, which inherit it."""
    from cryptography.fernet import Fernet

    os.environ.update(
        DJANGO_SETTINGS_MODULE="calendar_project.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        CREDENTIALS_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database.url,
        DATA_DIR=str(workdir),
        MEDIA_ROOT=str(workdir / "media"),
        REDIS_URL=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        PUBLISH_TICK_MILLISECONDS=str(tick_ms),
        # The receiver is on this machine: the outbound transport refuses loopback
        # unless told (planner/outbound.py), as the tests' stand-ins are.
        OUTBOUND_ALLOW_LOOPBACK="true",
    )


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of CPU time something else used over a second (Linux), before we start."""

    def sample() -> tuple[int, int]:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def start_bench(title: str, details: str = "") -> float:
    """Say what runs where (and whether the CPUs were busy already), migrate the
    throw-away database, set Django up; return the seconds the migration took."""
    busy = cpu_busy()
    print(
        f"Maillon {title}, DEBUG off, {os.cpu_count()} CPUs"
        + ("" if busy is None else f" ({busy:.0%} busy before the start)")
    )
    if busy is not None and busy > 0.2:
        print("  (something else is using the CPUs: figures will be worse than on an idle machine)")
    if details:
        print(details)
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True
    )
    migrated = time.monotonic() - t0

    import django

    django.setup()
    return migrated


def benchmark(args, workdir: Path, database: Database, engine: Engine, started: float) -> None:
    t0 = time.monotonic()
    migrated = start_bench(
        f"publish lag: {database.label}, Redis {os.environ['REDIS_URL']}, "
        f"tick {args.tick_ms} ms, worker --concurrency={args.concurrency}"
    )
    receiver = Receiver()
    try:
        t0 = time.monotonic()
        cast = build_workspace(receiver.url)
        warmup = approved_posts(*cast, count=args.concurrency, label="warm-up")
        singles = approved_posts(*cast, count=args.singles, label="single")
        burst = approved_posts(*cast, count=args.burst, label="burst")
        built = time.monotonic() - t0
        total = len(warmup) + len(singles) + len(burst)
        print(
            f"Setup: migrate {migrated:.1f} s; {total} posts written, submitted and approved "
            f"through the services in {built:.1f} s ({built / total * 1000:.0f} ms a post)"
        )

        ready = engine.start()
        # One post per pool process first, so that no measured post pays for a cold start.
        run_round(engine, receiver, dict.fromkeys(warmup, aligned(1)), timeout=30)
        print(f"Engine: beat and worker up in {ready:.1f} s, then warmed up")

        if singles:
            first = aligned(LEAD)
            times = {
                pk: first + timedelta(seconds=SINGLES_SPACING * i) for i, pk in enumerate(singles)
            }
            report_singles(run_round(engine, receiver, times, timeout=30))
        if burst:
            due = aligned(LEAD)
            phase = run_round(engine, receiver, dict.fromkeys(burst, due), timeout=args.timeout)
            report_burst(phase, due)
    finally:
        receiver.stop()
    print(f"\nRun time {time.monotonic() - started:.0f} s in all.")


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="sqlite:///new/file or postgres://.../new_db")
    parser.add_argument("--singles", type=int, default=40, help="single posts (default 40)")
    parser.add_argument("--burst", type=int, default=1000, help="posts due together (1000)")
    parser.add_argument("--tick-ms", type=int, default=1000, help="PUBLISH_TICK_MILLISECONDS")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes (2)")
    parser.add_argument("--timeout", type=float, default=180, help="longest wait for the burst")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and log")
    args = parser.parse_args()

    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupted)  # a kill cleans up like a Ctrl-C
    workdir = Path(tempfile.mkdtemp(prefix="maillon-bench-"))
    engine = Engine(workdir, tick_ms=args.tick_ms, concurrency=args.concurrency)
    database = None
    try:
        database = open_database(args.database_url, workdir)
        production_like_env(database, workdir, args.tick_ms)
        benchmark(args, workdir, database, engine, started)
    except KeyboardInterrupt:
        print("\nInterrupted: cleaning up.")
        return 130
    finally:
        engine.stop()
        if database is not None:
            from django.db import connections

            connections.close_all()
            database.drop()
        if args.keep:
            print(f"Kept {workdir} (celery.log holds the output of beat and the worker).")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
