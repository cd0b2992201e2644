"""The Bluesky adapter, against the reference PDS (a real server on 127.0.0.1).

pytest-httpserver stands in where the PDS cannot: like and repost counts
(``getPosts`` needs an AppView, which the local PDS lacks), rate limits, 5xx
answers, and a refresh that returns no new refresh token.
"""

from __future__ import annotations

import socket
import struct
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from planner.channels.base import (
    AdapterError,
    MediaFile,
    NotThere,
    Outgoing,
    Permanent,
    Published,
    Session,
    Transient,
    new_http_client,
)
from planner.channels.bluesky import POST, BlueskyAdapter, facets, is_tid, new_tid, tid_time
from tests.peers.bluesky_pds import LocalPds

adapter = BlueskyAdapter()
FAMILY = "👨‍👩‍👧"  # one grapheme, 18 bytes
LOGIN = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
PUT = "/xrpc/com.atproto.repo.putRecord"


# --- servers, sessions and helpers ----------------------------------------------------


@pytest.fixture
def paths() -> list[str]:
    """The path of every request the adapter makes in a test, in order."""
    return []


@pytest.fixture
def http(paths: list[str]) -> Iterator[httpx.Client]:
    with new_http_client() as client:
        client.event_hooks = {"request": [lambda request: paths.append(request.url.path)]}
        yield client


@pytest.fixture
def saved() -> list[dict[str, Any]]:
    """What the adapter asked the engine to persist, one entry per save."""
    return []


@pytest.fixture
def pds(bluesky_pds: LocalPds) -> LocalPds:
    return bluesky_pds


def session_for(
    pds: LocalPds, http: httpx.Client, saved: list | None = None, **credentials: Any
) -> Session:
    stored = {"identifier": pds.handle, "app_password": pds.app_password, **credentials}
    return Session(
        kind="bluesky",
        base_url=pds.url,
        handle=f"@{pds.handle}",
        credentials=stored,
        http=http,
        save_credentials=keeper(saved),
    )


def keeper(saved: list | None):
    """A ``save_credentials`` that records each save in ``saved``."""
    if saved is None:
        return lambda _new: None
    return lambda new: saved.append(dict(new))


def message(text: str = "Hello from Maillon", **kwargs: Any) -> Outgoing:
    kwargs.setdefault("platform_key", adapter.platform_key())
    return Outgoing(text=text, **kwargs)


def log_in(pds: LocalPds) -> dict[str, Any]:
    body = {"identifier": pds.handle, "password": pds.app_password}
    return httpx.post(pds.xrpc("com.atproto.server.createSession"), json=body).json()


def get_record(pds: LocalPds, rkey: str) -> httpx.Response:
    params = {"repo": pds.did, "collection": POST, "rkey": rkey}
    return httpx.get(pds.xrpc("com.atproto.repo.getRecord"), params=params)


def records_at(pds: LocalPds, rkey: str) -> list[dict[str, Any]]:
    """Every post of the account with this record key (listRecords, all pages)."""
    found, cursor = [], None
    while True:
        params = {"repo": pds.did, "collection": POST, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = httpx.get(pds.xrpc("com.atproto.repo.listRecords"), params=params).json()
        found += [r for r in body["records"] if r["uri"].endswith(f"/{rkey}")]
        cursor = body.get("cursor")
        if not cursor or not body["records"]:
            return found


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def png(path: Path) -> MediaFile:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\xff\x00")
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
    path.write_bytes(data + chunk(b"IEND", b""))
    return MediaFile(str(path), "image/png", path.stat().st_size, alt_text="A green pixel")


# --- counting and validation ----------------------------------------------------------


def test_counts_show_graphemes_of_300_and_utf8_bytes_of_3000():
    characters, size = adapter.counts(f"Hi {FAMILY}")
    assert (characters.value, characters.limit) == (4, 300)
    assert (size.value, size.limit) == (3 + 18, 3000)


def test_validate_refuses_301_graphemes():
    assert adapter.validate("a" * 300) == []
    assert adapter.validate("a" * 301) == ["Characters: 301 of 300 (1 too many)."]


def test_validate_refuses_200_family_emoji_for_their_bytes():
    errors = adapter.validate(FAMILY * 200)
    assert errors == ["Bytes (UTF-8): 3600 of 3000 (600 too many)."]


def test_validate_asks_for_alternative_text_on_every_image(tmp_path):
    image = png(tmp_path / "pixel.png")
    bare = MediaFile(image.path, image.mime_type, image.size, alt_text=" ")
    assert adapter.validate("Look", (image,)) == []
    assert adapter.validate("Look", (bare,)) == [
        "pixel.png: this network needs alternative text for every image."
    ]


def test_validate_allows_four_images_of_at_most_1_mb():
    big = MediaFile("big.jpg", "image/jpeg", 1_000_001, alt_text="Big")
    five = tuple(MediaFile(f"{n}.jpg", "image/jpeg", 10, alt_text="x") for n in range(5))
    assert adapter.validate("Look", (big,)) == ["big.jpg: images are limited to 1 MB here."]
    assert adapter.validate("Look", five) == ["At most 4 media files (5 attached)."]


def test_validate_takes_one_mp4_video_of_3_minutes_at_most():
    clip = MediaFile("clip.mp4", "video/mp4", 10, alt_text="A clip", duration=180.0)
    assert adapter.validate("Look", (clip,)) == []
    webm = MediaFile("clip.webm", "video/webm", 10, alt_text="A clip")
    assert adapter.validate("Look", (webm,)) == ["video/webm files are not accepted here."]


def test_a_hashtag_becomes_a_tag_facet_but_a_url_fragment_does_not():
    text = "Read https://example.com/#intro then #launch2026 or #42"
    found = facets(text)
    assert [f["features"][0]["$type"] for f in found] == [
        "app.bsky.richtext.facet#link",
        "app.bsky.richtext.facet#tag",
    ]
    assert found[1]["features"][0]["tag"] == "launch2026"  # "#42" is not a tag


# --- record keys ----------------------------------------------------------------------


def test_a_record_key_is_a_13_character_tid():
    tid = adapter.platform_key()
    assert len(tid) == 13
    assert set(tid) <= set("234567abcdefghijklmnopqrstuvwxyz")
    assert is_tid(tid)
    assert not is_tid("not-a-tid") and not is_tid("")


def test_record_keys_are_unique_and_sort_in_the_order_they_were_made():
    keys = [new_tid() for _ in range(2000)]
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)


def test_a_record_key_carries_the_time_it_was_made():
    before = datetime.now(UTC)
    tid = new_tid()
    assert before - timedelta(seconds=1) <= tid_time(tid) <= datetime.now(UTC)


def test_publish_refuses_a_message_without_a_record_key(http, paths):
    session = Session("bluesky", "http://127.0.0.1:9", "@a.test", {"accessJwt": "a"}, http)
    outcome = adapter.publish(session, message(platform_key=""))
    assert isinstance(outcome, Permanent)
    assert "record key" in outcome.reason
    assert paths == []  # refused before anything was sent


# --- publishing -----------------------------------------------------------------------


def test_a_link_after_emoji_is_published_with_a_facet_at_its_utf8_byte_offsets(pds, http):
    url = "https://example.com/launch?lang=fr"
    text = f"🦋 Maillon {FAMILY} est là : {url} #launch"
    outcome = adapter.publish(session_for(pds, http), message(text))

    assert isinstance(outcome, Published)
    rkey = outcome.external_id.rsplit("/", 1)[1]
    assert outcome.external_id == f"at://{pds.did}/{POST}/{rkey}"
    assert outcome.url == f"https://bsky.app/profile/{pds.handle}/post/{rkey}"
    record = get_record(pds, rkey).json()["value"]
    link, tag = record["facets"]
    start = len(text[: text.index(url)].encode())
    assert link["index"] == {"byteStart": start, "byteEnd": start + len(url)}
    assert link["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": url}]
    assert text.encode()[start : start + len(url)].decode() == url
    assert tag["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "launch"}]


def test_publishing_twice_with_the_same_key_leaves_one_identical_post(pds, http):
    outgoing = message("Only once, however often it is sent")
    session = session_for(pds, http)

    first = adapter.publish(session, outgoing)
    cid = get_record(pds, outgoing.platform_key).json()["cid"]
    second = adapter.publish(session, outgoing)

    assert isinstance(first, Published) and first == second
    assert len(records_at(pds, outgoing.platform_key)) == 1
    assert get_record(pds, outgoing.platform_key).json()["cid"] == cid  # not even an edit


def test_the_post_is_dated_by_its_record_key(pds, http):
    outgoing = message()
    adapter.publish(session_for(pds, http), outgoing)
    created = get_record(pds, outgoing.platform_key).json()["value"]["createdAt"]
    made = tid_time(outgoing.platform_key)
    assert abs(datetime.fromisoformat(created) - made) < timedelta(milliseconds=1)


def test_the_pds_refuses_301_graphemes_for_good_with_its_own_words(pds, http):
    outcome = adapter.publish(session_for(pds, http), message("a" * 301))
    assert isinstance(outcome, Permanent) and not outcome.reauth
    assert "grapheme too big (maximum 300, got 301)" in outcome.reason
    assert outcome.reason.startswith("Bluesky refused the post:")


def test_the_pds_refuses_3600_bytes_for_good(pds, http):
    outcome = adapter.publish(session_for(pds, http), message(FAMILY * 200))
    assert isinstance(outcome, Permanent)
    assert "string too big (maximum 3000, got 3600)" in outcome.reason


def test_an_image_is_uploaded_and_embedded_with_its_alt_text(pds, http, tmp_path):
    image = png(tmp_path / "pixel.png")
    outgoing = message("A pixel", media=(image,))
    outcome = adapter.publish(session_for(pds, http), outgoing)

    assert isinstance(outcome, Published)
    embed = get_record(pds, outgoing.platform_key).json()["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (picture,) = embed["images"]
    assert picture["alt"] == "A green pixel"
    assert picture["image"]["mimeType"] == "image/png"
    assert picture["image"]["size"] == image.size


def test_an_unreadable_image_is_refused_for_good(pds, http, tmp_path):
    missing = MediaFile(str(tmp_path / "gone.png"), "image/png", 10, alt_text="Gone")
    outcome = adapter.publish(session_for(pds, http), message(media=(missing,)))
    assert outcome == Permanent("The media file gone.png could not be read.")


# --- sessions -------------------------------------------------------------------------


def test_the_first_post_logs_in_and_saves_the_session(pds, http, saved):
    session = session_for(pds, http, saved)
    assert isinstance(adapter.publish(session, message()), Published)

    (stored,) = saved
    assert set(stored) == {"accessJwt", "refreshJwt", "did", "handle"}
    assert (stored["did"], stored["handle"]) == (pds.did, pds.handle)
    assert session.credentials["accessJwt"] == stored["accessJwt"]


def test_a_stored_session_is_reused_without_logging_in_again(pds, http, paths, saved):
    first = session_for(pds, http, saved)
    adapter.publish(first, message())
    assert paths.count(LOGIN) == 1
    paths.clear()

    # A later unit of work: a new session built from what the engine persisted.
    later = session_for(pds, http, saved, **saved[0])
    assert isinstance(adapter.publish(later, message()), Published)
    assert LOGIN not in paths and REFRESH not in paths
    assert paths == [PUT]


def test_a_refused_access_token_is_refreshed_and_the_new_tokens_saved(pds, http, paths, saved):
    tokens = log_in(pds)
    session = session_for(
        pds, http, saved, accessJwt="garbage", refreshJwt=tokens["refreshJwt"], did=pds.did
    )
    outcome = adapter.publish(session, message())

    assert isinstance(outcome, Published)
    assert paths == [PUT, REFRESH, PUT]
    (stored,) = saved
    assert stored["accessJwt"] != "garbage"
    assert stored["refreshJwt"] != tokens["refreshJwt"]  # the PDS rotates it on refresh
    assert session.credentials["refreshJwt"] == stored["refreshJwt"]


def test_when_the_refresh_token_is_refused_too_it_logs_in_again(pds, http, paths, saved):
    session = session_for(pds, http, saved, accessJwt="bad", refreshJwt="bad", did=pds.did)
    assert isinstance(adapter.publish(session, message()), Published)
    assert paths == [PUT, REFRESH, LOGIN, PUT]
    assert saved[0]["refreshJwt"] != "bad"


def test_a_wrong_app_password_needs_a_reconnect(pds, http):
    session = session_for(pds, http, app_password="aaaa-bbbb-cccc-dddd")
    outcome = adapter.publish(session, message())
    assert isinstance(outcome, Permanent) and outcome.reauth
    assert "Invalid identifier or password" in outcome.reason


def test_a_refused_session_and_a_wrong_app_password_need_a_reconnect(pds, http, paths):
    session = session_for(
        pds,
        http,
        app_password="aaaa-bbbb-cccc-dddd",
        accessJwt="expired",
        refreshJwt="expired",
        did=pds.did,
    )
    outcome = adapter.publish(session, message())
    assert isinstance(outcome, Permanent) and outcome.reauth
    assert paths == [PUT, REFRESH, LOGIN]  # one refresh, one login, no loop


def test_missing_credentials_need_a_reconnect(pds, http):
    session = session_for(pds, http, identifier="", app_password="")
    outcome = adapter.publish(session, message())
    assert isinstance(outcome, Permanent) and outcome.reauth


# --- reconcile and delete -------------------------------------------------------------


def test_reconcile_finds_a_published_post_by_its_record_key(pds, http):
    outgoing = message()
    published = adapter.publish(session_for(pds, http), outgoing)
    found = adapter.reconcile(session_for(pds, http), outgoing)
    assert found == published


def test_reconcile_says_not_there_for_a_key_never_used(pds, http):
    found = adapter.reconcile(session_for(pds, http), message())
    assert isinstance(found, NotThere)


def test_delete_removes_the_post_and_reconcile_then_says_not_there(pds, http):
    outgoing = message()
    published = adapter.publish(session_for(pds, http), outgoing)
    done = Outgoing(text="", platform_key=outgoing.platform_key, external_id=published.external_id)

    adapter.delete(session_for(pds, http), done)

    assert get_record(pds, outgoing.platform_key).json()["error"] == "RecordNotFound"
    assert isinstance(adapter.reconcile(session_for(pds, http), done), NotThere)


def test_deleting_a_post_already_gone_succeeds(pds, http):
    adapter.delete(session_for(pds, http), message())


def test_check_connection_names_the_account(pds, http):
    assert adapter.check_connection(session_for(pds, http)) == f"@{pds.handle}"


def test_check_connection_names_a_misspelt_handle_rather_than_a_refused_password(pds, http):
    session = session_for(pds, http, identifier="nobody-here.test")
    with pytest.raises(AdapterError) as caught:
        adapter.check_connection(session)
    assert isinstance(caught.value.outcome, Permanent)
    assert "No Bluesky account has the handle @nobody-here.test" in str(caught.value)
    assert "accessJwt" not in session.credentials  # it never tried the password


def test_check_connection_accepts_the_account_email_without_resolving_it(pds, http):
    account = pds.create_account("checkmail")
    password = httpx.post(
        pds.xrpc("com.atproto.server.createAppPassword"),
        headers={"Authorization": f"Bearer {account['accessJwt']}"},
        json={"name": "Maillon"},
    ).json()["password"]
    session = session_for(pds, http, identifier="checkmail@example.test", app_password=password)
    assert adapter.check_connection(session) == "@checkmail.test"


@pytest.mark.parametrize(
    "resolved",
    [{"did": "did:plc:someone-else"}, None],
    ids=["handle of another account", "handle that resolves nowhere"],
)
def test_check_connection_refuses_a_handle_that_does_not_lead_back(httpserver, http, resolved):
    httpserver.expect_request("/xrpc/com.atproto.server.getSession").respond_with_json(
        {"did": "did:plc:alice", "handle": "alice.example"}
    )
    resolve = httpserver.expect_request(
        "/xrpc/com.atproto.identity.resolveHandle", query_string={"handle": "alice.example"}
    )
    if resolved:
        resolve.respond_with_json(resolved)
    else:
        resolve.respond_with_json(
            {"error": "InvalidRequest", "message": "Unable to resolve handle"}, status=400
        )
    with pytest.raises(AdapterError) as caught:
        adapter.check_connection(logged_in(httpserver, http))
    assert isinstance(caught.value.outcome, Permanent)
    assert "@alice.example" in str(caught.value)


def test_check_connection_refuses_an_account_bluesky_shows_as_handle_invalid(httpserver, http):
    session = logged_in(httpserver, http)
    session.credentials["identifier"] = "alice@example.com"
    httpserver.expect_request("/xrpc/com.atproto.server.getSession").respond_with_json(
        {"did": "did:plc:alice", "handle": "handle.invalid"}
    )
    with pytest.raises(AdapterError) as caught:
        adapter.check_connection(session)
    assert "does not lead back to it" in str(caught.value)


def test_metrics_are_transient_when_the_pds_has_no_appview(pds, http):
    outgoing = message()
    published = adapter.publish(session_for(pds, http), outgoing)
    done = Outgoing(text="", platform_key=outgoing.platform_key, external_id=published.external_id)
    with pytest.raises(AdapterError) as caught:
        adapter.metrics(session_for(pds, http), done)
    assert isinstance(caught.value.outcome, Transient)
    assert "UpstreamFailure" in caught.value.outcome.reason


# --- failures the PDS cannot be made to give: a server in Bluesky's shapes ----------------


def logged_in(server: HTTPServer, http: httpx.Client, saved: list | None = None) -> Session:
    return Session(
        kind="bluesky",
        base_url=server.url_for("/"),
        handle="@alice.example",
        credentials={
            "identifier": "alice.example",
            "app_password": "aaaa-bbbb-cccc-dddd",
            "accessJwt": "access-1",
            "refreshJwt": "refresh-1",
            "did": "did:plc:alice",
            "handle": "alice.example",
        },
        http=http,
        save_credentials=keeper(saved),
    )


def test_metrics_reads_likes_reposts_replies_and_quotes(httpserver, http):
    uri = "at://did:plc:alice/app.bsky.feed.post/3lbhqzkiucc2p"
    post = {"uri": uri, "likeCount": 7, "repostCount": 3, "replyCount": 2, "quoteCount": 1}
    httpserver.expect_request(
        "/xrpc/app.bsky.feed.getPosts",
        query_string={"uris": uri},
        headers={"Authorization": "Bearer access-1"},
    ).respond_with_json({"posts": [post]})

    counts = adapter.metrics(logged_in(httpserver, http), Outgoing(text="", external_id=uri))

    assert counts == {"likes": 7, "reposts": 3, "replies": 2, "quotes": 1}


def test_metrics_of_a_deleted_post_say_so(httpserver, http):
    httpserver.expect_request("/xrpc/app.bsky.feed.getPosts").respond_with_json({"posts": []})
    message = Outgoing(text="", platform_key="3lbhqzkiucc2p")
    with pytest.raises(AdapterError) as caught:
        adapter.metrics(logged_in(httpserver, http), message)
    assert isinstance(caught.value.outcome, Permanent)


def test_a_rate_limit_is_transient_until_the_reset(httpserver, http):
    reset = int(time.time()) + 120
    httpserver.expect_request(PUT).respond_with_json(
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        status=429,
        headers={
            "RateLimit-Limit": "5000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
        },
    )
    outcome = adapter.publish(logged_in(httpserver, http), message())
    assert isinstance(outcome, Transient)
    assert 100 <= outcome.retry_after <= 120


def test_a_server_error_is_transient_because_the_record_key_is_fixed(httpserver, http):
    httpserver.expect_request(PUT).respond_with_json(
        {"error": "InternalServerError", "message": "Internal Server Error"}, status=500
    )
    outcome = adapter.publish(logged_in(httpserver, http), message())
    assert isinstance(outcome, Transient)
    assert "Internal Server Error" in outcome.reason


def test_a_refresh_without_a_new_refresh_token_keeps_the_stored_one(httpserver, http, saved):
    expired = {"error": "ExpiredToken", "message": "Token has expired"}
    httpserver.expect_ordered_request(PUT).respond_with_json(expired, status=400)
    httpserver.expect_ordered_request(
        REFRESH, method="POST", headers={"Authorization": "Bearer refresh-1"}
    ).respond_with_json({"accessJwt": "access-2", "did": "did:plc:alice"})
    uri = "at://did:plc:alice/app.bsky.feed.post/x"
    httpserver.expect_ordered_request(
        PUT, headers={"Authorization": "Bearer access-2"}
    ).respond_with_json({"uri": uri, "cid": "bafy"})
    session = logged_in(httpserver, http, saved)

    outcome = adapter.publish(session, message())

    assert isinstance(outcome, Published)
    assert saved == [{"accessJwt": "access-2", "did": "did:plc:alice"}]
    assert session.credentials["refreshJwt"] == "refresh-1"


def test_a_token_refused_again_after_renewal_needs_a_reconnect(httpserver, http, paths):
    refused = {"error": "AuthenticationRequired", "message": "Token has been revoked"}
    httpserver.expect_ordered_request(PUT).respond_with_json(refused, status=401)
    httpserver.expect_ordered_request(REFRESH).respond_with_json(
        {"accessJwt": "access-2", "refreshJwt": "refresh-2", "did": "did:plc:alice"}
    )
    httpserver.expect_ordered_request(PUT).respond_with_json(refused, status=401)

    outcome = adapter.publish(logged_in(httpserver, http), message())

    assert isinstance(outcome, Permanent) and outcome.reauth
    assert "Token has been revoked" in outcome.reason
    assert paths == [PUT, REFRESH, PUT]


def test_a_closed_port_is_transient(http):
    session = Session(
        kind="bluesky",
        base_url=f"http://127.0.0.1:{closed_port()}",
        handle="@alice.example",
        credentials={"identifier": "alice.example", "app_password": "aaaa-bbbb-cccc-dddd"},
        http=http,
    )
    outcome = adapter.publish(session, message())
    assert isinstance(outcome, Transient)
    assert "No answer from Bluesky" in outcome.reason
