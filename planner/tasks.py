"""Celery tasks: a thin interface that takes ids and calls services."""

import logging
import socket

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from calendar_project import health
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
    """The engine's tick: return expired leases, claim what is due, queue one task each."""
    reaped = engine.publication_reap_expired()
    if any(reaped.values()):
        logger.warning("Leases expired: %s", reaped)
    if _sends_queued() == 0:
        # Nothing waits in the broker, yet claims older than the pickup time were never
        # started: their messages were lost (a broker restart). Claim them again now.
        lost = engine.publication_requeue_unstarted(older_than=settings.PUBLISH_PICKUP_SECONDS)
        if lost:
            logger.warning("Claims whose messages the broker lost, claimed again: %d", lost)
    claims = engine.publication_claim_due()
    for claim in claims:
        publish.delay(claim.publication_id, claim.token)
    for publication_id in engine.publication_due_for_reconcile():
        reconcile.delay(publication_id)
    health.mark(health.DISPATCH_KEY, str(len(claims)))
    return len(claims)


def _sends_queued() -> int | None:
    """Messages waiting in the sends' queue (Redis); None when the broker cannot tell."""
    try:
        with current_app.connection_for_read() as conn:
            client = getattr(conn.default_channel, "client", None)
            if client is None:
                return None
            return int(client.llen(current_app.conf.task_default_queue))
    except Exception:  # the broker is down: nothing to decide this tick
        logger.warning("Could not read the sends' queue length", exc_info=True)
        return None


@shared_task(ignore_result=True)
def publish(publication_id: int, token: str) -> str:
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
