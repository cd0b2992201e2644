"""Exactly one beat sends the schedule; a second one stands by and takes over."""

from __future__ import annotations

import time

import pytest

from calendar_project import beat_leader, health
from tests import processes


@pytest.fixture
def redis_client():
    client = health.client()
    client.delete(beat_leader.LEADER_KEY)
    yield client
    client.delete(beat_leader.LEADER_KEY)


def test_the_first_beat_takes_the_lease_and_the_second_is_refused(redis_client):
    assert beat_leader.hold(redis_client, "host-a:1", 10)
    assert not beat_leader.hold(redis_client, "host-b:2", 10)
    assert beat_leader.holder(redis_client) == "host-a:1"


def test_the_holder_renews_its_lease(redis_client):
    assert beat_leader.hold(redis_client, "host-a:1", 10)
    assert beat_leader.hold(redis_client, "host-a:1", 10)
    assert redis_client.pttl(beat_leader.LEADER_KEY) > 9000


def test_a_lease_not_renewed_passes_to_the_next_beat(redis_client):
    assert beat_leader.hold(redis_client, "host-a:1", 0.2)
    time.sleep(0.4)  # the holder died: it renewed nothing
    assert beat_leader.hold(redis_client, "host-b:2", 10)
    assert beat_leader.holder(redis_client) == "host-b:2"


def test_only_the_holder_can_give_the_lease_back(redis_client):
    assert beat_leader.hold(redis_client, "host-a:1", 10)
    beat_leader.release(redis_client, "host-b:2")
    assert beat_leader.holder(redis_client) == "host-a:1"
    beat_leader.release(redis_client, "host-a:1")
    assert beat_leader.holder(redis_client) is None


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db
def test_two_real_beats_send_from_one_and_the_other_takes_over_when_it_stops(
    redis_client, tmp_path
):
    fast = {"BEAT_LEASE_SECONDS": "3"}
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = processes.start_beat(logs[0], tmp_path / "one", **fast)
    second = None
    try:
        assert wait_for(
            lambda: (beat_leader.holder(redis_client) or "").endswith(f":{first.pid}"), 30
        ), logs[0].read_text()
        second = processes.start_beat(logs[1], tmp_path / "two", **fast)
        assert wait_for(lambda: "stands by" in logs[1].read_text(), 30), logs[1].read_text()
        leader = beat_leader.holder(redis_client)
        assert leader.endswith(f":{first.pid}")
        assert "This beat holds the lease" in logs[0].read_text()
        assert "This beat holds the lease" not in logs[1].read_text()
        processes.stop(first)
        assert wait_for(lambda: "This beat holds the lease" in logs[1].read_text(), 10)
        assert beat_leader.holder(redis_client).endswith(f":{second.pid}")
    finally:  # never a beat left running for the next tests, whatever failed
        processes.stop(first)
        if second is not None:
            processes.stop(second)
