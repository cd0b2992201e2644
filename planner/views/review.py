"""What the post's page shows of its review: the chain's progress, the viewer's turn
to decide, and the comments with their mentions."""

from __future__ import annotations

from accounts.permissions import Capability, role_can
from planner.approvals.review import review_of
from planner.posts import mentions
from planner.posts.checks import MAX_COMMENT


def review_context(post, user, role: str | None) -> dict:
    directory = mentions.members_of_workspace(post.workspace_id)
    comments = [
        {"comment": c, "parts": mentions.split(c.body, directory)}
        for c in post.comments.select_related("author")
    ]
    return {
        "review": review_of(post, user, role=role),
        "comments": comments,
        "can_comment": role_can(role, Capability.COMMENT),
        "mention_handles": directory.handles,
        "max_comment": MAX_COMMENT,
    }
