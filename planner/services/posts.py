"""Every write to a post: content, time, review decisions, comments.

Each service checks the actor's role and the workflow table, validates, changes
state inside one transaction with the post row locked, and writes an audit
event. The publishing engine has its own services in ``publishing.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Membership, User, Workspace
from accounts.permissions import Capability, role_can
from accounts.selectors import role_in
from planner import approvals, audit, mentions, workflow
from planner.access import require
from planner.errors import Conflict, Invalid, NotAllowed, NotFound
from planner.models import (
    ApprovalDecision,
    Campaign,
    Channel,
    Comment,
    Decision,
    Label,
    Post,
    PostVersion,
    Publication,
    PublicationState,
    Variant,
)
from planner.notifications import Kind, notify
from planner.services import notices
from planner.services.chains import carry_over, unchanged_prefix
from planner.workflow import Action, State

MAX_TEXT = 20_000
MAX_COMMENT = 5_000


# --- helpers -----------------------------------------------------------------


def _lock(post: Post) -> Post:
    """Re-read the post with its row locked for the rest of the transaction."""
    return Post.objects.select_for_update().select_related("workspace").get(pk=post.pk)


def _member_role(actor: User, workspace_id: int) -> str:
    role = role_in(actor, workspace_id)
    if role is None:
        raise NotFound(_("This post does not exist or you cannot see it."))
    return role


def _context(actor: User, post: Post, role: str, *, step=None) -> workflow.Context:
    authors = approvals.content_authors(post)
    already = False
    if step is not None:
        already = ApprovalDecision.objects.filter(
            post=post,
            version=post.version,
            step_position=step.position,
            step_role=step.role,
            decided_by=actor,
            withdrawn_at__isnull=True,
        ).exists()
    return workflow.Context(
        role=role,
        is_author=post.author_id == actor.pk,
        wrote_content=actor.pk in authors,
        four_eyes_relaxed=post.workspace.four_eyes_relaxed,
        is_step_approver=step is not None and step.may_decide(actor.pk, role) and not already,
        has_channels=post.variants.exists(),
        has_text=bool(post.body.strip()) or post.variants.exclude(text="").exists(),
        has_schedule=post.scheduled_at is not None,
    )


def _apply(post: Post, action: Action, ctx: workflow.Context) -> State:
    verdict = workflow.check(post.state, action, ctx)
    if not verdict:
        if verdict.refused_by == "state":
            raise Conflict(verdict.reason)
        raise NotAllowed(verdict.reason)
    assert verdict.target is not None
    if verdict.target != post.state:
        post.state = verdict.target
        post.state_changed_at = timezone.now()
    return verdict.target


def _check_future(when: datetime | None) -> None:
    if when is None:
        return
    if timezone.is_naive(when):
        raise Invalid(
            _("The time must include its time zone."),
            fields={"scheduled_at": [_("The time must include its time zone.")]},
        )
    if when <= timezone.now():
        raise Invalid(
            _("Choose a time in the future."),
            fields={"scheduled_at": [_("Choose a time in the future.")]},
        )


def _workspace_channels(workspace: Workspace, channel_ids: Iterable[int]) -> dict[int, Channel]:
    ids = set(channel_ids)
    channels = {c.pk: c for c in Channel.objects.filter(workspace=workspace, pk__in=ids)}
    if len(channels) != len(ids):
        raise Invalid(
            _("One of the channels does not exist in this workspace."),
            fields={"channels": [_("One of the channels does not exist in this workspace.")]},
        )
    inactive = [str(c) for c in channels.values() if not c.is_active]
    if inactive:
        raise Invalid(
            _("This channel is disabled: %(names)s.") % {"names": ", ".join(inactive)},
            fields={"channels": [_("Disabled channels cannot be used.")]},
        )
    return channels


def _check_refs(workspace: Workspace, *, campaign=None, assignee=None, labels=()) -> None:
    if campaign is not None and campaign.workspace_id != workspace.pk:
        raise Invalid(
            _("This campaign does not exist in this workspace."),
            fields={"campaign": [_("This campaign does not exist in this workspace.")]},
        )
    if (
        assignee is not None
        and not Membership.objects.filter(workspace=workspace, user=assignee).exists()
    ):
        raise Invalid(
            _("The assignee is not a member of this workspace."),
            fields={"assignee": [_("The assignee is not a member of this workspace.")]},
        )
    if any(label.workspace_id != workspace.pk for label in labels):
        raise Invalid(_("One of the labels does not exist in this workspace."))


def _check_text(title: str, body: str, variants: Mapping[int, str]) -> None:
    if len(title) > 200:
        raise Invalid(
            _("The title is limited to 200 characters."),
            fields={"title": [_("The title is limited to 200 characters.")]},
        )
    if len(body) > MAX_TEXT or any(len(t) > MAX_TEXT for t in variants.values()):
        raise Invalid(_("The text is too long."))


def _snapshot(post: Post, author: User) -> PostVersion:
    variants = {str(v.channel_id): v.text for v in post.variants.all()}
    media = [{"id": m.pk, "name": m.file.name, "alt": m.alt_text} for m in post.media.all()]
    return PostVersion.objects.create(
        post=post,
        number=post.version,
        title=post.title,
        body=post.body,
        variants=variants,
        media=media,
        author=author,
    )


def _withdraw_approval(post: Post) -> int:
    """Withdraw every live decision and stop the post's pending deliveries."""
    withdrawn = ApprovalDecision.objects.filter(post=post, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    post.approved_version = None
    _cancel_pending(post)
    return withdrawn


def _cancel_pending(post: Post) -> None:
    Publication.objects.filter(
        post=post, state__in=[PublicationState.SCHEDULED, PublicationState.RETRY_WAIT]
    ).update(state=PublicationState.CANCELLED, next_attempt_at=None)


# Deliveries that have not gone out and may be (re)planned at the post's time.
_REPLANNABLE = (
    PublicationState.SCHEDULED,
    PublicationState.RETRY_WAIT,
    PublicationState.CANCELLED,
    PublicationState.HELD,
    PublicationState.FAILED,
)


def _schedule_publications(post: Post) -> None:
    """One publication per channel of the approved post, due at its time.

    A row keeps its idempotency key for life, so a delivery replanned after a
    withdrawal or a failure is still recognised by the network."""
    channel_ids = list(post.variants.values_list("channel_id", flat=True))
    existing = {p.channel_id: p for p in Publication.objects.filter(post=post)}
    for channel_id in channel_ids:
        publication = existing.get(channel_id)
        if publication is None:
            Publication.objects.create(post=post, channel_id=channel_id, due_at=post.scheduled_at)
        elif publication.state in _REPLANNABLE:
            publication.state = PublicationState.SCHEDULED
            publication.due_at = post.scheduled_at
            publication.attempts = 0
            publication.next_attempt_at = None
            publication.last_error = ""
            publication.save(
                update_fields=[
                    "state",
                    "due_at",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "updated_at",
                ]
            )
    Publication.objects.filter(post=post, state=PublicationState.SCHEDULED).exclude(
        channel_id__in=channel_ids
    ).update(state=PublicationState.CANCELLED)


def _content(post: Post) -> dict:
    return {
        "title": post.title,
        "body": post.body,
        "variants": {str(v.channel_id): v.text for v in post.variants.all()},
    }


# --- writing -------------------------------------------------------------------


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
        _check_future(scheduled_at)
    _check_text(title, body, variants)
    _check_refs(workspace, campaign=campaign, assignee=assignee, labels=labels)
    channels = _workspace_channels(workspace, variants)
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


MAX_ALT_TEXT = 5_000

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
    role = _member_role(actor, post.workspace_id)
    with transaction.atomic():
        post = _lock(post)
        if post.version != expected_version:
            raise Conflict(str(conflict_message) % {"version": post.version})
        data = plan(post)
        if data is None:
            return post
        was = post.state
        _apply(post, Action.EDIT, _context(actor, post, role))
        data = {**data, **(write(post) or {})}
        withdrawn = 0
        if post.approved_version is not None or was == State.IN_REVIEW:
            approvers = notices.live_approvers(post)
            withdrawn = _withdraw_approval(post)
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


def check_alt_text(alt_text: str) -> None:
    if len(alt_text) > MAX_ALT_TEXT:
        message = _("Alternative text is limited to %(n)s characters.") % {"n": MAX_ALT_TEXT}
        raise Invalid(message, fields={"alt_text": [message]})


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
    _check_text(title, body, variants)
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
        channels = _workspace_channels(post.workspace, variants)
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
    role = _member_role(actor, post.workspace_id)
    if not role_can(role, Capability.POST_CREATE):
        raise NotAllowed(_("Your role does not allow this."))
    labels = list(labels)
    _check_refs(post.workspace, campaign=campaign, assignee=assignee, labels=labels)
    with transaction.atomic():
        post = _lock(post)
        if not (post.author_id == actor.pk or role_can(role, Capability.POST_EDIT_ANY)):
            raise NotAllowed(_("You can only change posts you wrote."))
        if post.state in workflow.LOCKED:
            raise Conflict(_("This post has gone out; its details can no longer change."))
        before = {
            "campaign": post.campaign_id,
            "assignee": post.assignee_id,
            "labels": sorted(post.labels.values_list("pk", flat=True)),
        }
        old_steps = approvals.chain_steps(post)
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
            new_steps = approvals.chain_steps(post)
            if unchanged_prefix(old_steps, new_steps) < len(new_steps):
                extra = _revoke_approval(
                    post, actor, reason="campaign", chains=(old_steps, new_steps)
                )
        elif before["campaign"] != after["campaign"] and post.state == State.IN_REVIEW:
            new_steps = approvals.chain_steps(post)
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


def post_reschedule(*, actor: User, post: Post, scheduled_at: datetime) -> Post:
    """Move a post in time. The moment is part of what the approvers approved (a post
    needs a time to be approved): a move withdraws every live decision, so an approved
    or failed post goes back to review and a post in review starts its chain again;
    those whose approval was withdrawn, the author and the assignee are told. A post
    waiting for a person after a missed slot is rescheduled by its resolvers instead
    (``needs attention`` → approved). The move is logged."""
    role = _member_role(actor, post.workspace_id)
    _check_future(scheduled_at)
    with transaction.atomic():
        post = _lock(post)
        before = post.scheduled_at
        if before == scheduled_at:
            return post
        was = post.state
        _apply(post, Action.RESCHEDULE, _context(actor, post, role))
        post.scheduled_at = scheduled_at
        post.sequence += 1
        withdrawn = 0
        if was in (State.APPROVED, State.FAILED, State.IN_REVIEW):
            approvers = notices.live_approvers(post)
            withdrawn = _withdraw_approval(post)
            if withdrawn:
                notices.approval_withdrawn(
                    post=post,
                    actor=actor,
                    approver_ids=[*approvers, post.author_id, post.assignee_id],
                    reason="moved",
                )
        post.save()
        if post.state == State.APPROVED:
            _schedule_publications(post)
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action="post.reschedule",
            post=post,
            target=str(post),
            data={
                "before": before,
                "after": scheduled_at,
                "state": [was, post.state],
                "approval_kept": post.approval_is_current,
                "approvals_withdrawn": withdrawn,
            },
        )
    return post


# States in which a post holds an approval that has not gone out.
APPROVAL_HELD = (State.APPROVED, State.FAILED, State.NEEDS_ATTENTION)


def _revoke_approval(
    post: Post,
    actor: User,
    *,
    reason: str,
    channel: Channel | None = None,
    chains: tuple[tuple[approvals.StepSpec, ...], tuple[approvals.StepSpec, ...]] | None = None,
) -> dict:
    """Put one locked post holding an approval back to review, its pending deliveries
    cancelled: every decision withdrawn, or, when the chain judging it changed (``chains``:
    old, new), those the new chain cannot keep (``chains.carry_over``). Those who lost an
    approval, the author and the assignee are told (``reason``, a code that
    ``notifications.describe`` words). Returns what the audit entry records."""
    was = post.state
    approvers = notices.live_approvers(post)
    _apply(post, Action.REVOKE_APPROVAL, workflow.Context(role=workflow.SYSTEM))
    if chains is None:
        withdrawn = _withdraw_approval(post)
    else:
        post.approved_version = None
        _cancel_pending(post)
        _first, withdrawn = carry_over(post, *chains)
    post.save()
    still = set(notices.live_approvers(post))
    notices.approval_withdrawn(
        post=post,
        actor=actor,
        approver_ids=[
            *(pk for pk in approvers if pk not in still),
            post.author_id,
            post.assignee_id,
        ],
        reason=reason,
        channel=channel.name if channel else "",
    )
    return {
        "version": post.version,
        "state": [was, post.state],
        "reason": reason,
        "approvals_withdrawn": withdrawn,
    }


def post_approvals_withdraw_for_channel(*, actor: User, channel: Channel) -> list[int]:
    """Put a channel's approved posts that have not gone out back to a person.

    What the approvers approved went to the channel as it pointed then; when its
    address changes (another server, another webhook), their approval no longer covers
    where the post goes. Every post with a variant on the channel that is approved,
    failed or waiting for a person loses its approval (all decisions withdrawn, pending
    deliveries cancelled) and goes back to review; each is audited
    (``post.approval_revoked``) and its approvers, author and assignee are told.
    Posts publishing at this very moment are left to the engine. Returns the post ids.
    """
    # A code, told in the reader's language by ``notifications.describe``.
    reason = "channel_address"
    require(actor, channel.workspace, Capability.CHANNEL_MANAGE)
    touched = []
    with transaction.atomic():
        ids = Post.objects.filter(
            workspace_id=channel.workspace_id, state__in=APPROVAL_HELD, variants__channel=channel
        ).values_list("pk", flat=True)
        locked = Post.objects.filter(pk__in=list(ids)).select_for_update()
        # Only the posts are locked: the workspace is the channel's (no FOR UPDATE on it,
        # which would cross the engine's lock order).
        for post in locked.order_by("pk"):
            post.workspace = channel.workspace
            data = _revoke_approval(post, actor, reason=reason, channel=channel)
            audit.record(
                workspace=channel.workspace,
                actor=actor,
                action="post.approval_revoked",
                post=post,
                target=str(post),
                data={**data, "channel": channel.pk},
            )
            touched.append(post.pk)
    return touched


def _simple_transition(
    *, actor: User, post: Post, action: Action, event: str, note: str = ""
) -> Post:
    role = _member_role(actor, post.workspace_id)
    with transaction.atomic():
        post = _lock(post)
        was = post.state
        _apply(post, action, _context(actor, post, role))
        leaving_review = was == State.IN_REVIEW or post.approved_version is not None
        if was != post.state and leaving_review:
            _withdraw_approval(post)
        if action == Action.CANCEL:
            Publication.objects.filter(
                post=post,
                state__in=[PublicationState.SCHEDULED, PublicationState.RETRY_WAIT],
            ).update(state=PublicationState.CANCELLED)
        post.save()
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action=event,
            post=post,
            target=str(post),
            data={"state": [was, post.state], "version": post.version, "note": note},
        )
    return post


def channel_errors(post: Post) -> list[str]:
    """Every reason a network would refuse this post as it stands, by channel."""
    from planner.channels.base import MediaFile
    from planner.channels.registry import adapter_for

    media = tuple(
        MediaFile(path=m.file.name, mime_type=m.mime_type, size=m.size, alt_text=m.alt_text)
        for m in post.media.all()
    )
    errors = []
    for variant in post.variants.select_related("channel"):
        for error in adapter_for(variant.channel.kind).validate(variant.effective_text, media):
            errors.append(f"{variant.channel.name}: {error}")
    return errors


def _refuse_invalid_content(post: Post) -> None:
    errors = channel_errors(post)
    if errors:
        raise Invalid(
            _("The networks would refuse this post: %(errors)s") % {"errors": " ".join(errors)},
            fields={"channels": errors},
        )


def post_submit(*, actor: User, post: Post) -> Post:
    """Send the current version to the first step of the approval chain.

    Each network's own rules are checked now, so nobody approves a post that
    would be refused at publishing time."""
    _refuse_invalid_content(post)
    with transaction.atomic():
        post = _simple_transition(actor=actor, post=post, action=Action.SUBMIT, event="post.submit")
        notices.submitted(post=post, actor=actor)
    return post


def post_withdraw(*, actor: User, post: Post) -> Post:
    """Take a post back from review to keep working on it."""
    return _simple_transition(actor=actor, post=post, action=Action.WITHDRAW, event="post.withdraw")


def post_cancel(*, actor: User, post: Post, reason: str = "") -> Post:
    return _simple_transition(
        actor=actor, post=post, action=Action.CANCEL, event="post.cancel", note=reason.strip()
    )


def post_retract(*, actor: User, post: Post, reason: str = "") -> Post:
    """Retract a published post (admin or marketing): it is deleted from every network
    that allows it, by a task per delivery; each delivery records the result."""
    from planner import tasks

    post = _simple_transition(
        actor=actor, post=post, action=Action.RETRACT, event="post.retract", note=reason.strip()
    )
    for publication_id in Publication.objects.filter(
        post=post, state=PublicationState.PUBLISHED
    ).values_list("pk", flat=True):
        tasks.retract_publication.delay_on_commit(publication_id)
    return post


def post_reopen(*, actor: User, post: Post) -> Post:
    return _simple_transition(actor=actor, post=post, action=Action.REOPEN, event="post.reopen")


_DECISION_ACTIONS = {
    Decision.APPROVE: Action.APPROVE,
    Decision.REQUEST_CHANGES: Action.REQUEST_CHANGES,
    Decision.REJECT: Action.REJECT,
}


def post_decide(
    *,
    actor: User,
    post: Post,
    decision: str,
    expected_version: int,
    step_position: int,
    comment: str = "",
) -> Post:
    """Record an approver's decision on the step the post is waiting on.

    Two approvers acting on the same step at once: the post row is locked, so
    the second one finds the step already decided and gets a Conflict.
    """
    if decision not in _DECISION_ACTIONS:
        raise Invalid(_("Unknown decision."))
    comment = comment.strip()
    if decision == Decision.REQUEST_CHANGES and not comment:
        raise Invalid(
            _("Say what should change: a comment is required to request changes."),
            fields={"comment": [_("A comment is required to request changes.")]},
        )
    if len(comment) > MAX_COMMENT:
        raise Invalid(_("The comment is too long."))
    role = _member_role(actor, post.workspace_id)
    with transaction.atomic():
        post = _lock(post)
        if post.state != State.IN_REVIEW:
            raise Conflict(
                _("This post is no longer waiting for a decision: it is now “%(state)s”.")
                % {"state": State(post.state).label}
            )
        if post.version != expected_version:
            raise Conflict(
                _(
                    "The post changed while you were reviewing it (now version %(version)s): "
                    "review the new version."
                )
                % {"version": post.version}
            )
        relaxed = post.workspace.four_eyes_relaxed
        progress = approvals.progress(post, four_eyes_relaxed=relaxed)
        step = progress.current
        if step is None or step.position != step_position:
            raise Conflict(_("Someone else already decided this step."))
        action = _DECISION_ACTIONS[decision]
        ctx = _context(actor, post, role, step=step)
        verdict = workflow.check(post.state, action, ctx)
        if not verdict:
            raise NotAllowed(verdict.reason)
        # A decision of this person at this place that no longer counts (given for
        # another role, before the chain or the campaign changed) gives way to this one.
        ApprovalDecision.objects.filter(
            post=post,
            version=post.version,
            step_position=step.position,
            decided_by=actor,
            withdrawn_at__isnull=True,
        ).exclude(step_role=step.role).update(withdrawn_at=timezone.now())
        try:
            with transaction.atomic():
                ApprovalDecision.objects.create(
                    post=post,
                    version=post.version,
                    step_position=step.position,
                    step_role=step.role,
                    decided_by=actor,
                    decision=decision,
                    comment=comment,
                )
        except IntegrityError:
            raise Conflict(_("Your decision on this step was already recorded.")) from None
        if comment:
            Comment.objects.create(post=post, author=actor, body=comment, version=post.version)
        was = post.state
        next_step = None
        if decision == Decision.APPROVE:
            _refuse_invalid_content(post)
            after = approvals.progress(post, four_eyes_relaxed=relaxed)
            done, next_step = after.is_complete, after.current
            if done:
                _apply(post, Action.APPROVE, ctx)
                post.approved_version = post.version
                post.save()
                _schedule_publications(post)
        else:
            _apply(post, action, ctx)
            _withdraw_approval(post)
            post.save()
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action=f"post.{decision}",
            post=post,
            target=str(post),
            data={
                "version": post.version,
                "step": step.position,
                "step_role": step.role,
                "state": [was, post.state],
                "comment": comment,
            },
        )
        notices.decided(
            post=post,
            actor=actor,
            decision=decision,
            step=step,
            comment=comment,
            next_step=next_step,
        )
    return post


def comment_add(*, actor: User, post: Post, body: str) -> Comment:
    require(actor, post.workspace, Capability.COMMENT)
    body = (body or "").strip()
    if not body:
        raise Invalid(_("Write something first."), fields={"body": [_("Write something first.")]})
    if len(body) > MAX_COMMENT:
        raise Invalid(
            _("A comment is limited to %(n)s characters.") % {"n": MAX_COMMENT},
            fields={"body": [_("Too long.")]},
        )
    directory = mentions.members_of_workspace(post.workspace_id)
    named = mentions.mentioned(body, directory)
    with transaction.atomic():
        comment = Comment.objects.create(post=post, author=actor, body=body, version=post.version)
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action="comment.add",
            post=post,
            target=str(post),
            data={"comment": comment.pk, "mentions": [p.pk for p in named]},
        )
        _tell_of_comment(post, actor, comment, named, directory)
    return comment


def _tell_of_comment(
    post: Post,
    actor: User,
    comment: Comment,
    named: list[mentions.Person],
    directory: mentions.Directory,
) -> None:
    """Those mentioned hear they were; the post's author and assignee hear of the
    comment (unless mentioned, or the commenter: nobody is told twice). Only members."""
    data = {"post_title": str(post), "comment": mentions.excerpt(comment.body)}
    notify(
        workspace=post.workspace,
        kind=Kind.MENTION,
        recipients=named,
        post=post,
        actor=actor,
        data=data,
    )
    members = {p.pk for p in directory.people}
    told = {p.pk for p in named}
    owners = {post.author_id, post.assignee_id} & members - told
    notify(
        workspace=post.workspace,
        kind=Kind.COMMENT,
        recipients=[p for p in directory.people if p.pk in owners],
        post=post,
        actor=actor,
        data=data,
    )


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
