"""The calendar window: the posts, campaign spans and key dates between two moments, as the
calendar (the page and the API) draws them, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Left
from django.utils import timezone

from accounts.models import Workspace
from planner.approvals import risk
from planner.connection.status import DISCONNECTED, EXPIRES, connection_risk
from planner.models import (
    Campaign,
    KeyDate,
    Post,
    Variant,
)
from planner.selectors import TITLE_EXCERPT
from planner.workflow import OPEN_STATES


@dataclass(frozen=True)
class CalendarFilters:
    campaign: int | None = None
    channel: int | None = None
    state: str | None = None
    assignee: int | None = None
    label: int | None = None


class CalendarPost(NamedTuple):
    """What the calendar draws of a post: plain values, no model instance (a month can
    hold thousands of posts, and building instances would cost more than the queries)."""

    id: int
    title: str
    scheduled_at: datetime
    state: str
    campaign_name: str
    campaign_colour: str
    assignee: str
    channels: list[str]
    labels: list[str]
    at_risk: bool = False  # due soon and not approved (planner.approvals.risk)
    # When ``at_risk`` next changes by time passing alone; None: never.
    risk_changes_at: datetime | None = None
    # A channel of the post is disconnected, or its access ends before the post's time
    # (planner.connection.status): "disconnected", "expires" or "".
    connection_risk: str = ""


def _display_title(pk: int, title: str, body_start: str) -> str:
    """``str(post)`` from the title and the first TITLE_EXCERPT + 1 characters of the text."""
    if title:
        return title
    if len(body_start) > TITLE_EXCERPT:
        return body_start[:TITLE_EXCERPT] + "…"
    return body_start or f"#{pk}"


def _display_name(full_name: str | None, email: str | None) -> str:
    """``User.display_name`` from its two columns; "" when there is no one."""
    if email is None:
        return ""
    return full_name or email.split("@")[0]


def calendar_window_posts(
    workspace: Workspace, start: datetime, end: datetime, filters: CalendarFilters
) -> QuerySet[Post]:
    """The posts of a calendar window that pass the filters (one row per post)."""
    posts = Post.objects.filter(workspace=workspace, scheduled_at__gte=start, scheduled_at__lt=end)
    if filters.campaign:
        posts = posts.filter(campaign_id=filters.campaign)
    if filters.state:
        posts = posts.filter(state=filters.state)
    if filters.assignee:
        posts = posts.filter(assignee_id=filters.assignee)
    # Exists rather than a join: no duplicate rows, so no DISTINCT to sort away.
    if filters.channel:
        posts = posts.filter(
            Exists(Variant.objects.filter(post=OuterRef("pk"), channel_id=filters.channel))
        )
    if filters.label:
        posts = posts.filter(
            Exists(Post.labels.through.objects.filter(post=OuterRef("pk"), label_id=filters.label))
        )
    return posts


def calendar_posts(
    workspace: Workspace,
    start: datetime,
    end: datetime,
    filters: CalendarFilters,
    now: datetime | None = None,
) -> list[CalendarPost]:
    """The posts of a calendar window, with everything the calendar draws, in three
    queries whatever the number of posts: the posts (with campaign and assignee joined),
    their channels, their labels. Rows, not model instances. Whether a post is at risk
    at ``now`` is read from its own columns: no query."""
    now = now or timezone.now()
    hours = workspace.at_risk_hours
    posts = calendar_window_posts(workspace, start, end, filters)
    chosen = posts.values("pk")
    channels: dict[int, list[str]] = {}
    ends: dict[int, list[tuple[datetime | None, datetime | None]]] = {}
    for post_id, kind, disconnected_at, expires_at in (
        Variant.objects.filter(post__in=chosen)
        .order_by("post_id", "pk")
        .values_list(
            "post_id", "channel__kind", "channel__disconnected_at", "channel__access_expires_at"
        )
    ):
        channels.setdefault(post_id, []).append(kind)
        if disconnected_at or expires_at:
            ends.setdefault(post_id, []).append((disconnected_at, expires_at))
    labels: dict[int, list[str]] = {}
    for post_id, name in (
        Post.labels.through.objects.filter(post__in=chosen)
        .order_by("post_id", "label__name")
        .values_list("post_id", "label__name")
    ):
        labels.setdefault(post_id, []).append(name)
    rows = (
        posts.annotate(body_start=Left("body", TITLE_EXCERPT + 1))
        .order_by("scheduled_at", "pk")
        .values_list(
            "pk",
            "title",
            "body_start",
            "scheduled_at",
            "state",
            "campaign__name",
            "campaign__colour",
            "assignee__full_name",
            "assignee__email",
            "version",
            "approved_version",
        )
    )
    return [
        CalendarPost(
            pk,
            _display_title(pk, title, body_start),
            scheduled_at,
            state,
            campaign_name or "",
            campaign_colour or "",
            _display_name(full_name, email),
            channels.get(pk, []),
            labels.get(pk, []),
            *risk.assess(state, version, approved_version, scheduled_at, now, hours),
            _connection_risk(ends.get(pk, ()), state, scheduled_at),
        )
        for (
            pk,
            title,
            body_start,
            scheduled_at,
            state,
            campaign_name,
            campaign_colour,
            full_name,
            email,
            version,
            approved_version,
        ) in rows
    ]


def _connection_risk(ends, state: str, scheduled_at: datetime) -> str:
    """The worst of the post's channels: disconnected, else access ending before its time;
    only for posts still to go out."""
    if state not in OPEN_STATES:
        return ""
    found = {
        connection_risk(disconnected_at, expires_at, scheduled_at)
        for disconnected_at, expires_at in ends
    }
    for reason in (DISCONNECTED, EXPIRES):
        if reason in found:
            return reason
    return ""


class CalendarCampaign(NamedTuple):
    id: int
    name: str
    starts_on: date
    ends_on: date
    colour: str


def calendar_campaigns(
    workspace: Workspace, start: date, end: date, campaign: int | None = None
) -> list[CalendarCampaign]:
    """The campaigns whose days overlap [start, end), as bars above the posts; only
    `campaign` when the calendar is filtered to one."""
    campaigns = Campaign.objects.filter(workspace=workspace, starts_on__lt=end, ends_on__gte=start)
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign)
    return [
        CalendarCampaign(*row)
        for row in campaigns.values_list("pk", "name", "starts_on", "ends_on", "colour")
    ]


class CalendarKeyDate(NamedTuple):
    pk: int
    title: str
    all_day: bool
    starts_on: date | None
    ends_on: date | None  # inclusive
    starts_at: datetime | None
    ends_at: datetime | None


def calendar_key_dates(
    workspace: Workspace, start: datetime, end: datetime
) -> list[CalendarKeyDate]:
    """The key dates overlapping [start, end), in one query: all-day ones by their days
    (the window's days in the viewer's zone, as campaign spans), timed ones by their times."""
    rows = KeyDate.objects.filter(workspace=workspace).filter(
        Q(all_day=True, starts_on__lt=end.date(), ends_on__gte=start.date())
        | Q(all_day=False, starts_at__lt=end, ends_at__gte=start)
    )
    return [
        CalendarKeyDate(*row)
        for row in rows.values_list(
            "pk", "title", "all_day", "starts_on", "ends_on", "starts_at", "ends_at"
        )
    ]
