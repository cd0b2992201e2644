"""Slack, Discord, Teams and the generic webhook, against a real HTTP server on 127.0.0.1.

The server (pytest-httpserver) answers in each service's documented shape.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from planner.channels.base import (
    AdapterError,
    MediaFile,
    Outgoing,
    Permanent,
    Published,
    Session,
    Transient,
    Unknown,
)
from planner.channels.webhooks import (
    DiscordAdapter,
    GenericWebhookAdapter,
    SlackAdapter,
    TeamsAdapter,
)

SLACK_PATH = "/services/T000/B000/XXXX"
DISCORD_PATH = "/api/webhooks/123/tok"
TEAMS_PATH = "/workflows/abc/triggers/manual/paths/invoke"
SECRET = "whsec-test"


def session_for(kind: str, url: str, http: httpx.Client, **credentials: str) -> Session:
    return Session(
        kind=kind,
        base_url="",
        handle="",
        credentials={"webhook_url": url, **credentials},
        http=http,
    )


def message(text: str = "Launch day!", key: str = "pub-1", **kwargs: Any) -> Outgoing:
    return Outgoing(text=text, idempotency_key=key, **kwargs)


def last_request(server: HTTPServer) -> Request:
    return server.log[-1][0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Slack -----------------------------------------------------------------------------

slack = SlackAdapter()


def test_slack_posts_the_text_and_publishes_under_the_publications_key(httpserver, http):
    httpserver.expect_request(
        SLACK_PATH, method="POST", json={"text": "Launch day!"}
    ).respond_with_data("ok")

    outcome = slack.publish(session_for("slack", httpserver.url_for(SLACK_PATH), http), message())

    assert outcome == Published("pub-1")


def test_slack_shows_its_reserved_characters_as_written(httpserver, http):
    httpserver.expect_request(
        SLACK_PATH, json={"text": "a &lt; b &amp;&amp; &lt;!channel&gt;"}
    ).respond_with_data("ok")

    outcome = slack.publish(
        session_for("slack", httpserver.url_for(SLACK_PATH), http), message("a < b && <!channel>")
    )

    assert isinstance(outcome, Published)


def test_slack_invalid_payload_is_refused_for_good_in_words(httpserver, http):
    httpserver.expect_request(SLACK_PATH).respond_with_data("invalid_payload", status=400)

    outcome = slack.publish(session_for("slack", httpserver.url_for(SLACK_PATH), http), message())

    assert outcome == Permanent(
        "Slack refused the message: the message was not in a form Slack accepts (HTTP 400)."
    )


def test_slack_archived_channel_asks_for_the_channel_to_be_reconnected(httpserver, http):
    httpserver.expect_request(SLACK_PATH).respond_with_data("channel_is_archived", status=410)

    outcome = slack.publish(session_for("slack", httpserver.url_for(SLACK_PATH), http), message())

    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert "the channel is archived" in outcome.reason


def test_slack_rate_limit_is_transient_with_retry_after(httpserver, http):
    httpserver.expect_request(SLACK_PATH).respond_with_data(
        "rate_limited", status=429, headers={"Retry-After": "30"}
    )

    outcome = slack.publish(session_for("slack", httpserver.url_for(SLACK_PATH), http), message())

    assert isinstance(outcome, Transient)
    assert outcome.retry_after == 30


@pytest.mark.parametrize("status", [500, 503])
def test_slack_server_error_is_unknown_because_slack_is_not_idempotent(httpserver, http, status):
    httpserver.expect_request(SLACK_PATH).respond_with_data("internal_error", status=status)

    outcome = slack.publish(session_for("slack", httpserver.url_for(SLACK_PATH), http), message())

    assert isinstance(outcome, Unknown)
    assert "may or may not have been posted" in outcome.reason


def test_slack_read_timeout_is_unknown(httpserver):
    def slow(_request: Request) -> Response:
        time.sleep(0.6)
        return Response("ok")

    httpserver.expect_request(SLACK_PATH).respond_with_handler(slow)
    with httpx.Client(timeout=httpx.Timeout(0.2, connect=2.0)) as impatient:
        outcome = slack.publish(
            session_for("slack", httpserver.url_for(SLACK_PATH), impatient), message()
        )

    assert isinstance(outcome, Unknown)


def test_slack_closed_port_is_transient(http):
    url = f"http://127.0.0.1:{closed_port()}{SLACK_PATH}"

    outcome = slack.publish(session_for("slack", url, http), message())

    assert isinstance(outcome, Transient)
    assert url not in outcome.reason  # the webhook URL is a secret


def test_slack_refuses_media_in_validation():
    image = MediaFile("media/a.png", "image/png", 100)
    assert slack.validate("Hi", (image,)) == [
        "Slack webhooks cannot carry images or videos: remove them or link to them."
    ]


def test_slack_accepts_40000_characters_and_refuses_40001():
    assert slack.validate("x" * 40_000) == []
    assert slack.validate("x" * 40_001) == ["Characters: 40001 of 40000 (1 too many)."]


def test_slack_connection_check_accepts_an_https_url_without_posting(http):
    session = session_for("slack", "https://hooks.slack.com/services/T/B/X", http)
    assert slack.check_connection(session) == "Slack webhook on hooks.slack.com"


@pytest.mark.parametrize(
    "url", ["", "http://hooks.slack.com/services/T/B/X", "hooks.slack.com/services", "https://"]
)
def test_slack_connection_check_refuses_a_malformed_or_plain_http_url(http, url):
    with pytest.raises(AdapterError) as error:
        slack.check_connection(session_for("slack", url, http))

    assert error.value.outcome.reauth


def test_slack_cannot_delete(httpserver, http):
    with pytest.raises(AdapterError):
        slack.delete(session_for("slack", httpserver.url_for(SLACK_PATH), http), message())


# --- Discord ---------------------------------------------------------------------------

discord = DiscordAdapter()
DISCORD_MESSAGE = {"id": "555", "channel_id": "22", "guild_id": "11", "content": "Launch day!"}


def test_discord_posts_with_wait_and_keeps_the_thread_id(httpserver, http):
    httpserver.expect_request(
        DISCORD_PATH,
        method="POST",
        query_string={"thread_id": "99", "wait": "true"},
        json={"content": "Launch day!"},
    ).respond_with_json(DISCORD_MESSAGE)
    url = httpserver.url_for(DISCORD_PATH) + "?thread_id=99"

    outcome = discord.publish(session_for("discord", url, http), message())

    assert outcome == Published("555", "https://discord.com/channels/11/22/555")


def test_discord_attaches_files_with_their_alt_text(httpserver, http, tmp_path):
    path = tmp_path / "pixel.png"
    path.write_bytes(b"\x89PNG fake")
    httpserver.expect_request(DISCORD_PATH, method="POST").respond_with_json(DISCORD_MESSAGE)
    image = MediaFile(str(path), "image/png", 9, alt_text="A green pixel")

    outcome = discord.publish(
        session_for("discord", httpserver.url_for(DISCORD_PATH), http), message(media=(image,))
    )

    assert isinstance(outcome, Published)
    request = last_request(httpserver)
    payload = json.loads(request.form["payload_json"])
    assert payload["attachments"] == [
        {"id": 0, "filename": "pixel.png", "description": "A green pixel"}
    ]
    assert request.files["files[0]"].read() == b"\x89PNG fake"


def test_discord_unknown_webhook_asks_for_the_channel_to_be_reconnected(httpserver, http):
    httpserver.expect_request(DISCORD_PATH).respond_with_json(
        {"message": "Unknown Webhook", "code": 10015}, status=404
    )

    outcome = discord.publish(
        session_for("discord", httpserver.url_for(DISCORD_PATH), http), message()
    )

    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert "Unknown Webhook" in outcome.reason


def test_discord_rate_limit_is_transient_with_retry_after(httpserver, http):
    httpserver.expect_request(DISCORD_PATH).respond_with_json(
        {"message": "You are being rate limited.", "retry_after": 2.5, "global": False},
        status=429,
        headers={"Retry-After": "3"},
    )

    outcome = discord.publish(
        session_for("discord", httpserver.url_for(DISCORD_PATH), http), message()
    )

    assert isinstance(outcome, Transient)
    assert outcome.retry_after == 3


def test_discord_accepts_2000_characters_and_refuses_2001():
    assert discord.validate("x" * 2000) == []
    assert discord.validate("x" * 2001) == ["Characters: 2001 of 2000 (1 too many)."]


def test_discord_refuses_more_than_ten_files_and_unknown_types():
    images = tuple(MediaFile(f"media/{i}.png", "image/png", 100) for i in range(11))
    assert "At most 10 media files (11 attached)." in discord.validate("Hi", images)
    document = MediaFile("media/report.pdf", "application/pdf", 100)
    assert discord.validate("Hi", (document,)) == ["application/pdf files are not accepted here."]


def test_discord_deletes_a_message_in_its_thread(httpserver, http):
    httpserver.expect_request(
        f"{DISCORD_PATH}/messages/555", method="DELETE", query_string={"thread_id": "99"}
    ).respond_with_data(status=204)
    url = httpserver.url_for(DISCORD_PATH) + "?thread_id=99"

    discord.delete(session_for("discord", url, http), message(external_id="555"))

    assert len(httpserver.log) == 1


def test_discord_deleting_a_message_already_gone_succeeds(httpserver, http):
    httpserver.expect_request(f"{DISCORD_PATH}/messages/555", method="DELETE").respond_with_json(
        {"message": "Unknown Message", "code": 10008}, status=404
    )

    discord.delete(
        session_for("discord", httpserver.url_for(DISCORD_PATH), http), message(external_id="555")
    )


def test_discord_deleting_through_a_removed_webhook_asks_to_reconnect(httpserver, http):
    httpserver.expect_request(f"{DISCORD_PATH}/messages/555", method="DELETE").respond_with_json(
        {"message": "Unknown Webhook", "code": 10015}, status=404
    )

    with pytest.raises(AdapterError) as error:
        discord.delete(
            session_for("discord", httpserver.url_for(DISCORD_PATH), http),
            message(external_id="555"),
        )

    assert error.value.outcome.reauth


def test_discord_connection_check_reads_the_webhook_without_posting(httpserver, http):
    httpserver.expect_request(DISCORD_PATH, method="GET").respond_with_json(
        {"id": "123", "type": 1, "name": "Announcements", "channel_id": "22", "guild_id": "11"}
    )

    described = discord.check_connection(
        session_for("discord", httpserver.url_for(DISCORD_PATH), http)
    )

    assert described == "Discord webhook “Announcements”"


def test_discord_cannot_tell_whether_an_unanswered_message_was_posted(httpserver, http):
    session = session_for("discord", httpserver.url_for(DISCORD_PATH), http)
    assert discord.reconcile(session, message()) is None


# --- Teams -----------------------------------------------------------------------------

teams = TeamsAdapter()


def test_teams_posts_an_adaptive_card_and_accepts_202(httpserver, http):
    httpserver.expect_request(TEAMS_PATH, method="POST").respond_with_data("", status=202)

    outcome = teams.publish(session_for("teams", httpserver.url_for(TEAMS_PATH), http), message())

    assert outcome == Published("pub-1")
    envelope = last_request(httpserver).get_json()
    assert envelope["type"] == "message"
    [attachment] = envelope["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["body"] == [
        {"type": "TextBlock", "text": "Launch day!", "wrap": True}
    ]


def test_teams_refuses_media_in_validation():
    image = MediaFile("media/a.png", "image/png", 100)
    assert teams.validate("Hi", (image,)) == [
        "Teams workflow cards cannot carry images or videos: remove them or link to them."
    ]


def test_teams_bad_request_is_refused_for_good_with_its_message(httpserver, http):
    httpserver.expect_request(TEAMS_PATH).respond_with_json(
        {"error": {"code": "InvalidRequestContent", "message": "The input body is not valid."}},
        status=400,
    )

    outcome = teams.publish(session_for("teams", httpserver.url_for(TEAMS_PATH), http), message())

    assert outcome == Permanent(
        "Microsoft Teams refused the message: The input body is not valid. (HTTP 400)."
    )


def test_teams_connection_check_accepts_a_workflow_url_without_posting(http):
    url = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke"
    described = teams.check_connection(session_for("teams", url, http))
    assert described == "Teams workflow on prod-01.westeurope.logic.azure.com"


def test_a_redirect_is_not_taken_for_a_delivery(httpserver, http):
    httpserver.expect_request(TEAMS_PATH).respond_with_data(
        "", status=302, headers={"Location": "https://login.example/"}
    )

    outcome = teams.publish(session_for("teams", httpserver.url_for(TEAMS_PATH), http), message())

    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert "was not posted" in outcome.reason


# --- generic webhook -------------------------------------------------------------------

generic = GenericWebhookAdapter()


def verifies(request: Request, secret: str) -> bool:
    """A receiver's check, written from the module docstring and not from the adapter."""
    timestamp = request.headers["X-Maillon-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.get_data(), hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(
        request.headers["X-Maillon-Signature"], "sha256=" + expected
    )


def test_the_signature_verifies_with_the_secret_and_fails_with_another(httpserver, http):
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=204)

    generic.publish(
        session_for("webhook", httpserver.url_for("/hook"), http, signing_secret=SECRET), message()
    )

    request = last_request(httpserver)
    assert verifies(request, SECRET)
    assert not verifies(request, "another-secret")


def test_the_payload_carries_the_delivery_text_title_link_and_media_names(httpserver, http):
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    image = MediaFile("/srv/media/pixel.png", "image/png", 9, alt_text="A green pixel")
    outgoing = message(title="Launch", link="https://maillon.example/p/7", media=(image,))

    outcome = generic.publish(
        session_for("webhook", httpserver.url_for("/hook"), http, signing_secret=SECRET), outgoing
    )

    assert outcome == Published("pub-1")
    request = last_request(httpserver)
    body = request.get_json()
    assert request.headers["X-Maillon-Delivery"] == body["id"] == "pub-1"
    assert body["text"] == "Launch day!"
    assert body["title"] == "Launch"
    assert body["link"] == "https://maillon.example/p/7"
    assert body["media"] == [
        {"name": "pixel.png", "mime_type": "image/png", "size": 9, "alt_text": "A green pixel"}
    ]
    assert body["sent_at"].endswith("Z")


def test_every_attempt_carries_the_same_delivery_id(httpserver, http):
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    session = session_for("webhook", httpserver.url_for("/hook"), http, signing_secret=SECRET)

    generic.publish(session, message(key="pub-9"))
    generic.publish(session, message(key="pub-9"))

    deliveries = {request.headers["X-Maillon-Delivery"] for request, _ in httpserver.log}
    assert deliveries == {"pub-9"}


def test_a_receivers_own_reference_and_link_are_kept(httpserver, http):
    httpserver.expect_request("/hook").respond_with_json(
        {"id": "r-77", "url": "https://intranet.example/news/77"}
    )

    outcome = generic.publish(
        session_for("webhook", httpserver.url_for("/hook"), http, signing_secret=SECRET), message()
    )

    assert outcome == Published("r-77", "https://intranet.example/news/77")


def test_a_receiver_error_is_transient_because_receivers_deduplicate(httpserver, http):
    httpserver.expect_request("/hook").respond_with_data("oops", status=500)

    outcome = generic.publish(
        session_for("webhook", httpserver.url_for("/hook"), http, signing_secret=SECRET), message()
    )

    assert isinstance(outcome, Transient)
    assert outcome.reason.startswith("The receiving server is unavailable")


def test_a_refused_signature_asks_for_the_channel_to_be_reconnected(httpserver, http):
    httpserver.expect_request("/hook").respond_with_data("bad signature", status=401)

    outcome = generic.publish(
        session_for("webhook", httpserver.url_for("/hook"), http, signing_secret=SECRET), message()
    )

    assert isinstance(outcome, Permanent)
    assert outcome.reauth


def test_publishing_without_a_signing_secret_asks_to_reconnect_without_calling(httpserver, http):
    outcome = generic.publish(session_for("webhook", httpserver.url_for("/hook"), http), message())

    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert httpserver.log == []


def test_the_connection_check_needs_a_secret(http):
    session = session_for("webhook", "https://intranet.example/hooks/maillon", http)
    with pytest.raises(AdapterError):
        generic.check_connection(session)

    session.credentials["signing_secret"] = SECRET
    assert generic.check_connection(session) == "Signed webhook on intranet.example"
