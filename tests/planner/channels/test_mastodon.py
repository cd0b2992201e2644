"""The Mastodon adapter, against mastodon-mock (a real server on 127.0.0.1).

pytest-httpserver stands in where the mock cannot: Mastodon's ISO 8601
rate-limit reset and media that is still being processed. Length boundaries
are pure tests: the mock counts with len(), not as Mastodon does.
"""

from __future__ import annotations

import socket
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from planner.channels import mastodon
from planner.channels.base import (
    AdapterError,
    MediaFile,
    NotThere,
    Outgoing,
    Permanent,
    Published,
    Session,
    Transient,
)
from planner.channels.mastodon import MastodonAdapter

adapter = MastodonAdapter()
ALICE_TOKEN = "alice_token"  # seeded by mastodon-mock
ALICE = {"Authorization": f"Bearer {ALICE_TOKEN}"}
BOB = {"Authorization": "Bearer bob_token"}


# --- servers and sessions -------------------------------------------------------------


@pytest.fixture
def server(mastodon_mock_session: Any) -> Any:
    """The shared mastodon-mock, emptied and its faults cleared before each test.

    ``mastodon_mock_reset`` would do the same through httpx2, which only
    mastodon-mock's [test] extra installs; the endpoint is the documented one.
    """
    httpx.post(f"{mastodon_mock_session.base_url}/api/v1/_mock/reset").raise_for_status()
    return mastodon_mock_session


def session_for(base_url: str, http: httpx.Client, token: str = ALICE_TOKEN) -> Session:
    return Session(
        kind="mastodon",
        base_url=base_url,
        handle="@alice",
        credentials={"access_token": token},
        http=http,
    )


def fault(server: Any, effect: dict[str, Any], path: str = "/api/v1/statuses") -> None:
    rule = {"match": {"methods": ["POST"], "path": path}, "effect": effect, "count": 1}
    httpx.post(f"{server.base_url}/api/v1/_mock/faults", json=rule).raise_for_status()


def statuses_of_alice(server: Any) -> list[dict[str, Any]]:
    me = httpx.get(f"{server.base_url}/api/v1/accounts/verify_credentials", headers=ALICE)
    url = f"{server.base_url}/api/v1/accounts/{me.json()['id']}/statuses"
    return httpx.get(url, headers=ALICE).json()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def message(text: str = "Hello from Maillon", key: str = "pub-1", **kwargs: Any) -> Outgoing:
    return Outgoing(text=text, idempotency_key=key, **kwargs)


# --- publishing -----------------------------------------------------------------------


def test_a_post_is_published_with_its_id_and_url(server, http):
    outcome = adapter.publish(session_for(server.base_url, http), message())

    assert isinstance(outcome, Published)
    [status] = statuses_of_alice(server)
    assert outcome.external_id == status["id"]
    assert outcome.url == status["url"]


def test_the_same_idempotency_key_twice_gives_the_same_status_and_posts_once(server, http):
    session = session_for(server.base_url, http)

    first = adapter.publish(session, message(key="pub-42"))
    second = adapter.publish(session, message(key="pub-42"))

    assert isinstance(first, Published)
    assert second == first
    assert len(statuses_of_alice(server)) == 1


def test_an_earlier_status_returned_for_a_reused_key_does_not_count_as_published(server, http):
    """Mastodon answers a replayed key with the status first posted under it, whatever
    the text sent now: a different text is a clear refusal, never "published"."""
    session = session_for(server.base_url, http)
    assert isinstance(adapter.publish(session, message("First version", key="pub-7")), Published)

    outcome = adapter.publish(session, message("Second version", key="pub-7"))

    assert isinstance(outcome, Permanent)
    assert "earlier post" in outcome.reason
    [status] = statuses_of_alice(server)
    assert "First version" in status["content"]


def test_text_the_server_finds_too_long_is_refused_for_good_with_its_message(server, http):
    outcome = adapter.publish(session_for(server.base_url, http), message("x" * 501))

    assert isinstance(outcome, Permanent)
    assert not outcome.reauth
    assert "Text is too long" in outcome.reason
    assert statuses_of_alice(server) == []


def test_a_revoked_token_asks_for_the_channel_to_be_reconnected(server, http):
    outcome = adapter.publish(session_for(server.base_url, http, token="revoked"), message())

    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert "Reconnect" in outcome.reason


def test_a_channel_without_a_token_asks_to_be_reconnected_without_calling(http):
    session = session_for(f"http://127.0.0.1:{closed_port()}", http, token="")

    outcome = adapter.publish(session, message())

    assert isinstance(outcome, Permanent)
    assert outcome.reauth


def test_a_503_once_is_transient_and_the_next_attempt_posts_once(server, http):
    session = session_for(server.base_url, http)
    fault(server, {"type": "status", "status": 503})

    first = adapter.publish(session, message())
    second = adapter.publish(session, message())

    assert isinstance(first, Transient)
    assert isinstance(second, Published)
    assert len(statuses_of_alice(server)) == 1


def test_a_rate_limit_is_transient_with_the_wait_from_the_headers(server, http):
    fault(server, {"type": "ratelimit"})

    outcome = adapter.publish(session_for(server.base_url, http), message())

    assert isinstance(outcome, Transient)
    assert outcome.retry_after == 300
    assert "rate limit" in outcome.reason


def test_mastodons_iso_rate_limit_reset_gives_the_wait(httpserver, http):
    reset = (datetime.now(UTC) + timedelta(seconds=120)).isoformat().replace("+00:00", "Z")
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"error": "Too many requests"}, status=429, headers={"X-RateLimit-Reset": reset}
    )

    outcome = adapter.publish(session_for(httpserver.url_for("/"), http), message())

    assert isinstance(outcome, Transient)
    assert outcome.retry_after is not None
    assert 100 < outcome.retry_after <= 120


def test_a_closed_port_is_transient(http):
    session = session_for(f"http://127.0.0.1:{closed_port()}", http)

    outcome = adapter.publish(session, message())

    assert isinstance(outcome, Transient)
    assert "Mastodon" in outcome.reason


def test_no_answer_in_time_is_transient_because_the_key_makes_resending_safe(server):
    fault(server, {"type": "timeout", "delay_ms": 1500})
    with httpx.Client(timeout=httpx.Timeout(0.3, connect=2.0)) as impatient:
        outcome = adapter.publish(session_for(server.base_url, impatient), message())

    assert isinstance(outcome, Transient)


def test_an_unreadable_answer_is_transient_and_the_next_attempt_posts_once(server, http):
    session = session_for(server.base_url, http)
    fault(server, {"type": "malformed"})

    first = adapter.publish(session, message())
    second = adapter.publish(session, message())

    assert isinstance(first, Transient)
    assert isinstance(second, Published)
    assert len(statuses_of_alice(server)) == 1


# --- media ----------------------------------------------------------------------------


def test_an_image_is_uploaded_with_its_alt_text(server, http, tmp_path):
    path = tmp_path / "pixel.png"
    path.write_bytes(png_1x1())
    image = MediaFile(str(path), "image/png", path.stat().st_size, alt_text="A green pixel")

    outcome = adapter.publish(session_for(server.base_url, http), message(media=(image,)))

    assert isinstance(outcome, Published)
    [status] = statuses_of_alice(server)
    [attachment] = status["media_attachments"]
    assert attachment["description"] == "A green pixel"
    assert attachment["type"] == "image"


def test_media_still_processing_is_polled_until_ready(httpserver, http, tmp_path, monkeypatch):
    monkeypatch.setattr(mastodon, "POLL_INTERVAL", 0)
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"not really a video")
    video = MediaFile(str(path), "video/mp4", 18)
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_json(
        {"id": "m1", "url": None}, status=202
    )
    httpserver.expect_oneshot_request("/api/v1/media/m1").respond_with_json(
        {"id": "m1", "url": None}, status=206
    )
    httpserver.expect_request("/api/v1/media/m1").respond_with_json(
        {"id": "m1", "url": "https://files.example/m1.mp4"}
    )
    httpserver.expect_request(
        "/api/v1/statuses", method="POST", data="status=Watch&media_ids%5B%5D=m1"
    ).respond_with_json({"id": "s1", "url": "https://example.social/@alice/s1"})

    outcome = adapter.publish(
        session_for(httpserver.url_for("/"), http), message("Watch", media=(video,))
    )

    assert outcome == Published("s1", "https://example.social/@alice/s1")


def test_media_never_ready_is_transient_and_posts_nothing(httpserver, http, tmp_path, monkeypatch):
    monkeypatch.setattr(mastodon, "POLL_INTERVAL", 0)
    monkeypatch.setattr(mastodon, "POLL_ATTEMPTS", 2)
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"not really a video")
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_json(
        {"id": "m1", "url": None}, status=202
    )
    httpserver.expect_request("/api/v1/media/m1").respond_with_json(
        {"id": "m1", "url": None}, status=206
    )

    video = MediaFile(str(path), "video/mp4", 18)
    outcome = adapter.publish(session_for(httpserver.url_for("/"), http), message(media=(video,)))

    assert isinstance(outcome, Transient)
    assert "still processing clip.mp4" in outcome.reason
    assert all(request.path != "/api/v1/statuses" for request, _ in httpserver.log)


# --- delete, metrics, reconcile, connection --------------------------------------------


def test_delete_removes_the_status(server, http):
    session = session_for(server.base_url, http)
    published = adapter.publish(session, message())

    adapter.delete(session, message(external_id=published.external_id))

    assert statuses_of_alice(server) == []


def test_deleting_a_status_already_gone_succeeds(server, http):
    session = session_for(server.base_url, http)
    published = adapter.publish(session, message())
    adapter.delete(session, message(external_id=published.external_id))

    adapter.delete(session, message(external_id=published.external_id))


def test_deleting_with_a_revoked_token_raises_a_reconnect_error(server, http):
    published = adapter.publish(session_for(server.base_url, http), message())

    with pytest.raises(AdapterError) as error:
        adapter.delete(
            session_for(server.base_url, http, token="revoked"),
            message(external_id=published.external_id),
        )

    assert isinstance(error.value.outcome, Permanent)
    assert error.value.outcome.reauth


def test_metrics_count_a_favourite(server, http):
    session = session_for(server.base_url, http)
    published = adapter.publish(session, message())
    url = f"{server.base_url}/api/v1/statuses/{published.external_id}/favourite"
    httpx.post(url, headers=BOB).raise_for_status()

    counts = adapter.metrics(session, message(external_id=published.external_id))

    assert counts["likes"] == 1
    assert counts["reposts"] == 0
    assert counts["replies"] == 0


def test_reconcile_finds_a_published_post_by_its_visible_text(server, http):
    session = session_for(server.base_url, http)
    text = "Tea & <cake>\nat four\n\nhttps://example.com/menu with @dave@remote.example"
    published = adapter.publish(session, message(text, key="first-attempt"))
    adapter.publish(session, message("Something else", key="other"))

    found = adapter.reconcile(session, message(text, key="lost-key"))

    assert found == published


def test_reconcile_says_not_there_when_no_status_has_the_text(server, http):
    session = session_for(server.base_url, http)
    adapter.publish(session, message("Something else"))

    found = adapter.reconcile(session, message("Hello from Maillon", key="never-sent"))

    assert isinstance(found, NotThere)


def test_reconcile_does_not_take_the_same_text_with_other_media_for_the_post(
    server, http, tmp_path
):
    session = session_for(server.base_url, http)
    adapter.publish(session, message("Look"))
    image = MediaFile(str(tmp_path / "a.png"), "image/png", 10)

    found = adapter.reconcile(session, message("Look", media=(image,)))

    assert isinstance(found, NotThere)


def test_reconcile_cannot_tell_when_the_account_posted_more_than_it_reads(
    httpserver, http, monkeypatch
):
    monkeypatch.setattr(mastodon, "RECONCILE_PAGE_SIZE", 2)
    monkeypatch.setattr(mastodon, "RECONCILE_PAGES", 2)
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_json({"id": "7"})
    others = [{"id": str(n), "content": "<p>Other</p>", "media_attachments": []} for n in (9, 8)]
    httpserver.expect_request("/api/v1/accounts/7/statuses").respond_with_json(others)

    found = adapter.reconcile(session_for(httpserver.url_for("/"), http), message())

    assert found is None
    pages = [request.args for request, _ in httpserver.log if request.path.endswith("/statuses")]
    assert [page.get("max_id") for page in pages] == [None, "8"]


def test_check_connection_names_the_account(server, http):
    assert adapter.check_connection(session_for(server.base_url, http)) == "@alice"


def test_check_connection_with_a_revoked_token_asks_to_reconnect(server, http):
    with pytest.raises(AdapterError) as error:
        adapter.check_connection(session_for(server.base_url, http, token="revoked"))

    assert error.value.outcome.reauth


# --- validation (pure) ----------------------------------------------------------------


def test_500_graphemes_are_accepted_and_501_refused():
    family = "👨‍👩‍👧‍👦"  # one grapheme, seven code points
    assert adapter.validate(family * 500) == []
    [error] = adapter.validate(family * 501)
    assert error == "Characters: 501 of 500 (1 too many)."


def test_a_long_url_counts_23_characters():
    text = "x" * 470 + " https://example.com/" + "a" * 200
    assert adapter.counts(text)[0].value == 494
    assert adapter.validate(text) == []


def test_more_than_four_images_are_refused():
    images = tuple(MediaFile(f"media/{i}.png", "image/png", 100) for i in range(5))
    assert "At most 4 media files (5 attached)." in adapter.validate("Hi", images)


def test_a_file_type_mastodon_does_not_take_is_refused():
    document = MediaFile("media/report.pdf", "application/pdf", 100)
    assert adapter.validate("Hi", (document,)) == ["application/pdf files are not accepted here."]


def test_a_video_must_be_the_only_attachment():
    media = (MediaFile("media/a.mp4", "video/mp4", 100), MediaFile("media/b.png", "image/png", 100))
    assert adapter.validate("Hi", media) == [
        "A video must be the only file of the post here, with no other media."
    ]


def test_an_image_over_16_mb_is_refused():
    image = MediaFile("media/big.png", "image/png", 17 * 1024 * 1024)
    assert adapter.validate("Hi", (image,)) == ["big.png: images are limited to 16.8 MB here."]
