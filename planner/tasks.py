"""Celery tasks: a thin interface that takes ids and calls services."""

import logging
import socket

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.worker import state as worker_state
from django.conf import settings

from calendar_project import health
from calendar_project.celery import SEND_QUEUE
from planner.analytics import collection
from planner.approvals import reminders
from planner.calendar_feeds import key_dates
from planner.connection import renewal
from planner.notifications import inbox
from planner.publishing import control, engine

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Sent by beat, run by a worker: proof that the broker-to-worker path works."""
    health.mark(health.WORKER_KEY, socket.gethostname())


@shared_task(ignore_result=True)
def dispatch() -> int:
    """The engine's tick: return expired leases, hold what a posting limit would make too
    late, and wake senders for what is due now and for the next due time within the
    tick (so a post goes at its second, not at the tick's phase). Returns senders woken."""
    reaped = engine.publication_reap_expired()
    if any(reaped.values()):
        logger.warning("Leases expired: %s", reaped)
    queued = _sends_queued()
    if queued == 0:
        # Nothing waits in the broker, yet claims older than the pickup time were never
        # started: their sender died between the two (or an older version's message was
        # lost). Claim them again now.
        lost = engine.publication_requeue_unstarted(older_than=settings.PUBLISH_PICKUP_SECONDS)
        if lost:
            logger.warning("Claims never started, claimed again: %d", lost)
    engine.publication_hold_past_limits()
    senders = settings.PUBLISH_SENDERS
    horizon = settings.PUBLISH_TICK_SECONDS * 1.5
    due = engine.publication_due_soon(horizon=horizon, cap=senders)
    # Senders already queued take the work too; one more only where none waits.
    woken = max(0, min(due.now, senders) - (queued or 0))
    for _ in range(woken):
        send_due.delay()
    if due.next_in is not None and _first_wake(due.next_at):
        for _ in range(min(due.soon, senders)):
            send_due.apply_async(
                kwargs={"patience": horizon}, countdown=due.next_in, expires=horizon * 4
            )
        woken += min(due.soon, senders)
    for publication_id in engine.publication_due_for_reconcile():
        reconcile.delay(publication_id)
    health.mark(health.DISPATCH_KEY, str(woken))
    return woken


def _first_wake(at) -> bool:
    """Whether this due time has no wake-up yet (two ticks may both see it coming)."""
    try:
        key = f"maillon:wake:{at.timestamp():.6f}"
        return bool(health.client().set(key, "1", nx=True, ex=30))
    except Exception:
        logger.warning("Could not record a wake-up in Redis", exc_info=True)
        return True


def _sends_queued() -> int | None:
    """Senders waiting in the sends' queue (Redis); None when the broker cannot tell."""
    try:
        with current_app.connection_for_read() as conn:
            client = getattr(conn.default_channel, "client", None)
            if client is None:
                return None
            return int(client.llen(SEND_QUEUE))
    except Exception:  # the broker is down: nothing to decide this tick
        logger.warning("Could not read the sends' queue length", exc_info=True)
        return None


def _not_stopping() -> bool:
    """False once the worker is shutting down: a sender ends after its current send."""
    return not (worker_state.should_stop or worker_state.should_terminate)


@shared_task(ignore_result=True, acks_late=False)
def send_due(patience: float = 0.0) -> int:
    """A sender: claims and sends due publications until none is due. It carries no
    claim, so a lost or repeated message costs nothing (acknowledged on receipt)."""
    return engine.publication_drain(patience=patience, keep_going=_not_stopping)


@shared_task(ignore_result=True)
def publish(publication_id: int, token: str) -> str:
    """One claim's send, as an earlier version queued them (messages still in a broker
    at an upgrade): the senders now claim for themselves."""
    return engine.publication_send(publication_id=publication_id, token=token)


@shared_task(ignore_result=True)
def reconcile(publication_id: int) -> str:
    return engine.publication_reconcile(publication_id=publication_id)


@shared_task(ignore_result=True)
def retract_publication(publication_id: int) -> str:
    return control.publication_retract(publication_id=publication_id)


@shared_task(ignore_result=True)
def collect_metrics() -> dict[str, dict[str, int]]:
    """Beat's metrics tick (its own queue): counts of posts whose round is due, then
    follower counts of channels due for their daily reading."""
    return {
        "posts": collection.metrics_collect_due(),
        "followers": collection.followers_collect_due(),
    }


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def keep_connections_alive() -> dict[str, int]:
    """Beat's hourly run: renew tokens that end soon, tell admins of those that will end."""
    return renewal.connections_keep_alive()


@shared_task(ignore_result=True)
def approval_reminders() -> dict[str, int]:
    """Beat's reminder tick: remind approvers of steps left waiting, escalate to admins,
    flag posts newly at risk. Each is told once, however often this runs."""
    return reminders.reminders_send()


@shared_task(bind=True, ignore_result=True, max_retries=1, default_retry_delay=30)
def chat_announce(
    self, workspace_id: int, kind: str, post_id: int | None, actor_id: int | None, data: dict
) -> str:
    """Tell the workspace's chat webhook of an event; one retry at most, then give up
    (the people concerned have it in their inbox and by email anyway)."""
    outcome = inbox.chat_deliver(
        workspace_id=workspace_id, kind=kind, post_id=post_id, actor_id=actor_id, data=data
    )
    if outcome == inbox.ChatOutcome.RETRY and self.request.retries < self.max_retries:
        raise self.retry()
    return outcome


@shared_task(
    ignore_result=True,
    # Its own queue (calendar_project.celery), and bounded: at the soft limit it stops
    # and writes nothing; at the hard limit the worker process is killed. The queueing
    # service sends the limits in each message (key_dates.time_limits()); these are the
    # fallback. A calendar that killed a worker is not handed to the next one (no
    # requeue on worker loss): it is marked failed when its time is up
    # (key_date_imports_expire).
    soft_time_limit=key_dates.time_limits()[0],
    time_limit=key_dates.time_limits()[1],
    acks_late=True,
    reject_on_worker_lost=False,
)
def key_dates_import(import_id: int) -> str:
    try:
        return key_dates.key_date_import_run(import_id=import_id)
    except SoftTimeLimitExceeded:
        key_dates.key_date_import_timed_out(import_id=import_id)
        return "timed out"
