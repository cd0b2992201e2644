"""Approvals left waiting and posts at risk: who is told, and that each is told once.

Beat runs ``reminders_send`` every REMINDER_TICK_SECONDS (``tasks.approval_reminders``).

*Waiting since.* A step waits from the moment the post's current version reached it
(``approvals.Review.waiting_since``): the later of the post's last change of state
(the submission, or an edit that sent approved content back to review), the writing of
the current version (an edit during review starts the chain again), and the last
approval of an earlier step of that version. These are the rows that decide where a
version stands (``Post``, ``PostVersion``, ``ApprovalDecision``), so the clock cannot
disagree with the chain, as audit events written beside them could.

*Once.* After ``workspace.approval_reminder_hours`` the step's eligible approvers get a
reminder; after twice that, the workspace's admins get an escalation. Each is recorded
on the ``StepReminder`` of (post, version, step), claimed with a conditional update in
the same transaction as the notification, with the post row locked and everything
checked again: two runs at once, or twice in a row, tell nobody twice. A new version
is a new row, so resubmitting starts the clock and the reminders again; a decided step
is no longer current and is left alone.

*At risk.* A post at risk (``planner.approvals.risk``) is flagged once per post and time slot
(``RiskFlag``, unique): its author and assignee are told; moved to another time, it
may be flagged again.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Membership, Role, User, Workspace
from planner.approvals import chain_progress, risk
from planner.models import Post, RiskFlag, StepReminder
from planner.notifications.notify import Kind, notify
from planner.workflow import State


@dataclass
class Sent:
    reminded: int = 0  # steps whose approvers were reminded
    escalated: int = 0  # steps escalated to the admins
    at_risk: int = 0  # posts flagged at risk


def reminders_send(now: datetime | None = None) -> dict[str, int]:
    """Remind, escalate and flag what is due at ``now``; say how many of each."""
    now = now or timezone.now()
    sent = Sent()
    for review in reviews_waiting_long(now):
        remind(review, now, sent)
    for post_id, scheduled_at in _newly_at_risk(now):
        if _flag(post_id, scheduled_at, now):
            sent.at_risk += 1
    return asdict(sent)


# --- reminders and escalations -----------------------------------------------------------


def _by_workspace_hours(field: str, condition) -> Q:
    """OR of ``condition(hours)`` for each value of the workspaces' ``field`` (a handful):
    a per-workspace threshold as plain comparisons, on any database."""
    hours = Workspace.objects.order_by().values_list(field, flat=True).distinct()
    found = Q(pk__in=[])
    for value in hours:
        found |= Q(**{f"workspace__{field}": value}) & condition(value)
    return found


def _limit(workspace: Workspace) -> timedelta:
    return timedelta(hours=workspace.approval_reminder_hours)


def reviews_waiting_long(now: datetime) -> list[chain_progress.Review]:
    """Reviews whose current step waited past the workspace's reminder limit and still
    owes a reminder or an escalation (a fixed number of queries)."""
    # A step cannot wait longer than its post has been in review: a cheap first cut.
    long_in_review = _by_workspace_hours(
        "approval_reminder_hours",
        lambda hours: Q(state_changed_at__lte=now - timedelta(hours=hours)),
    )
    posts = list(
        Post.objects.filter(long_in_review, state=State.IN_REVIEW).select_related("workspace")
    )
    if not posts:
        return []
    told = {
        (row.post_id, row.version, row.step_position): row
        for row in StepReminder.objects.filter(post__in=posts)
    }
    due = []
    for review in chain_progress.reviews(posts).values():
        step, post = review.step, review.post
        waited = now - review.waiting_since
        if step is None or waited < _limit(post.workspace):
            continue
        row = told.get((post.pk, post.version, step.position))
        owes_reminder = row is None or row.reminded_at is None
        owes_escalation = waited >= 2 * _limit(post.workspace) and (
            row is None or row.escalated_at is None
        )
        if owes_reminder or owes_escalation:
            due.append(review)
    return due


def _local(moment: datetime, workspace: Workspace) -> str:
    """A time for a sentence stored once for readers of any language: the workspace's
    wall clock, with its zone named."""
    try:
        zone = zoneinfo.ZoneInfo(workspace.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return f"{timezone.localtime(moment, zone):%Y-%m-%d %H:%M} ({zone.key})"


def _claim(row: StepReminder, field: str, now: datetime) -> bool:
    """Mark ``field`` sent unless it already is; True for the one caller that marked it."""
    return bool(
        StepReminder.objects.filter(pk=row.pk, **{f"{field}__isnull": True}).update(**{field: now})
    )


def remind(seen: chain_progress.Review, now: datetime, sent: Sent) -> None:
    step = seen.step
    assert step is not None
    with transaction.atomic():
        # The post row lock orders us with decisions and edits (and with another run).
        post = (
            Post.objects.select_for_update(of=("self",))
            .select_related("workspace")
            .filter(pk=seen.post.pk, state=State.IN_REVIEW, version=seen.post.version)
            .first()
        )
        if post is None:
            return  # decided, withdrawn or edited since
        review = chain_progress.reviews([post], roles=True)[post.pk]
        if review.step is None or review.step.position != step.position:
            return  # the step was decided since
        waited = now - review.waiting_since
        limit = _limit(post.workspace)
        if waited < limit:
            return
        row, _ = StepReminder.objects.get_or_create(
            post=post, version=post.version, step_position=step.position
        )
        data = {
            "post_title": str(post),
            "since": _local(review.waiting_since, post.workspace),
            "since_at": review.waiting_since.isoformat(),
            "step_position": step.position,
            "step_role": step.role,
        }
        if _claim(row, "reminded_at", now):
            notify(
                workspace=post.workspace,
                kind=Kind.REMINDER,
                recipients=User.objects.filter(pk__in=review.deciders(), is_active=True),
                post=post,
                data=data,
            )
            sent.reminded += 1
        if waited >= 2 * limit and _claim(row, "escalated_at", now):
            admins = User.objects.filter(
                pk__in=Membership.objects.filter(workspace=post.workspace, role=Role.ADMIN).values(
                    "user_id"
                ),
                is_active=True,
            )
            notify(
                workspace=post.workspace,
                kind=Kind.ESCALATION,
                recipients=admins,
                post=post,
                data=data,
            )
            sent.escalated += 1


# --- at risk ---------------------------------------------------------------------------------


def _newly_at_risk(now: datetime) -> list[tuple[int, datetime]]:
    """(post, time) of every post at risk now and not yet flagged for that time."""
    at_risk = _by_workspace_hours("at_risk_hours", lambda hours: risk.where(now, hours))
    flagged = RiskFlag.objects.filter(post=OuterRef("pk"), scheduled_at=OuterRef("scheduled_at"))
    return list(
        Post.objects.filter(at_risk)
        .exclude(Exists(flagged))
        .order_by("scheduled_at", "pk")
        .values_list("pk", "scheduled_at")
    )


def _flag(post_id: int, scheduled_at: datetime, now: datetime) -> bool:
    with transaction.atomic():
        post = (
            Post.objects.select_for_update(of=("self",))
            .select_related("workspace", "author", "assignee")
            .filter(pk=post_id, scheduled_at=scheduled_at)
            .first()
        )
        if post is None or not risk.is_at_risk(
            state=post.state,
            version=post.version,
            approved_version=post.approved_version,
            scheduled_at=post.scheduled_at,
            now=now,
            hours=post.workspace.at_risk_hours,
        ):
            return False  # moved, approved or cancelled since
        _, created = RiskFlag.objects.get_or_create(post=post, scheduled_at=scheduled_at)
        if not created:
            return False
        notify(
            workspace=post.workspace,
            kind=Kind.AT_RISK,
            recipients=[post.author, post.assignee],
            post=post,
            data={
                "post_title": str(post),
                "due": _local(scheduled_at, post.workspace),
                "due_at": scheduled_at.isoformat(),
                "state": post.state,
            },
        )
    return True
