"""A person's hand on the engine: pause and resume a workspace, publish a held post now,
retry a failed one, and delete a retracted one from the networks."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from accounts.permissions import Capability
from planner import audit
from planner.access import require
from planner.channels import base
from planner.channels.registry import adapter_for
from planner.errors import Conflict, Invalid
from planner.models import Channel, Post, Publication
from planner.models import PublicationState as P
from planner.posts.transitions import (
    apply_transition,
    engine_apply,
    lock_post,
    member_role,
    transition_context,
)
from planner.publishing.outgoing import outgoing_post, session_for
from planner.workflow import Action, State

logger = logging.getLogger(__name__)


def workspace_pause(*, actor: User, workspace: Workspace, reason: str) -> Workspace:
    """Stop all publishing of the workspace at once. Sends check the pause under lock."""
    require(actor, workspace, Capability.PUBLISHING_PAUSE)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            _("Say why publishing is paused: everyone will see it."),
            fields={"reason": [_("A reason is required.")]},
        )
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if locked.is_paused:
            raise Conflict(_("Publishing is already paused."))
        locked.publishing_paused_at = timezone.now()
        locked.publishing_paused_reason = reason[:500]
        locked.publishing_paused_by = actor
        locked.save(
            update_fields=[
                "publishing_paused_at",
                "publishing_paused_reason",
                "publishing_paused_by",
            ]
        )
        audit.record(
            workspace=locked, actor=actor, action="publishing.pause", data={"reason": reason}
        )
    return locked


def workspace_resume(*, actor: User, workspace: Workspace) -> dict[str, int]:
    """Resume publishing. Posts whose slot passed by more than the cut-off wait for a person
    instead of going out late by themselves."""
    require(actor, workspace, Capability.PUBLISHING_PAUSE)
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if not locked.is_paused:
            raise Conflict(_("Publishing is not paused."))
        paused_for = timezone.now() - locked.publishing_paused_at
        cutoff = Now() - timedelta(minutes=locked.late_cutoff_minutes)
        stale = Publication.objects.filter(
            post__workspace=locked, state__in=[P.SCHEDULED, P.RETRY_WAIT], due_at__lt=cutoff
        )
        held_posts = set(stale.values_list("post_id", flat=True))
        held = stale.update(
            state=P.HELD,
            next_attempt_at=None,
            last_error="Its time passed while publishing was paused.",
            updated_at=timezone.now(),
        )
        for post in Post.objects.select_for_update().filter(pk__in=held_posts):
            post.workspace = locked
            if post.state in (State.APPROVED, State.PUBLISHING):
                engine_apply(post, Action.MISS_SLOT, "Its time passed while publishing was paused.")
        locked.publishing_paused_at = None
        locked.publishing_paused_reason = ""
        locked.publishing_paused_by = None
        locked.save(
            update_fields=[
                "publishing_paused_at",
                "publishing_paused_reason",
                "publishing_paused_by",
            ]
        )
        audit.record(
            workspace=locked,
            actor=actor,
            action="publishing.resume",
            data={"paused_seconds": int(paused_for.total_seconds()), "held": held},
        )
    return {"held": held, "posts": len(held_posts)}


_REVIVABLE = (P.HELD, P.FAILED, P.CANCELLED, P.UNKNOWN, P.SCHEDULED, P.RETRY_WAIT)


def _resolve(*, actor: User, post: Post, action: Action, event: str) -> Post:
    role = member_role(actor, post.workspace_id)
    with transaction.atomic():
        post = lock_post(post)
        if not post.approval_is_current:
            raise Conflict(_("The content changed since it was approved: submit it again."))
        disconnected = sorted(
            Channel.objects.filter(
                pk__in=post.variants.values("channel_id"), disconnected_at__isnull=False
            ).values_list("name", flat=True)
        )
        if disconnected:
            raise Conflict(
                _("Reconnect %(channels)s first: it refuses Maillon's access.")
                % {"channels": ", ".join(disconnected)}
            )
        was = post.state
        apply_transition(post, action, transition_context(actor, post, role))
        now = timezone.now()
        if action == Action.PUBLISH_NOW:
            post.scheduled_at = now
            post.sequence += 1
        post.save()
        channels = list(post.variants.values_list("channel_id", flat=True))
        revived = Publication.objects.filter(
            post=post, channel_id__in=channels, state__in=_REVIVABLE
        ).update(
            state=P.SCHEDULED,
            due_at=now,
            attempts=0,
            next_attempt_at=None,
            claim_token=None,
            lease_until=None,
            updated_at=now,
        )
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action=event,
            post=post,
            target=str(post),
            data={"state": [was, post.state], "publications": revived},
        )
    return post


def post_publish_now(*, actor: User, post: Post) -> Post:
    """A person decides a held (late, unclear) post goes out now."""
    return _resolve(actor=actor, post=post, action=Action.PUBLISH_NOW, event="post.publish_now")


def post_retry(*, actor: User, post: Post) -> Post:
    """Send a failed post's failed channels again (the published ones are left alone)."""
    return _resolve(actor=actor, post=post, action=Action.RETRY, event="post.retry")


def publication_retract(*, publication_id: int) -> str:
    """Delete one published delivery from its network, where the network allows it."""
    publication = (
        Publication.objects.select_related("channel", "post")
        .filter(pk=publication_id, state=P.PUBLISHED)
        .first()
    )
    if publication is None:
        return "skipped"
    adapter = adapter_for(publication.channel.kind)
    error = ""
    if not adapter.can_delete:
        network = publication.channel.get_kind_display()
        error = f"{network} does not let Maillon delete posts: remove it by hand."
    else:
        with base.new_http_client() as http:
            try:
                adapter.delete(session_for(publication.channel, http), outgoing_post(publication))
            except base.AdapterError as exc:
                error = f"Could not delete it: {exc.outcome.reason}"
            except Exception as exc:
                logger.exception("Deleting from %s crashed", publication.channel.kind)
                error = f"Could not delete it: {exc.__class__.__name__}"
    with transaction.atomic():
        row = Publication.objects.select_for_update().get(pk=publication_id)
        if error:
            row.last_error = error
        else:
            row.state = P.RETRACTED
            row.last_error = ""
        row.save(update_fields=["state", "last_error", "updated_at"])
        audit.record(
            workspace=publication.post.workspace,
            actor=None,
            action="publication.retract",
            post=publication.post,
            target=str(publication.channel),
            data={"deleted": not error, "error": error},
        )
    return row.state
