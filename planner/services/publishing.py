"""The publishing engine's writes to a post's state (role SYSTEM in the workflow).

The claim/lease/adapter machinery that calls these arrives with the engine;
these are the state changes it is allowed to make, and nothing else makes them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from planner import audit, workflow
from planner.errors import Conflict
from planner.models import Post
from planner.workflow import Action


def post_engine_transition(*, post: Post, action: Action, note: str = "") -> Post:
    """Apply an engine action (start_publishing, mark_published, mark_failed, miss_slot)."""
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("workspace").get(pk=post.pk)
        verdict = workflow.check(post.state, action, workflow.Context(role=workflow.SYSTEM))
        if not verdict:
            raise Conflict(verdict.reason)
        was = post.state
        post.state = verdict.target
        post.state_changed_at = timezone.now()
        post.save(update_fields=["state", "state_changed_at", "updated_at"])
        audit.record(
            workspace=post.workspace,
            actor=None,
            action=f"post.{action}",
            post=post,
            target=str(post),
            data={"state": [was, post.state], "note": note},
        )
    return post
