"""Every non-trivial read. Each starts from what the user may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, QuerySet

from accounts.models import User, Workspace
from planner.models import Post


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
