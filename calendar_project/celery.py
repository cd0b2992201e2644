import logging
import os
import socket
import time

from celery import Celery
from celery.beat import Scheduler
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendar_project.settings")

logger = logging.getLogger(__name__)

app = Celery("maillon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_SECONDS = 15.0


def beat_schedule() -> dict:
    from django.conf import settings

    tick = settings.PUBLISH_TICK_SECONDS
    return {
        "worker-heartbeat": {
            "task": "planner.tasks.worker_heartbeat",
            "schedule": HEARTBEAT_SECONDS,
            "options": {"expires": HEARTBEAT_SECONDS * 2},
        },
        # The publishing engine's tick. A tick that waited too long in the
        # queue is dropped: the next one does the same work.
        "publish-dispatch": {
            "task": "planner.tasks.dispatch",
            "schedule": tick,
            "options": {"expires": max(tick * 3, 2.0)},
        },
        # Reminders of approvals left waiting, escalations, posts at risk. Each is sent
        # once (recorded in the database), so a run dropped or repeated costs nothing.
        "approval-reminders": {
            "task": "planner.tasks.approval_reminders",
            "schedule": float(settings.REMINDER_TICK_SECONDS),
            "options": {"expires": float(settings.REMINDER_TICK_SECONDS)},
        },
        # Metrics and follower counts, on their own queue: reading counts never delays
        # a send. A run dropped or late only reads a little later.
        "metrics-collect": {
            "task": "planner.tasks.collect_metrics",
            "schedule": float(settings.METRICS_TICK_SECONDS),
            "options": {"expires": float(settings.METRICS_TICK_SECONDS)},
        },
        # Renew tokens that end soon, tell admins a week and a day before a channel's
        # access ends (planner/connection/renewal.py). Told once each; a dropped run
        # only renews an hour later.
        "connections-keep-alive": {
            "task": "planner.tasks.keep_connections_alive",
            "schedule": float(settings.CONNECTIONS_TICK_SECONDS),
            "options": {
                "expires": float(settings.CONNECTIONS_TICK_SECONDS),
                "soft_time_limit": 600,
                "time_limit": 660,
            },
        },
    }


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = beat_schedule()


# The engine's own ticks have a queue of their own, listed first, so a burst of
# sends queued behind them never starves the claims, the lease reaper or the
# heartbeat. Workers consume every listed queue unless told otherwise.
ENGINE_QUEUE = "maillon-engine"
# Reading metrics is slow (a network call per post) and never urgent: listed last, so
# a worker takes sends first; production can give it a worker of its own (-Q).
METRICS_QUEUE = "maillon-metrics"
# Key-date imports read a stranger's calendar: bounded in time, and on a queue of their
# own, so a slow one never delays a send or a tick.
IMPORTS_QUEUE = "maillon-imports"
# The sends themselves: senders that claim due publications one at a time and send
# them, run by a worker of threads (the network call is I/O: many in flight in one
# process). Its own queue, so the ticks and claims never wait behind a burst.
SEND_QUEUE = "maillon-send"
app.conf.task_queues = (
    Queue(ENGINE_QUEUE),
    Queue(SEND_QUEUE),
    Queue("celery"),
    Queue(METRICS_QUEUE),
    Queue(IMPORTS_QUEUE),
)
app.conf.task_default_queue = "celery"
app.conf.task_routes = {
    "planner.tasks.dispatch": {"queue": ENGINE_QUEUE},
    "planner.tasks.worker_heartbeat": {"queue": ENGINE_QUEUE},
    "planner.tasks.send_due": {"queue": SEND_QUEUE},
    "planner.tasks.publish": {"queue": SEND_QUEUE},
    "planner.tasks.collect_metrics": {"queue": METRICS_QUEUE},
    "planner.tasks.key_dates_import": {"queue": IMPORTS_QUEUE},
}

# Wake often so the beat mark stays fresh and short intervals stay accurate.
app.conf.beat_max_loop_interval = 1
app.conf.beat_scheduler = "calendar_project.celery:MaillonScheduler"


class MaillonScheduler(Scheduler):
    """The in-memory scheduler, plus a liveness mark on every tick, and only while it
    holds the beat lease (``calendar_project.beat_leader``): a second beat stands by.

    The schedule is static (it lives in code), so nothing needs persisting;
    scheduled posts live in the database, never in beat.
    """

    _last_mark = 0.0
    _leading: bool | None = None  # unknown until the first tick asks

    def _lead(self) -> bool:
        from django.conf import settings

        from calendar_project import beat_leader, health

        try:
            leading = beat_leader.hold(
                health.client(), beat_leader.identity(), settings.BEAT_LEASE_SECONDS
            )
        except Exception:
            # Redis unreachable: nobody can send tasks anyway; keep trying.
            logger.warning("Could not reach Redis for the beat lease", exc_info=True)
            return False
        if leading != self._leading:
            self._leading = leading
            if leading:
                logger.info("This beat holds the lease: it sends the schedule.")
            else:
                logger.info("Another beat holds the lease: this one stands by.")
        return leading

    def tick(self, *args, **kwargs):
        if not self._lead():
            return 1.0  # look again in a second
        now = time.monotonic()
        if now - self._last_mark >= 2:
            from calendar_project import health

            try:
                health.mark(health.BEAT_KEY, socket.gethostname())
                self._last_mark = now
            except Exception:
                logger.warning("Could not write the beat health mark", exc_info=True)
        return super().tick(*args, **kwargs)

    def close(self):
        if self._leading:
            from calendar_project import beat_leader, health

            try:
                beat_leader.release(health.client(), beat_leader.identity())
            except Exception:
                logger.warning("Could not give the beat lease back", exc_info=True)
        super().close()
