"""Issue 20's faults, each reproduced for real: two channels of one post racing under
PostgreSQL (threads, their own connections), an edit after a lost answer, and claims
lost with the broker."""

import threading
import time

import pytest
from django.db import connection, transaction

from planner.channels import base
from planner.models import Post, Publication
from planner.models import PublicationState as P
from planner.publishing import engine
from planner.workflow import State
from tests.planner.publishing.test_engine import (  # noqa: F401 - a fixture
    approved_post,
    make_due,
    receiver,
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
    assert engine._start(sending.publication_id, sending.token) is not None
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
        recording = InThread(lambda: engine._record(sending.publication_id, sending.token, outcome))
        wait_until_blocked(recording.pid)
        starting = InThread(lambda: engine._start(claimed.publication_id, claimed.token))
        wait_until_blocked(starting.pid)
    recorded, started = recording.join(), starting.join()

    assert recorded == P.PUBLISHED, recorded
    assert isinstance(started, Publication), started
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
        recording = InThread(lambda: engine._record(sending.publication_id, sending.token, outcome))
        wait_until_blocked(recording.pid)  # it holds the post and waits for the publication
        # The recording has waited longer, so its deadlock check runs first: it is the victim.
        cursor.execute("SELECT 1 FROM planner_post WHERE id = %s FOR UPDATE", [post.pk])
    assert recording.join() == P.PUBLISHED
    publication = Publication.objects.get(pk=sending.publication_id)
    assert publication.state == P.PUBLISHED
    assert publication.external_id == "delivery-1"
