"""Writing a post: drafting it, changing its content (a new version, approvals withdrawn),
its planning details, and the editor's save of all of these at once.

Each service checks the actor's role and the workflow table, validates, changes
state inside one transaction with the post row locked, and writes an audit
event. What people do next is in ``actions``, a post's time in ``scheduling``;
the publishing engine has its own services in ``planner.publishing``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User, Workspace
from accounts.permissions import Capability, role_can
from planner import audit, workflow
from planner.access import require
from planner.approvals import chain_progress, notices
from planner.approvals.chains import carry_over, unchanged_prefix
from planner.errors import Conflict, Invalid, NotAllowed
from planner.models import (
    Campaign,
    Label,
    Post,
    PostVersion,
    Variant,
)
from planner.posts.checks import (
    check_alt_text,
    check_future,
    check_refs,
    check_text,
    workspace_channels,
)
from planner.posts.scheduling import (
    APPROVAL_HELD,
    post_reschedule,
    revoke_approval,
    withdraw_approval,
)
from planner.posts.transitions import apply_transition, lock_post, member_role, transition_context
from planner.workflow import Action, State


def _snapshot(post: Post, author: User) -> PostVersion:
    variants = {str(v.channel_id): v.text for v in post.variants.all()}
    media = [{"id": m.pk, "name": m.file.name, "alt": m.alt_text} for m in post.media.all()]
    # Which media go where: the channels with their own selection (ids, in order).
    variant_media = {str(v.channel_id): v.media for v in post.variants.all() if v.media is not None}
    return PostVersion.objects.create(
        post=post,
        number=post.version,
        title=post.title,
        body=post.body,
        variants=variants,
        media=media,
        variant_media=variant_media,
        author=author,
    )


def _content(post: Post) -> dict:
    return {
        "title": post.title,
        "body": post.body,
        "variants": {str(v.channel_id): v.text for v in post.variants.all()},
    }


def post_create(
    *,
    actor: User,
    workspace: Workspace,
    body: str,
    title: str = "",
    variants: Mapping[int, str] | None = None,
    campaign: Campaign | None = None,
    scheduled_at: datetime | None = None,
    assignee: User | None = None,
    labels: Iterable[Label] = (),
) -> Post:
    """Draft a new post. ``variants`` maps channel ids to their own text ('' = master text)."""
    role = require(actor, workspace, Capability.POST_CREATE)
    variants = dict(variants or {})
    labels = list(labels)
    if scheduled_at is not None:
        if not role_can(role, Capability.POST_SCHEDULE):
            raise NotAllowed(_("Your role cannot schedule posts; leave the time empty."))
        check_future(scheduled_at)
    check_text(title, body, variants)
    check_refs(workspace, campaign=campaign, assignee=assignee, labels=labels)
    channels = workspace_channels(workspace, variants)
    with transaction.atomic():
        post = Post.objects.create(
            workspace=workspace,
            campaign=campaign,
            title=title.strip(),
            body=body,
            scheduled_at=scheduled_at,
            author=actor,
            assignee=assignee,
        )
        Variant.objects.bulk_create(
            Variant(post=post, channel=channels[cid], text=text) for cid, text in variants.items()
        )
        if labels:
            post.labels.set(labels)
        _snapshot(post, actor)
        audit.record(
            workspace=workspace,
            actor=actor,
            action="post.create",
            post=post,
            campaign=campaign,
            target=str(post),
            data={"after": _content(post), "scheduled_at": scheduled_at},
        )
    return post


CONFLICT_TEXT = _lazy(
    "Someone else saved this post while you were editing (now version %(version)s). "
    "Your text has not been saved: compare and save again."
)


def edit_content(
    *,
    actor: User,
    post: Post,
    expected_version: int,
    event: str,
    plan: Callable[[Post], dict | None],
    write: Callable[[Post], dict | None],
    conflict_message=CONFLICT_TEXT,
) -> Post:
    """The one way a post's content changes: text, channels' texts, media, alt text.

    ``plan`` looks at the locked post and returns what the change is (for the
    audit trail), or None when there is nothing to change: no version then.
    ``write`` makes the change and may return more facts for the audit trail.
    Before anything is written the actor's right to edit and the post's state
    are checked (a published post's content is frozen); then, as for every
    content change, a new version is kept, any approval is withdrawn and
    pending deliveries stop.

    ``expected_version`` is the version the editor started from: if someone
    saved in between, the change is refused with a Conflict and nothing is
    lost (the caller keeps what was typed and shows both).
    """
    role = member_role(actor, post.workspace_id)
    with transaction.atomic():
        post = lock_post(post)
        if post.version != expected_version:
            raise Conflict(str(conflict_message) % {"version": post.version})
        data = plan(post)
        if data is None:
            return post
        was = post.state
        apply_transition(post, Action.EDIT, transition_context(actor, post, role))
        data = {**data, **(write(post) or {})}
        withdrawn = 0
        if post.approved_version is not None or was == State.IN_REVIEW:
            approvers = notices.live_approvers(post)
            withdrawn = withdraw_approval(post)
            if withdrawn:
                notices.approval_withdrawn(post=post, actor=actor, approver_ids=approvers)
        post.version += 1
        post.sequence += 1
        post.save()
        _snapshot(post, actor)
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action=event,
            post=post,
            target=str(post),
            data={
                **data,
                "version": post.version,
                "state": [was, post.state],
                "approvals_withdrawn": withdrawn,
            },
        )
    return post


def post_edit(
    *,
    actor: User,
    post: Post,
    expected_version: int,
    title: str,
    body: str,
    variants: Mapping[int, str],
    alt_texts: Mapping[int, str] | None = None,
) -> Post:
    """Change a post's content. A new version; any approval is withdrawn.

    ``alt_texts`` maps the post's media ids to their alternative text, saved
    with the text as one version (ids of other posts' media are ignored).
    """
    variants = dict(variants)
    alt_texts = dict(alt_texts or {})
    check_text(title, body, variants)
    for alt_text in alt_texts.values():
        check_alt_text(alt_text)
    after = {
        "title": title.strip(),
        "body": body,
        "variants": {str(k): v for k, v in variants.items()},
    }
    alt_changes: dict[int, str] = {}

    def plan(post: Post) -> dict | None:
        before = _content(post)
        alt_changes.update(
            (m.pk, alt_texts[m.pk])
            for m in post.media.all()
            if m.pk in alt_texts and alt_texts[m.pk] != m.alt_text
        )
        if before == after and not alt_changes:
            return None
        data = {"before": before, "after": after}
        if alt_changes:
            data["alt_texts"] = {str(pk): text for pk, text in alt_changes.items()}
        return data

    def write(post: Post) -> None:
        channels = workspace_channels(post.workspace, variants)
        current = {v.channel_id: v for v in post.variants.all()}
        for channel_id in set(current) - set(variants):
            current[channel_id].delete()
        for channel_id, text in variants.items():
            variant = current.get(channel_id)
            if variant is None:
                Variant.objects.create(post=post, channel=channels[channel_id], text=text)
            elif variant.text != text:
                variant.text = text
                variant.save(update_fields=["text"])
        for media in post.media.filter(pk__in=alt_changes):
            media.alt_text = alt_changes[media.pk]
            media.save(update_fields=["alt_text"])
        post.title, post.body = after["title"], body

    return edit_content(
        actor=actor,
        post=post,
        expected_version=expected_version,
        event="post.edit",
        plan=plan,
        write=write,
    )


def post_update_details(
    *,
    actor: User,
    post: Post,
    campaign: Campaign | None,
    assignee: User | None,
    labels: Iterable[Label],
) -> Post:
    """Campaign, assignee and labels: planning details, not content (no new version).

    The role first, then authorship: a writer (who may draft) changes the details of
    the posts they wrote, a planner anyone's; a former contributor now a viewer none.
    A post in review that changes campaign changes chain: its approvals are carried
    over by the rule of a chain edit (``chains.carry_over``)."""
    role = member_role(actor, post.workspace_id)
    if not role_can(role, Capability.POST_CREATE):
        raise NotAllowed(_("Your role does not allow this."))
    labels = list(labels)
    check_refs(post.workspace, campaign=campaign, assignee=assignee, labels=labels)
    with transaction.atomic():
        post = lock_post(post)
        if not (post.author_id == actor.pk or role_can(role, Capability.POST_EDIT_ANY)):
            raise NotAllowed(_("You can only change posts you wrote."))
        if post.state in workflow.LOCKED:
            raise Conflict(_("This post has gone out; its details can no longer change."))
        before = {
            "campaign": post.campaign_id,
            "assignee": post.assignee_id,
            "labels": sorted(post.labels.values_list("pk", flat=True)),
        }
        old_steps = chain_progress.chain_steps(post)
        post.campaign, post.assignee = campaign, assignee
        post.save(update_fields=["campaign", "assignee", "updated_at"])
        post.labels.set(labels)
        after = {
            "campaign": post.campaign_id,
            "assignee": post.assignee_id,
            "labels": sorted(label.pk for label in labels),
        }
        extra: dict = {}
        if before["campaign"] != after["campaign"] and post.state in APPROVAL_HELD:
            # Approved under the old campaign's chain: kept only if the new chain asks
            # nothing the old one did not (its steps are the old chain's first steps).
            new_steps = chain_progress.chain_steps(post)
            if unchanged_prefix(old_steps, new_steps) < len(new_steps):
                extra = revoke_approval(
                    post, actor, reason="campaign", chains=(old_steps, new_steps)
                )
        elif before["campaign"] != after["campaign"] and post.state == State.IN_REVIEW:
            new_steps = chain_progress.chain_steps(post)
            if new_steps != old_steps:
                approvers = notices.live_approvers(post)
                first, withdrawn = carry_over(post, old_steps, new_steps)
                extra = {"version": post.version, "step": first, "approvals_withdrawn": withdrawn}
                if withdrawn:
                    still = set(notices.live_approvers(post))
                    notices.approval_withdrawn(
                        post=post,
                        actor=actor,
                        approver_ids=[pk for pk in approvers if pk not in still],
                    )
        if before != after:
            audit.record(
                workspace=post.workspace,
                actor=actor,
                action="post.details",
                post=post,
                campaign=campaign,
                target=str(post),
                data={"before": before, "after": after, **extra},
            )
    return post


def post_save(
    *,
    actor: User,
    post: Post,
    expected_version: int,
    title: str,
    body: str,
    variants: Mapping[int, str],
    scheduled_at: datetime | None,
    campaign: Campaign | None,
    assignee: User | None,
    labels: Iterable[Label],
    alt_texts: Mapping[int, str] | None = None,
) -> Post:
    """The editor's save: content, time and planning details together, or nothing."""
    with transaction.atomic():
        post = post_edit(
            actor=actor,
            post=post,
            expected_version=expected_version,
            title=title,
            body=body,
            variants=variants,
            alt_texts=alt_texts,
        )
        post = post_update_details(
            actor=actor, post=post, campaign=campaign, assignee=assignee, labels=labels
        )
        if scheduled_at is not None and scheduled_at != post.scheduled_at:
            post = post_reschedule(actor=actor, post=post, scheduled_at=scheduled_at)
        elif scheduled_at is None and post.scheduled_at is not None:
            raise Invalid(
                _("A planned post keeps a time; move it instead of clearing it."),
                fields={"scheduled_at": [_("Choose a time.")]},
            )
    return post
