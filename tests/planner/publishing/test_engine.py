"""The publishing engine, step by step in one process, against a real local HTTP server
that stands in for a generic webhook receiver."""

import datetime as dt
import json
import time
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from werkzeug import Response

from planner.models import AuditEvent, ChannelKind, Post, Publication
from planner.models import PublicationState as P
from planner.posts import actions, writing
from planner.publishing import control, engine
from planner.workflow import State
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def receiver(httpserver):
    """A webhook receiver that records each delivery id it accepts."""
    httpserver.deliveries = []

    def accept(request):
        body = json.loads(request.data)
        httpserver.deliveries.append(request.headers.get("X-Maillon-Delivery") or body)
        return Response("ok", status=200)

    httpserver.accept = accept
    return httpserver


def webhook_channel(cast, server, *, path="/hook", kind=ChannelKind.WEBHOOK, **kwargs):
    return ChannelFactory(
        workspace=cast.workspace,
        kind=kind,
        name=kwargs.pop("name", "Intranet"),
        base_url="",
        credentials={"webhook_url": server.url_for(path), "signing_secret": "s3cret"},
        **kwargs,
    )


def approved_post(cast, channels, *, when=None):
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        channels=channels,
        scheduled_at=when or timezone.now() + dt.timedelta(hours=1),
    )
    actions.post_submit(actor=cast.content, post=post)
    return actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )


def make_due(post):
    """Bring the post's time to now (the database clock decides due-ness)."""
    now = timezone.now() - dt.timedelta(seconds=1)
    Post.objects.filter(pk=post.pk).update(scheduled_at=now)
    Publication.objects.filter(post=post).update(due_at=now)


def run_engine():
    """One tick, and every claimed send, as the worker would run them."""
    results = []
    for claim in engine.publication_claim_due():
        results.append(
            engine.publication_send(publication_id=claim.publication_id, token=claim.token)
        )
    return results


def state_of(post):
    post.refresh_from_db()
    return post.state


# --- claiming ---------------------------------------------------------------------------


def test_a_post_not_yet_due_is_not_claimed(cast, receiver):
    approved_post(cast, [webhook_channel(cast, receiver)])
    assert engine.publication_claim_due() == []


def test_a_due_publication_is_claimed_once(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    first = engine.publication_claim_due()
    assert len(first) == 1
    assert engine.publication_claim_due() == []
    assert Publication.objects.get(post=post).state == P.CLAIMED


def test_a_duplicate_or_stale_message_sends_nothing(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    (claim,) = engine.publication_claim_due()
    assert engine.publication_send(publication_id=claim.publication_id, token="0" * 32) == (
        "skipped"
    )
    assert engine.publication_send(publication_id=claim.publication_id, token=claim.token) == (
        P.PUBLISHED
    )
    assert engine.publication_send(publication_id=claim.publication_id, token=claim.token) == (
        "skipped"
    )
    assert len(receiver.deliveries) == 1


# --- outcomes ----------------------------------------------------------------------------


def test_a_due_post_is_published_on_every_channel(cast, receiver):
    channels = [webhook_channel(cast, receiver, name=f"Hook {i}") for i in range(2)]
    post = approved_post(cast, channels)
    make_due(post)
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    assert run_engine() == [P.PUBLISHED, P.PUBLISHED]
    assert state_of(post) == State.PUBLISHED
    assert len(receiver.deliveries) == 2
    publication = Publication.objects.filter(post=post).first()
    assert publication.published_at is not None
    assert publication.attempts == 1
    assert AuditEvent.objects.filter(post=post, action="post.mark_published").exists()


def test_a_temporary_refusal_waits_at_least_retry_after_then_succeeds(cast, receiver, settings):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    receiver.expect_oneshot_request("/hook").respond_with_data(
        "busy", status=503, headers={"Retry-After": "120"}
    )
    assert run_engine() == [P.RETRY_WAIT]
    publication = Publication.objects.get(post=post)
    assert publication.next_attempt_at - timezone.now() > dt.timedelta(seconds=110)
    assert state_of(post) == State.PUBLISHING
    Publication.objects.filter(pk=publication.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    assert run_engine() == [P.PUBLISHED]
    assert Publication.objects.get(post=post).attempts == 2
    assert state_of(post) == State.PUBLISHED


def test_after_the_last_attempt_a_temporary_failure_becomes_a_failure(cast, receiver, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 2
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    receiver.expect_request("/hook").respond_with_data("busy", status=503)
    assert run_engine() == [P.RETRY_WAIT]
    Publication.objects.filter(post=post).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert run_engine() == [P.FAILED]
    publication = Publication.objects.get(post=post)
    assert publication.last_error.startswith("Gave up after 2 attempts")
    assert state_of(post) == State.FAILED


def test_a_permanent_refusal_fails_the_post_and_tells_the_author_and_admins(
    cast, receiver, django_capture_on_commit_callbacks
):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    receiver.expect_request("/hook").respond_with_json({"error": "bad payload"}, status=400)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_engine() == [P.FAILED]
    assert state_of(post) == State.FAILED
    assert "bad payload" in Publication.objects.get(post=post).last_error
    problems = [m for m in mail.outbox if "did not go out as planned" in m.body]
    assert sorted(m.to[0] for m in problems) == sorted([cast.content.email, cast.admin.email])
    assert "bad payload" in problems[0].body


def test_an_unclear_outcome_is_never_resent_blindly(cast, receiver, settings):
    """Slack has no idempotency: a timeout after sending may have posted."""
    settings.PUBLISH_RECONCILE_DELAY_SECONDS = 1
    post = approved_post(cast, [webhook_channel(cast, receiver, kind=ChannelKind.SLACK)])
    make_due(post)

    def slow(request):
        time.sleep(1.5)
        return receiver.accept(request)

    receiver.expect_request("/hook").respond_with_handler(slow)
    settings.PUBLISH_READ_TIMEOUT_SECONDS = 0.5
    assert run_engine() == [P.UNKNOWN]
    time.sleep(1.1)
    # The next ticks do not send it again: they ask the network, which cannot tell.
    assert run_engine() == []
    (publication_id,) = engine.publication_due_for_reconcile()
    assert engine.publication_reconcile(publication_id=publication_id) == P.UNKNOWN
    assert state_of(post) == State.NEEDS_ATTENTION
    assert (
        "Check the account before publishing again"
        in Publication.objects.get(pk=publication_id).last_error
    )


# --- re-checks at send time --------------------------------------------------------------


def test_a_pause_between_claim_and_send_stops_the_send(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    (claim,) = engine.publication_claim_due()
    control.workspace_pause(actor=cast.admin, workspace=cast.workspace, reason="Crisis")
    assert engine.publication_send(publication_id=claim.publication_id, token=claim.token) == (
        "skipped"
    )
    assert Publication.objects.get(post=post).state == P.SCHEDULED
    assert engine.publication_claim_due() == []
    assert receiver.log == []


def test_an_edit_after_approval_stops_a_claimed_send(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    (claim,) = engine.publication_claim_due()
    writing.post_edit(
        actor=cast.content,
        post=post,
        expected_version=1,
        title="",
        body="Changed at the last second",
        variants={v.channel_id: "" for v in post.variants.all()},
    )
    assert engine.publication_send(publication_id=claim.publication_id, token=claim.token) == (
        "skipped"
    )
    assert Publication.objects.get(post=post).state == P.CANCELLED
    assert receiver.log == []


def test_a_post_later_than_the_cut_off_waits_for_a_person(
    cast, receiver, django_capture_on_commit_callbacks
):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    late = timezone.now() - dt.timedelta(minutes=16)
    Post.objects.filter(pk=post.pk).update(scheduled_at=late)
    Publication.objects.filter(post=post).update(due_at=late)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_engine() == ["skipped"]
    assert Publication.objects.get(post=post).state == P.HELD
    assert state_of(post) == State.NEEDS_ATTENTION
    assert "16 min past its time" in Publication.objects.get(post=post).last_error
    assert receiver.log == []
    problems = [m for m in mail.outbox if "did not go out as planned" in m.body]
    assert len(problems) == 2  # the author and the admin


def test_publish_now_sends_a_held_post(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    late = timezone.now() - dt.timedelta(hours=2)
    Post.objects.filter(pk=post.pk).update(scheduled_at=late)
    Publication.objects.filter(post=post).update(due_at=late)
    run_engine()
    post = control.post_publish_now(actor=cast.content, post=post)
    assert post.state == State.APPROVED
    receiver.expect_request("/hook").respond_with_handler(receiver.accept)
    assert run_engine() == [P.PUBLISHED]


def test_retry_sends_only_the_failed_channel_again(cast, receiver):
    ok = webhook_channel(cast, receiver, name="OK")
    broken = webhook_channel(cast, receiver, name="Broken", path="/broken")
    post = approved_post(cast, [ok, broken])
    make_due(post)
    receiver.expect_request("/hook").respond_with_handler(receiver.accept)
    receiver.expect_oneshot_request("/broken").respond_with_data("no", status=400)
    assert sorted(run_engine()) == [P.FAILED, P.PUBLISHED]
    assert state_of(post) == State.FAILED
    control.post_retry(actor=cast.content, post=post)
    receiver.expect_request("/broken").respond_with_handler(receiver.accept)
    assert run_engine() == [P.PUBLISHED]
    assert state_of(post) == State.PUBLISHED
    assert len(receiver.deliveries) == 2


# --- pause and resume ------------------------------------------------------------------------


def test_only_an_admin_pauses_and_a_reason_is_required(cast):
    from planner.errors import Invalid, NotAllowed

    with pytest.raises(NotAllowed):
        control.workspace_pause(actor=cast.marketing, workspace=cast.workspace, reason="x")
    with pytest.raises(Invalid, match="why"):
        control.workspace_pause(actor=cast.admin, workspace=cast.workspace, reason=" ")
    control.workspace_pause(actor=cast.admin, workspace=cast.workspace, reason="Crisis")
    assert AuditEvent.objects.filter(action="publishing.pause").exists()


def test_on_resume_posts_past_the_cut_off_wait_for_a_person(cast, receiver):
    channel = webhook_channel(cast, receiver)
    missed, soon = approved_post(cast, [channel]), approved_post(cast, [channel])
    control.workspace_pause(actor=cast.admin, workspace=cast.workspace, reason="Crisis")
    long_ago = timezone.now() - dt.timedelta(minutes=40)
    Publication.objects.filter(post=missed).update(due_at=long_ago)
    Post.objects.filter(pk=missed.pk).update(scheduled_at=long_ago)
    result = control.workspace_resume(actor=cast.admin, workspace=cast.workspace)
    assert result == {"held": 1, "posts": 1}
    assert state_of(missed) == State.NEEDS_ATTENTION
    assert Publication.objects.get(post=missed).state == P.HELD
    assert state_of(soon) == State.APPROVED
    assert Publication.objects.get(post=soon).state == P.SCHEDULED


# --- leases -----------------------------------------------------------------------------------


def test_a_claim_nobody_started_returns_to_the_queue(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    (old,) = engine.publication_claim_due()
    Publication.objects.filter(post=post).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert engine.publication_reap_expired() == {"returned": 1, "unknown": 0}
    (new,) = engine.publication_claim_due()
    assert new.token != old.token
    assert engine.publication_send(publication_id=old.publication_id, token=old.token) == "skipped"


def test_a_send_whose_worker_vanished_becomes_unknown_not_resent(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver)])
    make_due(post)
    engine.publication_claim_due()
    Publication.objects.filter(post=post).update(
        state=P.SENDING, lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert engine.publication_reap_expired() == {"returned": 0, "unknown": 1}
    assert engine.publication_claim_due() == []
    assert Publication.objects.get(post=post).state == P.UNKNOWN


# --- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2027, 3, 27),  # the day before clocks go forward in Paris
        dt.date(2027, 3, 28),  # the day they do
        dt.date(2027, 3, 29),
        dt.date(2026, 10, 24),
        dt.date(2026, 10, 25),  # clocks go back
        dt.date(2026, 10, 26),
    ],
)
def test_a_post_planned_for_nine_local_goes_out_at_nine_local_around_dst(cast, receiver, day):
    nine = dt.datetime.combine(day, dt.time(9, 0), tzinfo=PARIS)
    channel = webhook_channel(cast, receiver)
    with time_machine.travel(nine - dt.timedelta(days=2), tick=False):
        post = approved_post(cast, [channel], when=nine)
    receiver.expect_request("/hook").respond_with_handler(receiver.accept)
    with time_machine.travel(nine - dt.timedelta(seconds=1), tick=False):
        assert engine.publication_claim_due(as_of=timezone.now()) == []
    with time_machine.travel(nine + dt.timedelta(seconds=1), tick=False):
        (claim,) = engine.publication_claim_due(as_of=timezone.now())
        engine.publication_send(publication_id=claim.publication_id, token=claim.token)
        sent_at = timezone.now()
    assert sent_at.astimezone(PARIS).hour == 9
    assert state_of(post) == State.PUBLISHED


def test_an_instagram_container_id_is_kept_so_a_retry_never_publishes_twice(
    cast, httpserver, settings
):
    """Phase one (the container) succeeds, phase two (publish) gets no answer: the
    container id is stored on the delivery, and reconciliation asks about that container."""
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.INSTAGRAM,
        base_url=httpserver.url_for("/v25.0"),
        credentials={"ig_user_id": "1789", "access_token": "t"},
    )
    post = approved_post(cast, [ChannelFactory(workspace=cast.workspace)])
    # Instagram needs an image; the post's media row stands for an uploaded file.
    from planner.models import Media, Variant

    Media.objects.create(post=post, file="media/1/a/photo.jpg", mime_type="image/jpeg", size=1000)
    Variant.objects.create(post=post, channel=channel, text="A photo")
    Publication.objects.create(post=post, channel=channel, due_at=post.scheduled_at)
    make_due(post)
    httpserver.expect_request("/v25.0/1789/media", method="POST").respond_with_json(
        {"id": "container-42"}
    )
    httpserver.expect_request("/v25.0/container-42").respond_with_json(
        {"status_code": "FINISHED", "status": "Finished"}
    )
    httpserver.expect_request("/v25.0/1789/media_publish").respond_with_data("", status=500)
    results = run_engine()
    publication = Publication.objects.get(post=post, channel=channel)
    # Instagram downloads the image from its signed address, served by Maillon.
    create = next(r for r, _ in httpserver.log if r.path == "/v25.0/1789/media")
    assert create.form["image_url"].startswith(f"{settings.SITE_URL}/public/media/")
    assert create.form["image_url"].endswith("/photo.jpg")
    assert publication.platform_key == "container-42"
    assert publication.state == P.UNKNOWN
    assert P.UNKNOWN in results


def test_a_burst_is_fed_to_the_workers_a_batch_at_a_time(cast, receiver, settings):
    settings.PUBLISH_BATCH = 2
    channel = webhook_channel(cast, receiver)
    posts = [approved_post(cast, [channel]) for _ in range(3)]
    for post in posts:
        make_due(post)
    first = engine.publication_claim_due()
    assert len(first) == 2
    assert engine.publication_claim_due() == []  # two already wait for a worker
    receiver.expect_request("/hook").respond_with_handler(receiver.accept)
    engine.publication_send(publication_id=first[0].publication_id, token=first[0].token)
    assert len(engine.publication_claim_due()) == 1


def test_retracting_where_the_network_cannot_delete_says_so_on_the_delivery(cast, receiver):
    post = approved_post(cast, [webhook_channel(cast, receiver, kind=ChannelKind.SLACK)])
    make_due(post)
    receiver.expect_request("/hook").respond_with_data("ok")
    assert run_engine() == [P.PUBLISHED]
    actions.post_retract(actor=cast.admin, post=post, reason="Wrong date")
    publication = Publication.objects.get(post=post)
    assert control.publication_retract(publication_id=publication.pk) == P.PUBLISHED
    publication.refresh_from_db()
    assert "does not let Maillon delete posts: remove it by hand" in publication.last_error
    assert state_of(post) == State.RETRACTED
