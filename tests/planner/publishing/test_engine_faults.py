"""Issue 20's faults, each reproduced for real: two channels of one post racing under
PostgreSQL (threads, their own connections), an edit after a lost answer, and claims
lost with the broker."""

import datetime as dt
import json
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from werkzeug import Response

from planner import tasks
from planner.channels import base
from planner.models import Post, Publication
from planner.models import PublicationState as P
from planner.posts import actions, writing
from planner.publishing import engine
from planner.workflow import State
from tests import processes
from tests.planner.publishing.test_engine import (  # noqa: F401 - a fixture
    approved_post,
    make_due,
    receiver,
    run_engine,
    webhook_channel,
)

pytestmark = pytest.mark.django_db(transaction=True)


class InThread:
    """A call run in its own thread (its own connection); its backend pid is known before
    the call starts, so the test can tell when PostgreSQL makes it wait for a lock."""

    def __init__(self, call):
        self.call = call
        self.pid = None
        self.result = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.ready.set()
            self.result = self.call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            self.result = exc
        finally:
            self.ready.set()
            connection.close()

    def join(self):
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.result


def wait_until_blocked(pid, timeout=10.0):
    """Until the backend ``pid`` waits for a lock another transaction holds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT cardinality(pg_blocking_pids(%s))", [pid])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


@pytest.fixture
def two_channels_sending(cast, receiver):  # noqa: F811
    """One approved post on two channels, both claimed; the first one is sending."""
    first = webhook_channel(cast, receiver, name="Intranet")
    second = webhook_channel(cast, receiver, name="Partners")
    post = approved_post(cast, [first, second])
    make_due(post)
    claims = {
        Publication.objects.get(pk=c.publication_id).channel_id: c
        for c in engine.publication_claim_due()
    }
    sending, claimed = claims[first.pk], claims[second.pk]
    assert engine.publication_start(sending.publication_id, sending.token) is not None
    return post, sending, claimed


def test_recording_one_channel_while_another_starts_does_not_deadlock(two_channels_sending):
    """The old order: recording locked the post and its workspace FOR UPDATE, a start took
    the workspace FOR SHARE then the post; one of them was killed by PostgreSQL."""
    post, sending, claimed = two_channels_sending
    outcome = base.Published("delivery-1", "https://intranet.example/1")
    with transaction.atomic():
        # Someone holds the post (a person's edit, say): the recording queues for it
        # first, then the start queues behind it, holding the workspace FOR SHARE.
        Post.objects.select_for_update(of=("self",)).get(pk=post.pk)
        recording = InThread(
            lambda: engine.publication_record(sending.publication_id, sending.token, outcome)
        )
        wait_until_blocked(recording.pid)
        starting = InThread(lambda: engine.publication_start(claimed.publication_id, claimed.token))
        wait_until_blocked(starting.pid)
    recorded, started = recording.join(), starting.join()

    assert recorded == P.PUBLISHED, recorded
    assert isinstance(started, engine.Started), started  # it moved to "sending"
    assert Publication.objects.get(pk=sending.publication_id).state == P.PUBLISHED
    assert Publication.objects.get(pk=claimed.publication_id).state == P.SENDING
    assert Post.objects.get(pk=post.pk).state == State.PUBLISHING


def test_a_recording_chosen_as_a_deadlock_victim_is_retried(two_channels_sending):
    """Whatever else takes the rows in the other order, an outcome the network gave is
    not lost to the lease: the recording is retried once the other side has gone on."""
    post, sending, _claimed = two_channels_sending
    outcome = base.Published("delivery-1", "https://intranet.example/1")
    with transaction.atomic(), connection.cursor() as cursor:
        # The other order, on purpose: the publication first, then its post.
        cursor.execute(
            "SELECT 1 FROM planner_publication WHERE id = %s FOR UPDATE", [sending.publication_id]
        )
        recording = InThread(
            lambda: engine.publication_record(sending.publication_id, sending.token, outcome)
        )
        wait_until_blocked(recording.pid)  # it holds the post and waits for the publication
        # The recording has waited longer, so its deadlock check runs first: it is the victim.
        cursor.execute("SELECT 1 FROM planner_post WHERE id = %s FOR UPDATE", [post.pk])
    assert recording.join() == P.PUBLISHED
    publication = Publication.objects.get(pk=sending.publication_id)
    assert publication.state == P.PUBLISHED
    assert publication.external_id == "delivery-1"


# --- fault 1: an edit after a lost answer ---------------------------------------------


@pytest.fixture
def dedup_receiver(receiver):  # noqa: F811
    """A webhook receiver on the contract: it keeps each delivery id once and answers a
    repeated id as accepted without keeping its text. Its first answer is lost (503 after
    keeping the delivery), as when an answer times out after the network kept the post."""
    receiver.kept = {}
    receiver.lose_answers = 1

    def handle(request):
        body = json.loads(request.data)
        delivery = request.headers["X-Maillon-Delivery"]
        receiver.kept.setdefault(delivery, body["text"])
        if receiver.lose_answers:
            receiver.lose_answers -= 1
            return Response("lost", status=503)
        return Response("ok", status=200)

    receiver.expect_request("/hook", method="POST").respond_with_handler(handle)
    return receiver


def due_again(post):
    make_due(post)
    Publication.objects.filter(post=post).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_a_new_version_after_a_lost_answer_goes_out_under_a_new_delivery_id(
    cast, dedup_receiver, settings
):
    settings.PUBLISH_MAX_ATTEMPTS = 1
    post = approved_post(cast, [webhook_channel(cast, dedup_receiver)])
    make_due(post)
    assert run_engine() == [P.FAILED]  # the receiver kept it; its answer was lost
    first_key = str(Publication.objects.get(post=post).idempotency_key)

    writing.post_edit(
        actor=cast.content,
        post=post,
        expected_version=1,
        title="",
        body="The corrected text",
        variants={v.channel_id: "" for v in post.variants.all()},
    )
    post.refresh_from_db()
    if post.state != State.IN_REVIEW:
        actions.post_submit(actor=cast.content, post=post)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=2, step_position=1
    )
    due_again(post)
    assert run_engine() == [P.PUBLISHED]

    publication = Publication.objects.get(post=post)
    assert str(publication.idempotency_key) != first_key
    # What the network shows is what Maillon calls published: the new text was kept.
    assert dedup_receiver.kept[str(publication.idempotency_key)] == "The corrected text"
    assert len(dedup_receiver.kept) == 2


def test_a_retry_of_the_same_content_keeps_its_delivery_id(cast, dedup_receiver, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 3
    post = approved_post(cast, [webhook_channel(cast, dedup_receiver)])
    make_due(post)
    assert run_engine() == [P.RETRY_WAIT]
    key = Publication.objects.get(post=post).idempotency_key
    due_again(post)
    assert run_engine() == [P.PUBLISHED]
    assert Publication.objects.get(post=post).idempotency_key == key
    assert list(dedup_receiver.kept) == [str(key)]  # kept once, recognised on the retry


# --- fault 3: claims lost with the broker ---------------------------------------------


def test_claims_lost_with_the_broker_are_sent_within_a_few_ticks_not_a_lease(
    cast,
    receiver,  # noqa: F811
    settings,
    tmp_path,
):
    """The broker loses its queued senders (the queue purged, as a Redis restart without
    persistence does), and a sender died between its claim and its send: the next ticks
    wake new senders and claim the stranded one again, long before its 30 s lease."""
    settings.PUBLISH_SENDERS = 3
    settings.PUBLISH_CLAIM_LEASE_SECONDS = 30
    settings.PUBLISH_PICKUP_SECONDS = 1
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    channel = webhook_channel(cast, receiver)
    posts = [approved_post(cast, [channel]) for _ in range(5)]
    for post in posts:
        make_due(post)
    processes.purge_queue()
    assert tasks.dispatch() == 3  # three senders queued, no worker yet
    assert engine.publication_claim_next() is not None  # its sender dies here
    processes.purge_queue()  # the broker restarts: the three messages are gone
    assert Publication.objects.filter(post__in=posts, state=P.CLAIMED).count() == 1
    time.sleep(settings.PUBLISH_PICKUP_SECONDS + 0.2)

    log = tmp_path / "celery.log"
    worker = processes.start_worker(log, PUBLISH_CLAIM_LEASE_SECONDS="30")
    started = time.monotonic()
    try:

        def tick_until_published():
            tasks.dispatch()
            return Publication.objects.filter(post__in=posts, state=P.PUBLISHED).count() == 5

        assert processes.wait_for(tick_until_published, timeout=20, interval=0.3), log.read_text()[
            -3000:
        ]
    finally:
        processes.stop(worker)
        processes.purge_queue()
    assert time.monotonic() - started < 20  # not the 30 s lease
    assert len(receiver.deliveries) == len(set(receiver.deliveries)) == 5  # each sent once


def test_the_publish_paths_log_lines_name_the_publication_post_and_channel(
    cast,
    receiver,  # noqa: F811
    caplog,
):
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    channel = webhook_channel(cast, receiver)
    post = approved_post(cast, [channel])
    make_due(post)
    with caplog.at_level("INFO", logger="planner.publishing.engine"):
        assert run_engine() == [P.PUBLISHED]
    publication = Publication.objects.get(post=post)
    named = f"publication {publication.pk} (post {post.pk}, channel {channel.pk} webhook)"
    lines = [r.getMessage() for r in caplog.records if r.name == "planner.publishing.engine"]
    assert lines and all(named in line for line in lines), lines
