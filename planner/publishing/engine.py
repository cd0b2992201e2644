"""The publishing engine: claim due publications, send them once, record what happened.

A publication (one post on one channel) moves through these states:

    scheduled -> claimed -> sending -> published
                   |          |-> retry_wait -> (claimed again when due)
                   |          |-> failed       (permanent, or out of attempts)
                   |          |-> unknown      (maybe sent: reconciled, never resent blindly)
                   |-> held   (too late, or the post changed: a person decides)

Every step is a compare-and-set on the row, so a duplicate tick, a redelivered
message or a second worker changes nothing. Network calls happen outside any
transaction; the row says "sending" while they run, and a lease turns a
vanished worker's send into "unknown".
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, QuerySet, When
from django.db.models.functions import Now
from django.db.utils import OperationalError
from django.utils import timezone
from psycopg.errors import DeadlockDetected

from accounts.models import Workspace
from planner import outbound
from planner.approvals import notices
from planner.channels import base, metrics
from planner.channels.registry import adapter_for
from planner.connection.disconnection import channel_mark_disconnected, channel_reconnected_since
from planner.models import Post, Publication
from planner.models import PublicationState as P
from planner.posts.transitions import engine_apply
from planner.publishing import pacing
from planner.publishing.outgoing import content_digest, outgoing_post, session_for
from planner.workflow import Action, State

logger = logging.getLogger(__name__)

T = TypeVar("T")


IN_FLIGHT = (P.SCHEDULED, P.CLAIMED, P.SENDING, P.RETRY_WAIT)


def post_engine_transition(*, post: Post, action: Action, note: str = "") -> Post:
    """Apply an engine action (start_publishing, mark_published, mark_failed, miss_slot,
    hand_over) to a post, under its row lock, with an audit event."""
    with transaction.atomic():
        post = (
            Post.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=post.pk)
        )
        engine_apply(post, action, note)
    return post


def _settle(post: Post) -> None:
    """After a publication's outcome: move the (locked) post to what its publications say."""
    if post.state not in (State.APPROVED, State.PUBLISHING):
        return
    states = list(
        Publication.objects.filter(post=post)
        .exclude(state=P.CANCELLED)
        .values_list("state", "next_attempt_at")
    )
    if any(s in IN_FLIGHT or (s == P.UNKNOWN and nxt) for s, nxt in states):
        return
    if post.state == State.APPROVED:
        return
    found = {s for s, _ in states}
    if found <= {P.PUBLISHED}:
        engine_apply(post, Action.MARK_PUBLISHED)
    elif P.UNKNOWN in found:
        engine_apply(post, Action.HAND_OVER, "Could not confirm a delivery.")
    elif P.HELD in found:
        engine_apply(post, Action.MISS_SLOT)
    else:
        engine_apply(post, Action.MARK_FAILED)


def _due_filter(as_of=None) -> Q:
    """Due by the database's clock, not a worker's (``as_of`` replaces it in tests
    that travel in time, since the database clock cannot travel)."""
    now = Now() if as_of is None else as_of
    return Q(state=P.SCHEDULED, due_at__lte=now) | Q(state=P.RETRY_WAIT, next_attempt_at__lte=now)


def _locked(queryset):
    """Row locks that skip rows another claimer holds; SQLite serialises writers instead."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _sendable_due(as_of=None) -> QuerySet[Publication]:
    """Due publications of unpaused workspaces whose channel is not waiting for its limit."""
    return (
        Publication.objects.filter(_due_filter(as_of))
        .filter(post__workspace__publishing_paused_at__isnull=True)
        .filter(pacing.sendable())
    )


@dataclass(frozen=True)
class Claim:
    publication_id: int
    token: str


def publication_claim_due(*, limit: int | None = None, as_of=None) -> list[Claim]:
    """Claim due publications of unpaused workspaces, with a lease, at most PUBLISH_BATCH
    waiting at any time. The senders claim one at a time instead
    (``publication_claim_next``); this batch form is the tests' step-by-step engine."""
    outstanding = Publication.objects.filter(state=P.CLAIMED).count()
    limit = max(0, (limit or settings.PUBLISH_BATCH) - outstanding)
    return _claim(limit, as_of) if limit else []


def publication_claim_next(*, as_of=None) -> Claim | None:
    """Claim the publication due first, for the sender that asks: claims are handed out
    only as senders free up, so none waits in a queue and none outlives its lease."""
    claims = _claim(1, as_of)
    return claims[0] if claims else None


def _claim(limit: int, as_of) -> list[Claim]:
    lease = timezone.now() + timedelta(seconds=settings.PUBLISH_CLAIM_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            _locked(_sendable_due(as_of).order_by("due_at", "pk")).values_list("pk", flat=True)[
                :limit
            ]
        )
        if not ids:
            return []
        token = uuid.uuid4()
        claimed = Publication.objects.filter(
            Q(pk__in=ids) & (Q(state=P.SCHEDULED) | Q(state=P.RETRY_WAIT))
        ).update(state=P.CLAIMED, claim_token=token, lease_until=lease, updated_at=timezone.now())
        if claimed != len(ids):  # only possible without row locks; never hand out a stranger's
            ids = list(
                Publication.objects.filter(pk__in=ids, claim_token=token).values_list(
                    "pk", flat=True
                )
            )
    return [Claim(pk, str(token)) for pk in ids]


@dataclass(frozen=True)
class DueSoon:
    """What the tick sees: publications due now (up to a cap), and the next due time
    within the horizon (the database's clock), with how far it is."""

    now: int
    soon: int
    next_at: datetime | None
    next_in: float | None


def publication_due_soon(*, horizon: float, cap: int) -> DueSoon:
    due_now = _sendable_due()[:cap].count()
    upcoming = _sendable_due(as_of=Now() + timedelta(seconds=horizon)).exclude(_due_filter())
    when = Case(When(state=P.RETRY_WAIT, then="next_attempt_at"), default="due_at")
    first = (
        upcoming.annotate(when=when, db_now=Now())
        .order_by("when")
        .values_list("when", "db_now")
        .first()
    )
    if first is None:
        return DueSoon(due_now, 0, None, None)
    next_at, db_now = first
    soon = upcoming[:cap].count()
    return DueSoon(due_now, soon, next_at, max(0.0, (next_at - db_now).total_seconds()))


def publication_drain(
    *, patience: float = 0.0, keep_going: Callable[[], bool] = lambda: True
) -> int:
    """One sender's run: claim the publication due first, send it, and again, until none
    is due (or ``keep_going`` says stop, or PUBLISH_SENDER_RUN_SECONDS have passed).
    ``patience``: a sender woken just before a due time waits for it (the database's
    clock says when), so the post goes at its second. Returns the sends made."""
    sends = 0
    deadline = time.monotonic() + settings.PUBLISH_SENDER_RUN_SECONDS
    while keep_going() and time.monotonic() < deadline:
        claim = publication_claim_next()
        if claim is None:
            if patience <= 0:
                break
            due = publication_due_soon(horizon=patience, cap=1)
            if due.next_in is None:
                break
            time.sleep(max(due.next_in, 0.002))
            patience = min(patience, WAKE_SLACK_SECONDS)  # only a clock's slack after that
            continue
        publication_send(publication_id=claim.publication_id, token=claim.token)
        sends += 1
    return sends


# After a sender's first wait for a due time, the little it still waits for a clock
# between the worker's and the database's.
WAKE_SLACK_SECONDS = 0.05


def publication_hold_past_limits() -> int:
    """Due publications of channels waiting for their posting limit, whose wait would
    take them past the workspace's late cut-off: to a person now, never silently late."""
    held = 0
    candidates = (
        Publication.objects.filter(_due_filter(), channel__limited_until__gt=Now())
        .select_related("channel", "post__workspace")
        .order_by("due_at", "pk")[: settings.PUBLISH_BATCH]
    )
    for candidate in candidates:
        cutoff = timedelta(minutes=candidate.post.workspace.late_cutoff_minutes)
        if candidate.due_at + cutoff >= candidate.channel.limited_until:
            continue
        with transaction.atomic():
            _workspace_shared_lock(candidate.post.workspace_id)
            post = Post.objects.select_for_update(of=("self",)).get(pk=candidate.post_id)
            publication = (
                Publication.objects.select_for_update(of=("self",))
                .filter(pk=candidate.pk, state__in=(P.SCHEDULED, P.RETRY_WAIT))
                .select_related("channel")
                .first()
            )
            if publication is None:
                continue
            _hold(publication, post, limit_reason(publication, candidate.channel.limited_until))
            held += 1
    return held


def limit_reason(publication: Publication, until: datetime) -> str:
    workspace = publication.post.workspace
    return (
        f"Not sent: {publication.channel.name}'s posting limit lets it go only at "
        f"{until:%H:%M} UTC, past the workspace's {workspace.late_cutoff_minutes} min "
        "cut-off. Publish later, reschedule or cancel."
    )


def _return_claims(claims: QuerySet[Publication]) -> int:
    """Claims back to the queue, their tokens cleared: a message for one that is still
    somewhere changes nothing (its token is stale)."""
    now = timezone.now()
    returned = claims.filter(attempts=0).update(
        state=P.SCHEDULED, claim_token=None, lease_until=None, updated_at=now
    )
    # A retry that was claimed goes back to waiting, due at once, its attempts kept.
    returned += claims.filter(attempts__gt=0).update(
        state=P.RETRY_WAIT, claim_token=None, lease_until=None, next_attempt_at=now, updated_at=now
    )
    return returned


def publication_requeue_unstarted(*, older_than: float) -> int:
    """Claims no worker started within ``older_than`` seconds, when the caller knows no
    message waits in the broker (it lost them in a restart): back to the queue now, for
    the next claim, instead of counting against the batch until their lease ends."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    return _return_claims(Publication.objects.filter(state=P.CLAIMED, updated_at__lt=cutoff))


def publication_reap_expired() -> dict[str, int]:
    """Claims nobody started go back to the queue; sends whose worker vanished become
    unknown (they may have reached the network) and are reconciled."""
    now = timezone.now()
    returned = _return_claims(Publication.objects.filter(state=P.CLAIMED, lease_until__lt=Now()))
    vanished = Publication.objects.filter(state=P.SENDING, lease_until__lt=Now()).update(
        state=P.UNKNOWN,
        claim_token=None,
        lease_until=None,
        next_attempt_at=now,
        last_error="The worker stopped while sending; checking with the network.",
        updated_at=now,
    )
    return {"returned": returned, "unknown": vanished}


def publication_due_for_reconcile(*, limit: int = 200) -> list[int]:
    """Unknown outcomes whose check is due; pushes the next check out so a tick queues it once."""
    later = timezone.now() + timedelta(seconds=settings.PUBLISH_RECONCILE_DELAY_SECONDS * 10)
    with transaction.atomic():
        ids = list(
            _locked(
                Publication.objects.filter(state=P.UNKNOWN, next_attempt_at__lte=Now())
            ).values_list("pk", flat=True)[:limit]
        )
        Publication.objects.filter(pk__in=ids, state=P.UNKNOWN).update(next_attempt_at=later)
    return ids


def _schedule_metrics(publication: Publication) -> None:
    """On publication: the first metrics round is due an hour later (planner/metrics.py),
    on networks Maillon reads counts from."""
    publication.metrics_round = 0
    publication.metrics_error = ""
    publication.metrics_due_at = None
    if adapter_for(publication.channel.kind).reads_metrics:
        publication.metrics_due_at = metrics.first_due(publication.published_at)


def _hold(publication: Publication, post: Post, reason: str) -> None:
    publication.state = P.HELD
    publication.claim_token = None
    publication.lease_until = None
    publication.last_error = reason
    publication.save(
        update_fields=["state", "claim_token", "lease_until", "last_error", "updated_at"]
    )
    if post.state in (State.APPROVED, State.PUBLISHING):
        engine_apply(post, Action.MISS_SLOT, reason)
        notices.publication_problem(publication, reason)


def disconnected_reason(channel_name: str) -> str:
    return (
        f"Not sent: {channel_name} is disconnected. Reconnect it, then publish this post "
        "now or reschedule it."
    )


def _workspace_shared_lock(workspace_id: int) -> Workspace:
    """Read the workspace under a lock that a pause (FOR UPDATE) waits for, while sends
    (FOR SHARE) do not wait for each other. SQLite serialises writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM accounts_workspace WHERE id = %s FOR SHARE", [workspace_id]
            )
    return Workspace.objects.get(pk=workspace_id)


def _key_for_content(publication: Publication, message: base.Outgoing) -> None:
    """A retry of the same content keeps the publication's idempotency key (the network
    recognises it); another version gets a new key, so the network neither returns the
    earlier post for it nor drops it as a duplicate. What a network chose or learnt for
    the earlier content (a record key, a container) goes with the old key."""
    digest = content_digest(message)
    if publication.content_digest and publication.content_digest != digest:
        logger.info(
            "New content for publication %s (post %s, channel %s): new idempotency key",
            publication.pk,
            publication.post_id,
            publication.channel_id,
        )
        publication.idempotency_key = uuid.uuid4()
        publication.platform_key = ""
        publication.external_id = ""
    publication.content_digest = digest


def _back_in_line(publication: Publication) -> None:
    """An unsent claim back to the queue, untouched (its attempts kept)."""
    publication.state = P.SCHEDULED if publication.attempts == 0 else P.RETRY_WAIT
    publication.claim_token = None
    publication.lease_until = None
    publication.save(update_fields=["state", "claim_token", "lease_until", "updated_at"])


@dataclass(frozen=True)
class Started:
    """A publication moved to "sending", and the message to send (read once, under lock)."""

    publication: Publication
    message: base.Outgoing


def publication_start(publication_id: int, token: str) -> Started | None:
    """Re-check everything under lock and move the claim to "sending"; None: do not send."""
    with transaction.atomic():
        row = (
            Publication.objects.filter(pk=publication_id, state=P.CLAIMED, claim_token=token)
            .values_list("post__workspace_id", "post_id")
            .first()
        )
        if row is None:
            return None  # a stale or duplicate message: someone else has it
        workspace = _workspace_shared_lock(row[0])
        post = Post.objects.select_for_update().get(pk=row[1])
        post.workspace = workspace
        # The publication's row only: the channel's row is what a token refresh locks
        # while it waits for the network, and a send need not wait for that.
        publication = (
            Publication.objects.select_for_update(of=("self",))
            .select_related("channel")
            .filter(pk=publication_id, state=P.CLAIMED, claim_token=token)
            .first()
        )
        if publication is None:
            return None
        publication.post = post
        if workspace.is_paused:
            # Paused since the claim: back to the queue, untouched; resume decides.
            _back_in_line(publication)
            return None
        if post.state not in (State.APPROVED, State.PUBLISHING) or not post.approval_is_current:
            publication.state = P.CANCELLED
            publication.claim_token = None
            publication.last_error = "The post changed after approval; it was not sent."
            publication.save(update_fields=["state", "claim_token", "last_error", "updated_at"])
            return None
        late = timezone.now() - publication.due_at
        cutoff = timedelta(minutes=workspace.late_cutoff_minutes)
        if late > cutoff:
            minutes = int(late.total_seconds() // 60)
            _hold(
                publication,
                post,
                f"Not sent: {minutes} min past its time, beyond the workspace's "
                f"{workspace.late_cutoff_minutes} min cut-off. Publish now, reschedule or cancel.",
            )
            return None
        channel = publication.channel
        if not channel.is_active:
            _finish_failed(publication, post, "The channel is disabled.")
            return None
        if channel.disconnected_at is not None:
            # Sending would fail as the last send did: a person decides once it is back.
            _hold(publication, post, disconnected_reason(channel.name))
            return None
        wait = pacing.reserve(channel, f"{publication.pk}:{token}")
        if wait:
            until = timezone.now() + timedelta(seconds=wait)
            if publication.due_at + cutoff < until:
                _hold(publication, post, limit_reason(publication, until))
            else:  # in due order, when a slot frees
                _back_in_line(publication)
            # The channel's row after commit: a token refresh may hold it meanwhile.
            transaction.on_commit(lambda: pacing.channel_wait(channel, wait))
            return None
        message = outgoing_post(publication)
        _key_for_content(publication, message)
        if not publication.platform_key:
            publication.platform_key = adapter_for(channel.kind).platform_key()
        publication.state = P.SENDING
        publication.attempts += 1
        publication.lease_until = timezone.now() + timedelta(
            seconds=settings.PUBLISH_SEND_LEASE_SECONDS
        )
        publication.save(
            update_fields=[
                "state",
                "attempts",
                "lease_until",
                "platform_key",
                "idempotency_key",
                "content_digest",
                "external_id",
                "updated_at",
            ]
        )
        if post.state == State.APPROVED:
            engine_apply(post, Action.START_PUBLISHING)
    # The keys as decided above; the text and media as read.
    return Started(
        publication,
        replace(
            message,
            idempotency_key=str(publication.idempotency_key),
            platform_key=publication.platform_key,
            external_id=publication.external_id,
        ),
    )


def publication_send(*, publication_id: int, token: str) -> str:
    """Send one claimed publication. Returns the state it ended in (for logs and tests)."""
    started = publication_start(publication_id, token)
    if started is None:
        logger.info("Publication %s: skipped (not claimed by this message)", publication_id)
        return "skipped"
    publication, message = started.publication, started.message
    where = _where(publication)
    adapter = adapter_for(publication.channel.kind)
    logger.info("Sending %s, attempt %d", where, publication.attempts)
    observer = pacing.Observer()
    with base.new_http_client(on_response=observer) as http:
        try:
            session = session_for(publication.channel, http, publication.pk)
            outcome = adapter.publish(session, message)
        except Exception as exc:
            logger.exception("Adapter %s crashed sending %s", publication.channel.kind, where)
            outcome = base.Unknown(f"Unexpected error while sending: {exc.__class__.__name__}")
    if observer.wait is not None:
        # The network said to wait (a 429, or nothing left in its window): every post of
        # this account waits with this one, while the other accounts' go on.
        pacing.channel_wait(publication.channel, observer.wait, observer.reason)
    state = publication_record(publication_id, token, outcome, publication.channel.connected_at)
    reason = getattr(outcome, "reason", "")
    logger.info("Sent %s: %s%s", where, state, f" ({reason})" if reason else "")
    return state


def _where(publication: Publication) -> str:
    """A publication as log lines name it, so an operator can trace one delivery."""
    return (
        f"publication {publication.pk} (post {publication.post_id}, "
        f"channel {publication.channel_id} {publication.channel.kind})"
    )


def _backoff(attempts: int) -> float:
    base_delay = settings.PUBLISH_BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)
    capped = min(settings.PUBLISH_BACKOFF_CAP_SECONDS, base_delay)
    return capped / 2 + random.uniform(0, capped / 2)  # jitter spreads a burst of retries


def _finish_failed(publication: Publication, post: Post, reason: str) -> None:
    publication.state = P.FAILED
    publication.claim_token = None
    publication.lease_until = None
    publication.next_attempt_at = None
    publication.last_error = reason
    publication.save(
        update_fields=[
            "state",
            "claim_token",
            "lease_until",
            "next_attempt_at",
            "last_error",
            "updated_at",
        ]
    )
    notices.publication_problem(publication, reason)
    _settle(post)


DEADLOCK_RETRIES = 3


def _is_deadlock(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, DeadlockDetected) or getattr(cause, "sqlstate", None) == "40P01"


def _retry_on_deadlock(step: Callable[[], T], what: str) -> T:
    """Run one transaction again when PostgreSQL chose it as a deadlock's victim: the
    other side has gone on by then, and an outcome the network gave must not be lost
    to the lease. Bounded; inside a caller's transaction there is nothing to retry."""
    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            return step()
        except OperationalError as exc:
            if not _is_deadlock(exc) or attempt == DEADLOCK_RETRIES or connection.in_atomic_block:
                raise
            logger.warning("Deadlock while %s; retrying (%d/%d)", what, attempt, DEADLOCK_RETRIES)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def publication_record(
    publication_id: int, token: str, outcome: base.Outcome, connected_at: datetime | None = None
) -> str:
    """Record a send's outcome (``connected_at``: when the credentials it was sent with
    were given), retried if a deadlock chose it as the victim."""
    return _retry_on_deadlock(
        lambda: _record_once(publication_id, token, outcome, connected_at),
        f"recording publication {publication_id}",
    )


def _record_once(
    publication_id: int, token: str, outcome: base.Outcome, connected_at: datetime | None = None
) -> str:
    now = timezone.now()
    with transaction.atomic():
        post_id = Publication.objects.values_list("post_id", flat=True).get(pk=publication_id)
        post = (
            Post.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=post_id)
        )
        publication = (
            Publication.objects.select_for_update(of=("self",))
            .select_related("channel")
            .get(pk=publication_id)
        )
        publication.post = post
        if publication.state == P.PUBLISHED:
            return P.PUBLISHED
        superseded = publication.claim_token is not None and str(publication.claim_token) != token
        if superseded and not isinstance(outcome, base.Published):
            return "superseded"  # another claim owns the row now; only a success counts
        publication.claim_token = None
        publication.lease_until = None
        if isinstance(outcome, base.Published):
            publication.state = P.PUBLISHED
            publication.external_id = outcome.external_id[:300]
            publication.external_url = outbound.web_link(outcome.url)[:500]
            publication.published_at = now
            publication.next_attempt_at = None
            publication.last_error = ""
            _schedule_metrics(publication)
            publication.save()
            _settle(post)
        elif isinstance(outcome, base.Transient) and (
            publication.attempts < settings.PUBLISH_MAX_ATTEMPTS
        ):
            wait = max(outcome.retry_after or 0.0, _backoff(publication.attempts))
            publication.state = P.RETRY_WAIT
            publication.next_attempt_at = now + timedelta(seconds=wait)
            publication.last_error = outcome.reason
            publication.save()
        elif isinstance(outcome, base.Unknown):
            publication.state = P.UNKNOWN
            publication.next_attempt_at = now + timedelta(
                seconds=settings.PUBLISH_RECONCILE_DELAY_SECONDS
            )
            publication.last_error = f"{outcome.reason} Checking with the network before any retry."
            publication.save()
        elif (
            isinstance(outcome, base.Permanent)
            and outcome.reauth
            and channel_reconnected_since(
                channel_id=publication.channel_id, connected_at=connected_at
            )
        ):
            # Refused with the credentials a person has replaced during the send (a
            # Reconnect): the channel stays connected and this post goes again at once.
            publication.state = P.RETRY_WAIT
            publication.next_attempt_at = now
            publication.last_error = (
                f"{outcome.reason} The channel was reconnected meanwhile: sending again "
                "with the new connection."
            )
            publication.save()
        elif isinstance(outcome, base.Permanent) and outcome.reauth:
            # Refused for good even after any refresh: the channel is disconnected and
            # this post, like the channel's next ones, waits for a person.
            channel_mark_disconnected(
                channel_id=publication.channel_id, reason=outcome.reason, connected_at=connected_at
            )
            _hold(
                publication,
                post,
                f"{outcome.reason} {disconnected_reason(publication.channel.name)}",
            )
        else:
            reason = outcome.reason
            if isinstance(outcome, base.Transient):
                reason = f"Gave up after {publication.attempts} attempts: {reason}"
            _finish_failed(publication, post, reason)
        return publication.state


def _resend_is_safe(adapter: base.Adapter, publication: Publication) -> bool:
    if not adapter.idempotent or publication.attempts >= settings.PUBLISH_MAX_ATTEMPTS:
        return False
    if adapter.idempotency_window is None:
        return True
    # Every attempt happened after the slot, so this bounds the age of the first one,
    # with a margin for clocks.
    age = (timezone.now() - publication.due_at).total_seconds()
    return age < adapter.idempotency_window * 0.8


def publication_reconcile(*, publication_id: int) -> str:
    """Decide an unknown outcome by asking the network; a person decides if it cannot tell."""
    publication = (
        Publication.objects.select_related("channel", "post")
        .filter(pk=publication_id, state=P.UNKNOWN)
        .first()
    )
    if publication is None:
        return "skipped"
    adapter = adapter_for(publication.channel.kind)
    if _resend_is_safe(adapter, publication):
        # The network recognises a resend of this publication: sending it again
        # either posts it or returns the one already there.
        Publication.objects.filter(pk=publication_id, state=P.UNKNOWN).update(
            state=P.RETRY_WAIT,
            next_attempt_at=timezone.now(),
            last_error="Unclear outcome: resending with the same key, which the network "
            "recognises.",
        )
        return P.RETRY_WAIT
    with base.new_http_client() as http:
        try:
            found = adapter.reconcile(
                session_for(publication.channel, http), outgoing_post(publication)
            )
        except base.AdapterError as exc:
            # The network could not be asked right now: ask again later, send nothing.
            Publication.objects.filter(pk=publication_id, state=P.UNKNOWN).update(
                next_attempt_at=timezone.now()
                + timedelta(seconds=settings.PUBLISH_RECONCILE_DELAY_SECONDS * 4),
                last_error=f"Checking with the network failed ({exc.outcome.reason}); "
                "will check again.",
            )
            return P.UNKNOWN
        except Exception:  # a bug in an adapter must not lose the post
            logger.exception(
                "Reconciliation with %s crashed for %s",
                publication.channel.kind,
                _where(publication),
            )
            found = None
    post_id = publication.post_id
    return _retry_on_deadlock(
        lambda: _record_found(publication_id, post_id, found),
        f"recording the check of publication {publication_id}",
    )


def _record_found(publication_id: int, post_id: int, found: base.Outcome | None) -> str:
    """What reconciliation found, recorded under the engine's locks (post, then publication)."""
    with transaction.atomic():
        post = (
            Post.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=post_id)
        )
        publication = Publication.objects.select_for_update(of=("self",)).get(pk=publication_id)
        publication.post = post
        if publication.state != P.UNKNOWN:
            return publication.state
        if isinstance(found, base.Published):
            publication.state = P.PUBLISHED
            publication.external_id = found.external_id[:300]
            publication.external_url = outbound.web_link(found.url)[:500]
            publication.published_at = timezone.now()
            publication.next_attempt_at = None
            publication.last_error = ""
            _schedule_metrics(publication)
            publication.save()
        elif isinstance(found, base.NotThere):
            if publication.attempts < settings.PUBLISH_MAX_ATTEMPTS:
                publication.state = P.RETRY_WAIT
                publication.next_attempt_at = timezone.now()
                publication.last_error = "Not found on the network after an unclear send; retrying."
                publication.save()
            else:
                _finish_failed(publication, post, "Not delivered after every attempt.")
                return publication.state
        else:
            publication.next_attempt_at = None
            publication.last_error = (
                f"Maillon could not confirm whether this reached {publication.channel}. "
                "Check the account before publishing again, to avoid a duplicate."
            )
            publication.save()
            notices.publication_problem(publication, publication.last_error)
        _settle(post)
        return publication.state
