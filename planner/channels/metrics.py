"""What Maillon calls each network's counts, and when it reads them. Pure: no I/O.

Adapters return a post's counts under the network's own field names
(``favourites_count``, ``likeCount``, ``impression_count``...); ``canonical`` maps them
to ours through ``METRIC_NAMES``, in this one place. A network renaming a field
("impressions" becoming "views") is a new line in its table, not a code or schema
change; the old line can stay, for posts whose answers still carry the old name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

# Our names, in the order reports show them. A network's count without an equivalent
# here keeps a name of its own (quotes, bookmarks) rather than being folded into another.
LIKES, REPOSTS, REPLIES, VIEWS, QUOTES, BOOKMARKS = (
    "likes",
    "reposts",
    "replies",
    "views",
    "quotes",
    "bookmarks",
)
CANONICAL: tuple[str, ...] = (LIKES, REPOSTS, REPLIES, VIEWS, QUOTES, BOOKMARKS)
LABELS = {
    LIKES: _("Likes"),
    REPOSTS: _("Reposts"),
    REPLIES: _("Replies"),
    VIEWS: _("Views"),
    QUOTES: _("Quotes"),
    BOOKMARKS: _("Bookmarks"),
}

# network kind -> {the network's field: our name}. When two fields map to one name
# (an old and a new spelling), the first one the network sent, in table order, wins.
METRIC_NAMES: dict[str, dict[str, str]] = {
    # GET /api/v1/statuses/:id (quotes_count from Mastodon 4.5)
    "mastodon": {
        "favourites_count": LIKES,
        "reblogs_count": REPOSTS,
        "replies_count": REPLIES,
        "quotes_count": QUOTES,
    },
    # app.bsky.feed.getPosts -> posts[0] (Bluesky publishes no view counts)
    "bluesky": {
        "likeCount": LIKES,
        "repostCount": REPOSTS,
        "replyCount": REPLIES,
        "quoteCount": QUOTES,
    },
    # GET /2/tweets/:id?tweet.fields=public_metrics -> data.public_metrics
    "x": {
        "like_count": LIKES,
        "retweet_count": REPOSTS,
        "reply_count": REPLIES,
        "quote_count": QUOTES,
        "bookmark_count": BOOKMARKS,
        "impression_count": VIEWS,
    },
    # Graph: reactions.summary.total_count, shares.count, comments.summary.total_count
    "facebook": {"reactions": LIKES, "shares": REPOSTS, "comments": REPLIES},
    # Graph: /{media-id}?fields=like_count,comments_count
    "instagram": {"like_count": LIKES, "comments_count": REPLIES},
    # GET /{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes
    "threads": {
        "likes": LIKES,
        "reposts": REPOSTS,
        "replies": REPLIES,
        "views": VIEWS,
        "quotes": QUOTES,
    },
    # Organization posts: organizationalEntityShareStatistics -> totalShareStatistics;
    # member posts: socialActions (likesSummary, commentsSummary), flattened by the adapter.
    "linkedin": {
        "likeCount": LIKES,
        "shareCount": REPOSTS,
        "commentCount": REPLIES,
        "impressionCount": VIEWS,
        "totalLikes": LIKES,
        "aggregatedTotalComments": REPLIES,
    },
}


def canonical(kind: str, raw: Mapping[str, int]) -> dict[str, int]:
    """A network's counts under our names; fields the table does not name are left out."""
    counts: dict[str, int] = {}
    for field, name in METRIC_NAMES.get(kind, {}).items():
        if field in raw and name not in counts:
            counts[name] = int(raw[field])
    return counts


# --- the decaying schedule ------------------------------------------------------------

# Rounds after publication: most engagement comes early, so reads thin out with age.
ROUND_OFFSETS: tuple[timedelta, ...] = (
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
    timedelta(days=7),
)
FOLLOWERS_EVERY = timedelta(days=1)


def first_due(published_at: datetime) -> datetime:
    return published_at + ROUND_OFFSETS[0]


def next_round(published_at: datetime, done: int, now: datetime) -> tuple[int, datetime | None]:
    """The round after ``done`` and when it is due; None once every round is over.

    Rounds whose time has already passed (the worker was down for days) are skipped:
    a 6 h reading taken at day 3 would be mislabelled, not late."""
    for number in range(done + 1, len(ROUND_OFFSETS)):
        due = published_at + ROUND_OFFSETS[number]
        if due > now:
            return number, due
    return len(ROUND_OFFSETS), None
