"""Each account's posting pace: budgets counted in the real Redis, the networks' own
rate-limit answers read from real HTTP responses, and the senders' loop that waits for a
due second. The receiver is a local HTTP server standing in for a generic webhook."""

import datetime as dt
import time

import httpx
import pytest
from django.utils import timezone
from werkzeug import Response

from planner.channels import base
from planner.models import Publication
from planner.models import PublicationState as P
from planner.publishing import engine, pacing
from planner.workflow import State
from tests.planner.publishing.test_engine import (
    approved_post,
    make_due,
    receiver,  # noqa: F401 - a fixture
    state_of,
    webhook_channel,
)

pytestmark = pytest.mark.django_db(transaction=True)


def answer(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("POST", "https://n.test/"))


# --- what a network's answer says ------------------------------------------------------


def test_a_429_waits_for_its_retry_after_or_a_minute():
    assert base.rate_limit_wait(answer(429, **{"Retry-After": "30"})) == 30
    assert base.rate_limit_wait(answer(429)) == base.RATE_LIMITED_DEFAULT_SECONDS


def test_a_rate_limit_header_at_zero_waits_until_its_reset():
    now = 1_800_000_000.0
    x = answer(200, **{"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(now) + 90)})
    assert base.rate_limit_wait(x, now) == 90
    mastodon = answer(
        200, **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2027-01-15T08:00:30Z"}
    )
    reset = dt.datetime(2027, 1, 15, 8, 0, 30, tzinfo=dt.UTC).timestamp()
    assert base.rate_limit_wait(mastodon, reset - 30) == 30
    assert base.rate_limit_wait(answer(200, **{"RateLimit-Remaining": "4"})) is None
    assert base.rate_limit_wait(answer(201)) is None


def test_metas_business_use_case_usage_gives_the_minutes_to_wait():
    usage = '{"1234": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}]}'
    assert base.rate_limit_wait(answer(200, **{"X-Business-Use-Case-Usage": usage})) == 300
    calm = '{"1234": [{"type": "pages", "call_count": 10, "estimated_time_to_regain_access": 0}]}'
    assert base.rate_limit_wait(answer(200, **{"X-Business-Use-Case-Usage": calm})) is None
    assert base.rate_limit_wait(answer(200, **{"X-Business-Use-Case-Usage": "{oops"})) is None


# --- the budget, shared in Redis ---------------------------------------------------------


def test_a_budget_gives_n_slots_per_window_and_says_when_the_next_frees(cast, receiver):  # noqa: F811
    channel = webhook_channel(cast, receiver, post_limit=2, post_limit_window_minutes=1)
    assert pacing.budget_for(channel) == base.PostBudget(2, 60)
    assert pacing.reserve(channel, "a") == 0
    assert pacing.reserve(channel, "b") == 0
    wait = pacing.reserve(channel, "c")
    assert 55 < wait <= 60
    other = webhook_channel(cast, receiver, name="Other", post_limit=2, post_limit_window_minutes=1)
    assert pacing.reserve(other, "a") == 0  # one account's limit is its own


def test_a_network_without_a_published_limit_is_limited_only_by_what_it_says(cast, receiver):  # noqa: F811
    channel = webhook_channel(cast, receiver)
    assert pacing.budget_for(channel) is None
    assert all(pacing.reserve(channel, str(n)) == 0 for n in range(50))
    pacing.channel_wait(channel, 120, "429 from n.test")
    assert 115 < pacing.reserve(channel, "next") <= 120
    channel.refresh_from_db()
    assert channel.limited_until > timezone.now() + dt.timedelta(seconds=115)
    assert channel.limited_reason == "429 from n.test"


# --- the engine with a limit -------------------------------------------------------------


def drain_all():
    """The senders' loop, in this process."""
    return engine.publication_drain()


def test_a_limited_account_waits_in_due_order_while_another_flows(cast, receiver):  # noqa: F811
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    limited = webhook_channel(cast, receiver, post_limit=2, post_limit_window_minutes=10)
    free = webhook_channel(cast, receiver, name="Free")
    posts = [approved_post(cast, [limited]) for _ in range(4)]
    others = [approved_post(cast, [free]) for _ in range(3)]
    for post in posts + others:
        make_due(post)

    drain_all()

    sent = Publication.objects.filter(channel=limited, state=P.PUBLISHED)
    assert sent.count() == 2  # never beyond the budget
    assert Publication.objects.filter(channel=free, state=P.PUBLISHED).count() == 3
    waiting = Publication.objects.filter(channel=limited, state=P.SCHEDULED)
    assert waiting.count() == 2
    limited.refresh_from_db()
    assert limited.limited_until > timezone.now() + dt.timedelta(minutes=9)
    # Waiting, not failed: the posts are still approved, nothing claimed, nothing held.
    assert {state_of(p) for p in posts if p.publications.get().state == P.SCHEDULED} == {
        State.APPROVED
    }
    assert engine.publication_claim_next() is None
    assert len(receiver.deliveries) == 5


def test_a_wait_past_the_late_cut_off_goes_to_a_person(cast, receiver):  # noqa: F811
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    channel = webhook_channel(cast, receiver, post_limit=1, post_limit_window_minutes=60)
    first, second = approved_post(cast, [channel]), approved_post(cast, [channel])
    make_due(first)
    make_due(second)

    drain_all()

    held = Publication.objects.get(post=second)
    assert held.state == P.HELD
    assert "posting limit" in held.last_error and "cut-off" in held.last_error
    assert state_of(second) == State.NEEDS_ATTENTION
    assert Publication.objects.get(post=first).state == P.PUBLISHED


def test_a_429_makes_the_whole_account_wait_not_only_that_post(cast, receiver):  # noqa: F811
    refused = []

    def too_many(request):
        refused.append(request.headers["X-Maillon-Delivery"])
        return Response("slow down", status=429, headers={"Retry-After": "120"})

    receiver.expect_request("/busy", method="POST").respond_with_handler(too_many)
    receiver.expect_request("/hook", method="POST").respond_with_handler(receiver.accept)
    busy = webhook_channel(cast, receiver, path="/busy", name="Busy")
    free = webhook_channel(cast, receiver, name="Free")
    posts = [approved_post(cast, [busy]) for _ in range(3)]
    other = approved_post(cast, [free])
    for post in [*posts, other]:
        make_due(post)

    drain_all()

    assert len(refused) == 1  # the account was asked once, then left alone
    busy.refresh_from_db()
    assert busy.limited_until > timezone.now() + dt.timedelta(seconds=100)
    assert Publication.objects.get(post=other).state == P.PUBLISHED
    states = sorted(Publication.objects.filter(channel=busy).values_list("state", flat=True))
    assert states == sorted([P.RETRY_WAIT, P.SCHEDULED, P.SCHEDULED])


def test_the_tick_holds_due_posts_a_limit_would_make_too_late(cast, receiver):  # noqa: F811
    channel = webhook_channel(cast, receiver)
    post = approved_post(cast, [channel])
    make_due(post)
    pacing.channel_wait(channel, 3600)  # e.g. Instagram's 24 h window is used up

    assert engine.publication_hold_past_limits() == 1

    publication = Publication.objects.get(post=post)
    assert publication.state == P.HELD
    assert "posting limit" in publication.last_error
    assert engine.publication_hold_past_limits() == 0  # told once


# --- at its second ----------------------------------------------------------------------


def test_a_sender_woken_early_sends_at_the_due_second_not_before(cast, receiver):  # noqa: F811
    arrivals = []

    def accept(request):
        arrivals.append(time.time())
        return Response("ok")

    receiver.expect_request("/hook", method="POST").respond_with_handler(accept)
    channel = webhook_channel(cast, receiver)
    post = approved_post(cast, [channel])
    due = timezone.now() + dt.timedelta(seconds=0.8)
    Publication.objects.filter(post=post).update(due_at=due)

    soon = engine.publication_due_soon(horizon=1.5, cap=10)
    assert (soon.now, soon.soon) == (0, 1)
    assert 0 < soon.next_in <= 0.8
    assert engine.publication_drain(patience=1.5) == 1

    assert len(arrivals) == 1
    assert due.timestamp() <= arrivals[0] < due.timestamp() + 0.5
    assert Publication.objects.get(post=post).state == P.PUBLISHED


def test_a_sender_without_patience_leaves_what_is_not_yet_due(cast, receiver):  # noqa: F811
    channel = webhook_channel(cast, receiver)
    post = approved_post(cast, [channel])
    Publication.objects.filter(post=post).update(due_at=timezone.now() + dt.timedelta(seconds=5))
    assert engine.publication_drain() == 0
    assert Publication.objects.get(post=post).state == P.SCHEDULED
