"""Telling a calendar app that its copy of a feed is still good, without building the
feed: the ETag and Last-Modified of ``/feeds/<token>.ics``.

They come from a fingerprint, one aggregate query: the owner's role now, and the count
and newest ``updated_at`` of each kind of row the feed reads (posts in scope and window,
the workspace's campaigns and channels, key dates in the window). A deletion changes a
count; an edit, a move into or out of the window, a rename changes a count or a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.dateparse import parse_datetime
from redis.exceptions import RedisError

from accounts.models import Membership
from planner import calendar_cache
from planner.calendar_feeds.content import Window
from planner.models import Campaign, Channel, FeedLink, FeedScope, KeyDate, Post, Variant
from planner.workflow import State

FORMAT = 1  # bump when the text changes shape: every ETag then changes with it
# A transaction that began before another may commit after it with an older updated_at,
# which max(updated_at) does not show. While the newest change is this recent, the ETag
# also carries the workspace's write counter, which moves after every audited commit.
SETTLE = dt.timedelta(minutes=2)
# A fingerprint kept in the cache is used while the workspace's counter has not moved, and
# no longer than this: a write that bypasses the services (a shell) shows within it.
KEEP_FINGERPRINT = dt.timedelta(minutes=5)
KEPT_SECONDS = 90 * 24 * 3600  # how long a link's last ETag and its first sighting are kept


class Fingerprint(NamedTuple):
    """The owner's role now, and how many rows of each kind the feed reads and when the
    newest of them last changed. A deletion changes a count; an edit, a move into or out
    of the window, a rename of a campaign or a channel changes a count or a time."""

    role: str
    numbers: tuple


def _posts_in_scope(link: FeedLink, window: Window) -> tuple[str, list]:
    """``scoped_posts`` as SQL (a test holds the two to the same rows)."""
    ops = connection.ops
    where = ["p.workspace_id = %s", "p.scheduled_at >= %s", "p.scheduled_at < %s"]
    params: list = [
        link.workspace_id,
        ops.adapt_datetimefield_value(window.start_at),
        ops.adapt_datetimefield_value(window.end_at),
    ]
    if link.scope == FeedScope.CAMPAIGN:
        where.append("p.campaign_id = %s")
        params.append(link.campaign_id)
    elif link.scope == FeedScope.CHANNEL:
        where.append(
            f"EXISTS (SELECT 1 FROM {_table(Variant)} v"  # noqa: S608 - a table name
            " WHERE v.post_id = p.id AND v.channel_id = %s)"
        )
        params.append(link.channel_id)
    elif link.scope == FeedScope.MINE:
        where.append("(p.author_id = %s OR p.assignee_id = %s)")
        params += [link.user_id, link.user_id]
    elif link.scope == FeedScope.WAITING:
        where.append("p.state = %s")
        params.append(State.IN_REVIEW)
    return " AND ".join(where), params


def _key_dates_in(workspace_id: int, window: Window) -> tuple[str, list]:
    """``key_dates_in`` as SQL."""
    ops = connection.ops
    return (
        "k.workspace_id = %s AND ((k.all_day = %s AND k.starts_on < %s AND k.ends_on >= %s)"
        " OR (k.all_day = %s AND k.starts_at < %s AND k.ends_at >= %s))",
        [
            workspace_id,
            True,
            ops.adapt_datefield_value(window.end),
            ops.adapt_datefield_value(window.first),
            False,
            ops.adapt_datetimefield_value(window.end_at),
            ops.adapt_datetimefield_value(window.start_at),
        ],
    )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _moment(value) -> dt.datetime | None:
    """A MAX(updated_at) as an aware datetime (SQLite gives the UTC text it keeps)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def fingerprint(link: FeedLink, window: Window) -> Fingerprint | None:
    """One query: the owner's role in the link's workspace (None: not a member, not
    found) and the counts and newest changes of the posts in scope and window, of the
    workspace's campaigns and channels (their names are in the events), and of its key
    dates in the window. Written in SQL: it runs after every write to the workspace, and
    the ORM took three times as long to compose it as the database to answer it."""
    posts, post_params = _posts_in_scope(link, window)
    key_dates, key_date_params = _key_dates_in(link.workspace_id, window)
    newest = "SELECT COUNT(*) AS n, MAX({alias}.updated_at) AS at FROM {table} {alias}"
    # Only the models' table names are formatted in; every value is a parameter.
    sql = (
        "SELECT m.role, p.n, p.at, c.n, c.at, ch.n, ch.at, k.n, k.at"  # noqa: S608
        f" FROM {_table(Membership)} m"
        f" CROSS JOIN ({newest.format(alias='p', table=_table(Post))} WHERE {posts}) p"
        f" CROSS JOIN ({newest.format(alias='c', table=_table(Campaign))}"
        " WHERE c.workspace_id = %s) c"
        f" CROSS JOIN ({newest.format(alias='ch', table=_table(Channel))}"
        " WHERE ch.workspace_id = %s) ch"
        f" CROSS JOIN ({newest.format(alias='k', table=_table(KeyDate))} WHERE {key_dates}) k"
        " WHERE m.user_id = %s AND m.workspace_id = %s"
    )
    params = [
        *post_params,
        link.workspace_id,
        link.workspace_id,
        *key_date_params,
        link.user_id,
        link.workspace_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    numbers = tuple(_moment(v) if i % 2 else v for i, v in enumerate(row[1:]))
    return Fingerprint(row[0], numbers)


@dataclass(frozen=True)
class Validators:
    role: str  # the owner's role now
    etag: str | None
    last_modified: dt.datetime | None


def _kept_key(link: FeedLink) -> str:
    return f"feed:{link.pk}"


def _settings(link: FeedLink, window: Window) -> tuple:
    """Everything of the link, its owner and the day that shapes the text (no query)."""
    return (
        FORMAT,
        settings.SITE_URL,
        link.scope,
        link.campaign_id,
        link.channel_id,
        link.name,
        link.days_back,
        link.days_ahead,
        link.user.language,
        link.workspace.name,
        window.first.isoformat(),
    )


def _etag(parts: list) -> str:
    return '"' + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32] + '"'


def validators(link: FeedLink, window: Window, now: dt.datetime) -> Validators | None:
    """The ETag and Last-Modified of the feed as it stands, without building it; None
    when the owner is no longer a member (the feed is then not found).

    The ETag hashes the link's settings, the owner's role and the fingerprint's counts
    and times; for "what waits on me", and while the newest change is recent, also the
    workspace's write counter (``calendar_cache``: every audited write moves it after its
    commit), since a decision, a chain or another member's role can change whose turn it
    is without touching a post. Last-Modified is the moment this server first saw that
    ETag for the link, so a deletion or a narrower role, which leave no newer
    ``updated_at``, still move it on.

    The fingerprint is kept in the cache under the counter read *before* computing it
    (as the calendar keeps its answers, ``views.calendar``): while the counter has not
    moved, no audited write (membership changes included) has committed since, so a 304
    costs the link's query and one trip to Redis, whatever the size of the feed.
    Without Redis: no Last-Modified, and no ETag when it would need the counter."""
    if not link.user.is_active:
        return None
    waiting = link.scope == FeedScope.WAITING
    shape = _settings(link, window)
    version_key, kept_key = calendar_cache.key(link.workspace_id), _kept_key(link)
    try:
        found = cache.get_many([version_key, kept_key])
        version = found.get(version_key)
        version = calendar_cache.version(link.workspace_id) if version is None else str(version)
    except RedisError:
        return _without_cache(link, window, now, shape, waiting)
    kept = found.get(kept_key) or {}
    reuse = (
        kept.get("version") == version
        and kept.get("shape") == shape
        and now - kept["computed_at"] < KEEP_FINGERPRINT
    )
    if reuse:
        role, numbers, computed_at = kept["role"], kept["numbers"], kept["computed_at"]
    else:
        computed = fingerprint(link, window)
        if computed is None:
            return None
        role, numbers, computed_at = computed.role, computed.numbers, now
    parts = [*shape, role, *numbers]
    if waiting or _settling(numbers, now):
        parts.append(version)
    etag = _etag(parts)
    if kept.get("etag") == etag:
        seen = kept["seen"]
    else:
        # HTTP dates have whole seconds: a second change within one must still be newer.
        seen = now.replace(microsecond=0)
        if kept.get("seen") and seen <= kept["seen"]:
            seen = kept["seen"] + dt.timedelta(seconds=1)
    if not reuse or kept.get("etag") != etag:
        entry = {
            "version": version,
            "shape": shape,
            "role": role,
            "numbers": numbers,
            "computed_at": computed_at,
            "etag": etag,
            "seen": seen,
        }
        try:
            cache.set(kept_key, entry, KEPT_SECONDS)
        except RedisError:
            seen = None
    return Validators(role, etag, seen)


def _settling(numbers: tuple, now: dt.datetime) -> bool:
    times = [n for n in numbers if isinstance(n, dt.datetime)]
    return bool(times) and now - max(times) < SETTLE


def _without_cache(
    link: FeedLink, window: Window, now: dt.datetime, shape: tuple, waiting: bool
) -> Validators | None:
    found = fingerprint(link, window)
    if found is None:
        return None
    if waiting or _settling(found.numbers, now):
        return Validators(found.role, None, None)
    return Validators(found.role, _etag([*shape, found.role, *found.numbers]), None)


def mark_used(link: FeedLink, now: dt.datetime) -> None:
    """Remember when the feed was last fetched (at most one write an hour)."""
    if link.last_used_at is None or now - link.last_used_at > dt.timedelta(hours=1):
        FeedLink.objects.filter(pk=link.pk).update(last_used_at=now)
