"""Every non-trivial read. Each starts from what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import User, Workspace
from planner.models import Campaign, Post, Variant


def posts_visible_to(user: User) -> QuerySet[Post]:
    """Posts of every workspace the user belongs to: the start of every post lookup."""
    return Post.objects.filter(workspace__memberships__user=user)


def post_for(user: User, pk: int) -> Post | None:
    return posts_visible_to(user).select_related("workspace", "campaign").filter(pk=pk).first()


def posts_in_window(workspace: Workspace, start: datetime, end: datetime) -> QuerySet[Post]:
    return (
        Post.objects.filter(workspace=workspace, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("campaign", "author", "assignee")
        .prefetch_related("variants__channel")
        .order_by("scheduled_at", "pk")
    )


def state_counts(workspace: Workspace) -> dict[str, int]:
    rows = Post.objects.filter(workspace=workspace).values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


@dataclass(frozen=True)
class CalendarFilters:
    campaign: int | None = None
    channel: int | None = None
    state: str | None = None
    assignee: int | None = None
    label: int | None = None


def calendar_posts(
    workspace: Workspace, start: datetime, end: datetime, filters: CalendarFilters
) -> list[Post]:
    """The posts of a calendar window, with everything the calendar draws, in a fixed
    number of queries whatever the number of posts."""
    posts = Post.objects.filter(workspace=workspace, scheduled_at__gte=start, scheduled_at__lt=end)
    if filters.campaign:
        posts = posts.filter(campaign_id=filters.campaign)
    if filters.state:
        posts = posts.filter(state=filters.state)
    if filters.assignee:
        posts = posts.filter(assignee_id=filters.assignee)
    if filters.channel:
        posts = posts.filter(variants__channel_id=filters.channel)
    if filters.label:
        posts = posts.filter(labels__id=filters.label)
    return list(
        posts.distinct()
        .select_related("campaign", "assignee")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.select_related("channel")),
            "labels",
        )
        .order_by("scheduled_at", "pk")
    )


def calendar_campaigns(workspace: Workspace, start: date, end: date) -> QuerySet[Campaign]:
    return Campaign.objects.filter(workspace=workspace, starts_on__lt=end, ends_on__gte=start)


@dataclass(frozen=True)
class CadenceLine:
    channel_name: str
    planned: int
    target: int

    @property
    def met(self) -> bool:
        return self.planned >= self.target


def cadence_this_week(campaign: Campaign, week_start: datetime) -> list[CadenceLine]:
    """Plan versus cadence per channel for the week starting at ``week_start``:
    "LinkedIn: 2 of 3 this week". Cancelled and retracted posts do not count."""
    from planner.workflow import State

    week_end = week_start + timedelta(days=7)
    planned = dict(
        Variant.objects.filter(
            post__campaign=campaign,
            post__scheduled_at__gte=week_start,
            post__scheduled_at__lt=week_end,
        )
        .exclude(post__state__in=[State.CANCELLED, State.RETRACTED])
        .values("channel_id")
        .annotate(n=Count("post_id", distinct=True))
        .values_list("channel_id", "n")
    )
    return [
        CadenceLine(
            cadence.channel.name, planned.get(cadence.channel_id, 0), cadence.posts_per_week
        )
        for cadence in campaign.cadences.select_related("channel").order_by("channel__name")
    ]
