"""The engine with real processes: Celery beat and a prefork worker against Redis and the
test database, publishing to local stand-ins for the networks."""

import json
import re
import signal
import threading
import time
from collections import Counter

import httpx
import pytest
from django.db.models import Q
from django.utils import timezone
from werkzeug import Response

from planner.models import ChannelKind, Post, Publication
from planner.models import PublicationState as P
from planner.posts import actions
from planner.workflow import State
from tests import processes
from tests.factories import ChannelFactory, PostFactory
from tests.peers.bluesky_pds import bluesky_channel, new_account, post_records

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {
    "PUBLISH_TICK_MILLISECONDS": "300",
    "PUBLISH_CLAIM_LEASE_SECONDS": "5",
    "PUBLISH_SEND_LEASE_SECONDS": "8",
    "PUBLISH_RECONCILE_DELAY_SECONDS": "2",
    "PUBLISH_BACKOFF_BASE_SECONDS": "1",
}


class Receiver:
    """A generic webhook receiver that follows Maillon's contract: it de-duplicates on the
    delivery id. It counts what it received (``received``) and what it kept (``kept``)."""

    def __init__(self, httpserver):
        self.server = httpserver
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.kept: list[str] = []
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.accept)

    def accept(self, request):
        delivery = request.headers["X-Maillon-Delivery"]
        json.loads(request.data)
        with self.lock:
            if delivery not in self.received:
                self.kept.append(delivery)
            self.received[delivery] += 1
        return Response("ok")


def approve(cast, post):
    actions.post_submit(actor=cast.content, post=post)
    return actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )


def plan(cast, channels, *, count, due_in):
    """``count`` approved posts, all due at the same moment, ``due_in`` seconds from now."""
    when = timezone.now() + timezone.timedelta(seconds=due_in)
    posts = []
    for i in range(count):
        post = PostFactory(
            workspace=cast.workspace,
            author=cast.content,
            body=f"Engine test post number {i}",
            channels=channels,
            scheduled_at=timezone.now() + timezone.timedelta(hours=1),
        )
        posts.append(approve(cast, post))
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(scheduled_at=when)
    Publication.objects.filter(post__in=posts).update(due_at=when)
    return posts


def settled():
    """Nothing left to do for the engine, read in one query (two could straddle a change)."""
    in_flight = Q(state__in=[P.SCHEDULED, P.CLAIMED, P.SENDING, P.RETRY_WAIT]) | Q(
        state=P.UNKNOWN, next_attempt_at__isnull=False
    )
    return not Publication.objects.filter(in_flight).exists()


def test_beat_and_a_worker_publish_due_posts_once(cast, httpserver, tmp_path):
    receiver = Receiver(httpserver)
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.WEBHOOK,
        base_url="",
        credentials={"webhook_url": httpserver.url_for("/hook"), "signing_secret": "s"},
    )
    posts = plan(cast, [channel], count=5, due_in=3)
    with processes.engine(tmp_path, **FAST):
        assert processes.wait_for(
            lambda: Post.objects.filter(state=State.PUBLISHED).count() == 5, timeout=60
        ), (tmp_path / "celery.log").read_text()[-3000:]
    assert sorted(receiver.received.values()) == [1] * 5
    for post in posts:
        publication = Publication.objects.get(post=post)
        assert publication.published_at >= publication.due_at


def mastodon_statuses(base_url, token="alice_token"):  # noqa: S107 - the mock's seed token
    """Every status text of the account, read back from the server."""
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{base_url}/api/v1/accounts/verify_credentials", headers=headers).json()
    texts, max_id = [], None
    while True:
        params = {"limit": 40, **({"max_id": max_id} if max_id else {})}
        page = httpx.get(
            f"{base_url}/api/v1/accounts/{me['id']}/statuses", headers=headers, params=params
        ).json()
        if not page:
            return texts
        texts += [status["content"] for status in page]
        max_id = page[-1]["id"]


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(
    cast, httpserver, mastodon_mock_server, bluesky_pds, tmp_path
):
    """300 publications due at the same moment on three networks; the worker is killed
    with SIGKILL mid-run and started again."""
    receiver = Receiver(httpserver)
    account = new_account(bluesky_pds, "crash")
    bluesky = bluesky_channel(cast.workspace, account)
    mastodon = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.MASTODON,
        name="Mastodon",
        base_url=mastodon_mock_server.base_url,
        credentials={"access_token": "alice_token"},
    )
    hook = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.WEBHOOK,
        name="Hook",
        base_url="",
        credentials={"webhook_url": httpserver.url_for("/hook"), "signing_secret": "s"},
    )
    plan(cast, [mastodon, bluesky, hook], count=100, due_in=4)
    log = tmp_path / "celery.log"
    processes.purge_queue()
    beat = processes.start_beat(log, tmp_path, **FAST)
    worker = processes.start_worker(log, **FAST)
    try:
        assert processes.wait_for(
            lambda: Publication.objects.filter(state=P.PUBLISHED).count() >= 40, timeout=90
        ), log.read_text()[-3000:]
        processes.stop(worker, signal.SIGKILL)
        killed_at = Publication.objects.filter(state=P.PUBLISHED).count()
        assert killed_at < 250, "the worker finished before it could be killed"
        time.sleep(2)
        worker = processes.start_worker(log, name="restarted", **FAST)
        assert processes.wait_for(settled, timeout=180), log.read_text()[-3000:]
    finally:
        processes.stop(beat)
        processes.stop(worker)
        processes.purge_queue()

    states = dict(Publication.objects.values_list("pk", "state"))
    # None lost: each one is published or visibly waiting for a person.
    assert set(states.values()) <= {P.PUBLISHED, P.UNKNOWN}
    # None doubled, counted at the servers: the receiver kept each delivery once, and
    # received one twice only when the first send's outcome was unclear.
    hooks = {str(p.idempotency_key): p for p in Publication.objects.filter(channel=hook)}
    assert sorted(receiver.kept) == sorted(set(receiver.kept))
    assert set(receiver.kept) == {k for k, p in hooks.items() if p.state == P.PUBLISHED}
    assert all(hooks[k].attempts > 1 for k, n in receiver.received.items() if n > 1)
    on_mastodon = Counter(
        int(m.group(1))
        for text in mastodon_statuses(mastodon_mock_server.base_url)
        if (m := re.search(r"post number (\d+)\b", text))
    )
    assert set(on_mastodon.values()) == {1}
    # Mastodon recognises a resend by its Idempotency-Key: every one ends published.
    published_on_mastodon = Publication.objects.filter(channel=mastodon, state=P.PUBLISHED)
    assert {int(p.post.body.split()[-1]) for p in published_on_mastodon} == set(on_mastodon)
    assert len(on_mastodon) == 100
    on_bluesky = Counter(
        int(re.search(r"post number (\d+)\b", r["value"]["text"]).group(1))
        for r in post_records(account)
    )
    assert set(on_bluesky.values()) == {1}
    assert len(on_bluesky) == Publication.objects.filter(channel=bluesky, state=P.PUBLISHED).count()
    assert len(on_bluesky) == 100
    unknown = Publication.objects.filter(state=P.UNKNOWN)
    for publication in unknown:
        assert "Check the account before publishing again" in publication.last_error
        assert publication.post.state == State.NEEDS_ATTENTION
