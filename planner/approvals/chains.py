"""Approval chains: the workspace's default one and a campaign's own.

A post in review is always judged by the chain as it is now (``approvals.chain_steps``
reads it at each decision). When a chain changes under posts in review, what was
already approved is carried over only where it still means the same thing:

- approvals given at the leading steps that stay as they were (same place, role,
  mode and named people) still count;
- the others are withdrawn: an approval by marketing must not count for a step that
  now asks an admin;
- a chain change never approves a post by itself: when the steps that remain are all
  approved already (steps were removed from the end), the approvals of the last one
  are withdrawn too, so a person makes the last call under the new chain.

Approved posts stay approved: the chain judged them when they were decided.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User, Workspace
from accounts.permissions import Capability
from planner import audit
from planner.access import require
from planner.approvals import chain_progress
from planner.approvals.chain_progress import StepSpec
from planner.errors import Conflict, Invalid, NotFound
from planner.models import (
    ApprovalChain,
    ApprovalDecision,
    ApprovalStep,
    Campaign,
    Decision,
    Post,
    StepMode,
)
from planner.workflow import State

APPROVER_ROLES = (Role.ADMIN, Role.MARKETING)
MAX_STEPS = 10

Step = tuple[str, str, list[User]]


def _capability(campaign: Campaign | None) -> Capability:
    # Marketing shapes its campaigns, approval included; the default is the admins'.
    return Capability.CAMPAIGN_MANAGE if campaign else Capability.WORKSPACE_MANAGE


def _check_campaign(workspace: Workspace, campaign: Campaign | None) -> None:
    if campaign is not None and campaign.workspace_id != workspace.pk:
        raise NotFound(_("This campaign does not exist in this workspace."))


def _checked(workspace: Workspace, steps: Iterable[tuple[str, str, Iterable[User]]]) -> list[Step]:
    checked = []
    for role, mode, people in steps:
        people = list({p.pk: p for p in people}.values())
        checked.append((role, mode, people))
    if not checked:
        raise Invalid(_("A chain needs at least one step."))
    if len(checked) > MAX_STEPS:
        raise Invalid(_("A chain has at most %(max)s steps.") % {"max": MAX_STEPS})
    for position, (role, mode, people) in enumerate(checked, start=1):
        if role not in APPROVER_ROLES:
            message = _("A step must name the admin or the marketing role.")
            raise Invalid(message, fields={"role": [message]})
        if mode not in StepMode.values:
            message = _("Choose whether any one or all approvers must approve.")
            raise Invalid(message, fields={"mode": [message]})
        roles = dict(
            Membership.objects.filter(workspace=workspace, user__in=people).values_list(
                "user_id", "role"
            )
        )
        wrong = [p for p in people if roles.get(p.pk) != role]
        if wrong:
            message = _(
                "Named approvers must be members with the step's role (%(role)s): "
                "%(names)s cannot approve step %(position)s."
            ) % {
                "role": Role(role).label,
                "names": ", ".join(p.display_name for p in wrong),
                "position": position,
            }
            raise Invalid(message, fields={"approvers": [message]})
    return checked


def _specs(steps: list[Step]) -> tuple[StepSpec, ...]:
    return tuple(
        StepSpec(
            position=position,
            role=role,
            mode=mode,
            approver_ids=frozenset(p.pk for p in people),
        )
        for position, (role, mode, people) in enumerate(steps, start=1)
    )


def _own_chain(workspace: Workspace, campaign: Campaign | None) -> ApprovalChain | None:
    return (
        ApprovalChain.objects.select_for_update()
        .filter(workspace=workspace, campaign=campaign)
        .first()
    )


def _create(workspace: Workspace, campaign: Campaign | None) -> ApprovalChain:
    try:
        with transaction.atomic():
            return ApprovalChain.objects.create(workspace=workspace, campaign=campaign)
    except IntegrityError:  # someone gave it a chain at the same moment
        raise Conflict(
            _("Someone changed this chain at the same moment: reload the page and try again.")
        ) from None


def _default_steps(workspace: Workspace) -> tuple[StepSpec, ...]:
    return chain_progress.chain_steps_for(workspace.pk, None)


def posts_following(workspace: Workspace, campaign: Campaign | None) -> QuerySet[Post]:
    """Posts in review that the chain judges: a campaign's own chain judges its posts;
    the default judges posts without a campaign or whose campaign has no chain of its own."""
    posts = Post.objects.filter(workspace=workspace, state=State.IN_REVIEW)
    if campaign is not None:
        return posts.filter(campaign=campaign)
    return posts.filter(Q(campaign__isnull=True) | Q(campaign__approval_chain__isnull=True))


def _describe(specs: tuple[StepSpec, ...]) -> list[list]:
    emails = dict(
        User.objects.filter(pk__in={i for s in specs for i in s.approver_ids}).values_list(
            "pk", "email"
        )
    )
    return [[s.role, s.mode, sorted(emails.get(i, str(i)) for i in s.approver_ids)] for s in specs]


def unchanged_prefix(old: tuple[StepSpec, ...], new: tuple[StepSpec, ...]) -> int:
    kept = 0
    for before, after in zip(old, new, strict=False):
        if before != after:
            break
        kept += 1
    return kept


def carry_over(post: Post, old: tuple[StepSpec, ...], new: tuple[StepSpec, ...]) -> tuple[int, int]:
    """Withdraw the approvals of one locked post in review that ``new`` cannot keep
    (the rule of the module's docstring), when the chain judging it changes from ``old``
    to ``new``: an edit of its chain, or a change of its campaign. ``new`` must already
    be what ``approvals.chain_steps(post)`` reads. Returns (the first step whose
    approvals were withdrawn, how many were)."""
    kept = unchanged_prefix(old, new)
    now = timezone.now()
    live = ApprovalDecision.objects.filter(
        post=post, decision=Decision.APPROVE, withdrawn_at__isnull=True
    )
    first = kept + 1
    withdrawn = live.filter(step_position__gt=kept).update(withdrawn_at=now)
    relaxed = post.workspace.four_eyes_relaxed
    if live.exists() and chain_progress.progress(post, four_eyes_relaxed=relaxed).is_complete:
        first = len(new)
        withdrawn += live.filter(step_position=first).update(withdrawn_at=now)
    return first, withdrawn


def _carry_over(
    actor: User, posts: QuerySet[Post], old: tuple[StepSpec, ...], new: tuple[StepSpec, ...]
) -> list[int]:
    """Withdraw the approvals the new chain cannot keep (see the module's docstring);
    the chain must already be saved. Returns the posts that lost approvals."""
    touched = []
    ids = list(posts.values_list("pk", flat=True))
    locked = (
        Post.objects.filter(pk__in=ids).select_for_update(of=("self",)).select_related("workspace")
    )
    for post in locked.order_by("pk"):
        first, withdrawn = carry_over(post, old, new)
        if withdrawn:
            touched.append(post.pk)
            audit.record(
                workspace=post.workspace,
                actor=actor,
                action="post.chain_change",
                post=post,
                target=str(post),
                data={"version": post.version, "step": first, "withdrawn": withdrawn},
            )
    return touched


def approval_chain_set(
    *,
    actor: User,
    workspace: Workspace,
    campaign: Campaign | None,
    steps: Iterable[tuple[str, str, Iterable[User]]],
) -> ApprovalChain:
    """Replace the workspace's default chain (campaign None) or a campaign's own.

    ``steps`` are (role, mode, named approvers) in order; named approvers must be
    members with the step's role. Marketing may set a campaign's chain; only admins
    change the workspace default. Saving the chain as it is changes nothing.
    """
    require(actor, workspace, _capability(campaign))
    _check_campaign(workspace, campaign)
    checked = _checked(workspace, steps)
    new = _specs(checked)
    with transaction.atomic():
        chain = _own_chain(workspace, campaign)
        stored = chain_progress.steps_of(chain) if chain is not None else None
        if stored == new:
            return chain
        # What judged the posts until now: the campaign's own chain, else the default.
        old = stored if stored else _default_steps(workspace)
        if chain is None:
            chain = _create(workspace, campaign)
        chain.steps.all().delete()
        for position, (role, mode, people) in enumerate(checked, start=1):
            step = ApprovalStep.objects.create(chain=chain, position=position, role=role, mode=mode)
            step.approvers.set(people)
        touched = (
            _carry_over(actor, posts_following(workspace, campaign), old, new) if old != new else []
        )
        audit.record(
            workspace=workspace,
            actor=actor,
            action="approval_chain.set",
            campaign=campaign,
            target=campaign.name if campaign else "default",
            data={
                "before": _describe(stored) if stored else None,
                "after": _describe(new),
                "approvals_withdrawn_on": touched,
            },
        )
    return chain


def approval_chain_remove(*, actor: User, workspace: Workspace, campaign: Campaign) -> None:
    """Drop a campaign's own chain: its posts follow the workspace's default again."""
    require(actor, workspace, _capability(campaign))
    _check_campaign(workspace, campaign)
    with transaction.atomic():
        chain = _own_chain(workspace, campaign)
        if chain is None:
            return
        old = chain_progress.steps_of(chain)
        posts = list(posts_following(workspace, campaign).values_list("pk", flat=True))
        chain.delete()
        new = _default_steps(workspace)
        touched = (
            _carry_over(actor, Post.objects.filter(pk__in=posts), old, new) if old != new else []
        )
        audit.record(
            workspace=workspace,
            actor=actor,
            action="approval_chain.remove",
            campaign=campaign,
            target=campaign.name,
            data={
                "before": _describe(old),
                "after": None,
                "approvals_withdrawn_on": touched,
            },
        )
