"""Calendar feeds: what a private feed address shows.

Reads only; links are made, renamed, regenerated and revoked by ``calendar_feeds.links``.
Each request works out what the link's owner may see *now*: a link whose owner left the
workspace (or was deactivated) is not found (``feed_validators``); "what waits on me"
asks the same rules as the "Waiting for me" queue (``planner.approvals.queues``), so a role that
approves nothing gets an empty calendar. The text is written by ``feed_text``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Left
from django.utils import translation
from django.utils.translation import gettext as _

from planner.approvals import queues
from planner.models import Campaign, FeedLink, FeedScope, KeyDate, Post, Variant
from planner.workflow import State

EVENT_LENGTH = dt.timedelta(minutes=15)  # a post is a moment; a zero-length event renders badly
TEXT_EXCERPT = 1_000  # characters of a post's text in its DESCRIPTION


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_for_token(token: str) -> FeedLink | None:
    """The live link a feed address names (found by its token's hash), or None."""
    if not token or len(token) > 200:
        return None
    return (
        FeedLink.objects.select_related("user", "workspace", "campaign", "channel")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )


def label_of(link: FeedLink) -> str:
    """What the link shows, in words: "Campaign: Spring", "My posts"…"""
    if link.scope == FeedScope.CAMPAIGN and link.campaign is not None:
        return _("Campaign: %(name)s") % {"name": link.campaign.name}
    if link.scope == FeedScope.CHANNEL and link.channel is not None:
        return _("Channel: %(name)s") % {"name": link.channel.name}
    if link.scope == FeedScope.MINE:
        return _("My posts")
    if link.scope == FeedScope.WAITING:
        return _("What waits on me")
    return _("The whole workspace")


# --- the window ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Whole days in UTC, ``first`` included, ``end`` excluded."""

    first: dt.date
    end: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=dt.UTC)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(0), tzinfo=dt.UTC)


def window_of(link: FeedLink, today: dt.date) -> Window:
    """From ``days_back`` days before today to ``days_ahead`` days after it, included."""
    return Window(
        today - dt.timedelta(days=link.days_back), today + dt.timedelta(days=link.days_ahead + 1)
    )


# --- what is in scope --------------------------------------------------------------------


def scoped_posts(link: FeedLink, window: Window) -> QuerySet[Post]:
    """The link's posts with a time in the window. For "what waits on me", the posts in
    review: the queue's rules then pick those whose current step the owner may decide."""
    posts = Post.objects.filter(
        workspace_id=link.workspace_id,
        scheduled_at__gte=window.start_at,
        scheduled_at__lt=window.end_at,
    )
    if link.scope == FeedScope.CAMPAIGN:
        posts = posts.filter(campaign_id=link.campaign_id)
    elif link.scope == FeedScope.CHANNEL:
        posts = posts.filter(
            Exists(Variant.objects.filter(post=OuterRef("pk"), channel_id=link.channel_id))
        )
    elif link.scope == FeedScope.MINE:
        posts = posts.filter(Q(author_id=link.user_id) | Q(assignee_id=link.user_id))
    elif link.scope == FeedScope.WAITING:
        posts = posts.filter(state=State.IN_REVIEW)
    return posts


def key_dates_in(workspace_id: int, window: Window) -> QuerySet[KeyDate]:
    return KeyDate.objects.filter(workspace_id=workspace_id).filter(
        Q(all_day=True, starts_on__lt=window.end, ends_on__gte=window.first)
        | Q(all_day=False, starts_at__lt=window.end_at, ends_at__gte=window.start_at)
    )


# --- the rows -----------------------------------------------------------------------------


class PostRow(NamedTuple):
    pk: int
    uid: uuid.UUID
    title: str
    text: str  # the first TEXT_EXCERPT + 1 characters
    state: str
    scheduled_at: dt.datetime
    updated_at: dt.datetime
    sequence: int
    campaign_id: int | None
    campaign: str | None


def post_rows(posts: QuerySet[Post]) -> tuple[list[PostRow], dict[int, list[str]]]:
    """The posts as plain rows, and each one's channel names: two queries."""
    rows = [
        PostRow(*row)
        for row in posts.annotate(text_start=Left("body", TEXT_EXCERPT + 1))
        .order_by("scheduled_at", "pk")
        .values_list(
            "pk",
            "uid",
            "title",
            "text_start",
            "state",
            "scheduled_at",
            "updated_at",
            "sequence",
            "campaign_id",
            "campaign__name",
        )
    ]
    channels: dict[int, list[str]] = {}
    for post_id, name in (
        Variant.objects.filter(post__in=posts.values("pk"))
        .order_by("post_id", "channel__name")
        .values_list("post_id", "channel__name")
    ):
        channels.setdefault(post_id, []).append(name)
    return rows, channels


def waiting_posts(link: FeedLink, role: str, window: Window) -> QuerySet[Post]:
    """The posts of the window whose current step the owner may decide now (the queue)."""
    ids = [row.post.pk for row in queues.waiting_for(link.user, link.workspace, role)]
    return scoped_posts(link, window).filter(pk__in=ids)


def campaigns_for(link: FeedLink, window: Window, posts: Iterable[PostRow]) -> QuerySet[Campaign]:
    """The campaign spans a feed shows: all of them for the workspace, the campaign's own,
    the campaigns on the channel, or those of the posts listed (mine, waiting)."""
    campaigns = Campaign.objects.filter(
        workspace_id=link.workspace_id, starts_on__lt=window.end, ends_on__gte=window.first
    )
    if link.scope == FeedScope.CAMPAIGN:
        return campaigns.filter(pk=link.campaign_id)
    if link.scope == FeedScope.CHANNEL:
        return campaigns.filter(channels=link.channel_id)
    if link.scope in (FeedScope.MINE, FeedScope.WAITING):
        return campaigns.filter(pk__in={row.campaign_id for row in posts if row.campaign_id})
    return campaigns


# --- the text ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contents:
    name: str
    posts: list[PostRow]
    channels: dict[int, list[str]]
    campaigns: list[Campaign]
    key_dates: list[KeyDate]


def feed_contents(link: FeedLink, role: str, window: Window) -> Contents:
    if link.scope == FeedScope.WAITING:
        posts = waiting_posts(link, role, window)
    else:
        posts = scoped_posts(link, window)
    rows, channels = post_rows(posts)
    with translation.override(link.user.language):
        name = f"{link.workspace.name} · {link.name or label_of(link)}"
    return Contents(
        name=name,
        posts=rows,
        channels=channels,
        campaigns=list(campaigns_for(link, window, rows).order_by("starts_on", "pk")),
        key_dates=list(key_dates_in(link.workspace_id, window).select_related("source")),
    )


def campaign_contents(campaign: Campaign) -> Contents:
    """A campaign as one file: its span, its posts with a time, and the key dates of
    its days."""
    days = Window(campaign.starts_on, campaign.ends_on + dt.timedelta(days=1))
    rows, channels = post_rows(Post.objects.filter(campaign=campaign, scheduled_at__isnull=False))
    return Contents(
        name=f"{campaign.workspace.name} · {campaign.name}",
        posts=rows,
        channels=channels,
        campaigns=[campaign],
        key_dates=list(key_dates_in(campaign.workspace_id, days).select_related("source")),
    )
