"""Every non-trivial read. Each starts from what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, DateTimeField, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce

from accounts.models import Membership, User, Workspace
from planner.models import (
    Campaign,
    KeyDate,
    KeyDateImport,
    KeyDateSource,
    Notification,
    Post,
    Variant,
)
from planner.workflow import State


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


TITLE_EXCERPT = 60  # as Post.__str__: the title, else the text's first 60 characters


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


def inbox(user: User, workspace: Workspace) -> QuerySet[Notification]:
    """The user's notifications in this workspace, newest first, ready to describe."""
    return (
        Notification.objects.filter(recipient=user, workspace=workspace)
        .select_related("actor", "post")
        .order_by("-created_at", "-id")
    )


def unread_notification_count(user: User) -> int:
    """Unread notifications of the user's current workspace (as ``current_membership``
    picks it: the remembered one if still a member, else the first by name), in one
    COUNT query for the navigation bar."""
    mine = Membership.objects.filter(user=user)
    remembered = mine.filter(workspace_id=user.current_workspace_id).values("workspace_id")[:1]
    first = mine.order_by("workspace__name").values("workspace_id")[:1]
    return Notification.objects.filter(
        recipient=user,
        read_at__isnull=True,
        workspace_id=Coalesce(Subquery(remembered), Subquery(first)),
    ).count()


def key_date_sources(workspace: Workspace) -> QuerySet[KeyDateSource]:
    """The workspace's sources, each with its number of dates."""
    return KeyDateSource.objects.filter(workspace=workspace).annotate(dates=Count("key_dates"))


def key_date_imports(workspace: Workspace) -> QuerySet[KeyDateImport]:
    """The workspace's imports, the latest first (without the uploaded files)."""
    return (
        KeyDateImport.objects.filter(workspace=workspace)
        .select_related("created_by")
        .defer("upload")
        .order_by("-created_at", "-pk")
    )


def upcoming_key_dates(
    workspace: Workspace, now: datetime, today: date, limit: int
) -> list[KeyDate]:
    """The next ``limit`` key dates not over yet (today's included), soonest first."""
    return list(
        KeyDate.objects.filter(workspace=workspace)
        .filter(Q(all_day=True, ends_on__gte=today) | Q(all_day=False, ends_at__gte=now))
        .annotate(begins=Coalesce("starts_at", Cast("starts_on", DateTimeField())))
        .select_related("source")
        .order_by("begins", "title", "pk")[:limit]
    )
