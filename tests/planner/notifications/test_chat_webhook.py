"""The workspace's chat webhook, against a real local HTTP server (pytest-httpserver)
standing in for Slack, Discord and Microsoft Teams. The Celery task runs eagerly."""

from __future__ import annotations

import json
import socket

import pytest
from pytest_httpserver import HTTPServer

from accounts.models import ChatWebhookKind
from calendar_project.celery import app
from planner import tasks
from planner.approvals import notices
from planner.errors import Invalid, NotAllowed
from planner.models import AuditEvent, Notification, NotificationKind, Publication
from planner.notifications import inbox
from planner.notifications.inbox import ChatOutcome
from planner.posts import actions
from planner.workflow import State
from tests.factories import PostFactory

pytestmark = [pytest.mark.django_db]

Kind = NotificationKind
HOOK = "/hook"


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks queued on commit run at once, in the test, as a worker would run them: a
    retry runs again at once, and what the task raises stays in the task."""
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture(autouse=True)
def local_receivers(settings):
    """The stand-in servers listen on 127.0.0.1, as a developer's test receiver would."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://maillon.example"
    return settings.SITE_URL


@pytest.fixture
def draft(cast):
    return PostFactory(workspace=cast.workspace, author=cast.content, title="Spring <launch> & co")


def use_webhook(cast, kind: str, url: str) -> None:
    cast.workspace.notify_webhook_kind = kind
    cast.workspace.notify_webhook_url = url
    cast.workspace.save(update_fields=["notify_webhook_kind", "notify_webhook_url"])


def received(server: HTTPServer) -> list[dict]:
    return [json.loads(request.data) for request, _response in server.log]


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def submit(cast, post, capture):
    with capture(execute=True):
        return actions.post_submit(actor=cast.content, post=post)


def decide(actor, post, capture, decision="approve", comment=""):
    post.refresh_from_db()
    with capture(execute=True):
        return actions.post_decide(
            actor=actor,
            post=post,
            decision=decision,
            expected_version=post.version,
            step_position=1,
            comment=comment,
        )


# --- what each service receives ------------------------------------------------------


def test_slack_hears_of_a_submission_as_text_with_a_link(
    cast, draft, site, httpserver, django_capture_on_commit_callbacks
):
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    submit(cast, draft, django_capture_on_commit_callbacks)
    (body,) = received(httpserver)
    assert body == {
        "text": "Content submitted “Spring &lt;launch&gt; &amp; co” for review.\n"
        f"<https://maillon.example/posts/{draft.pk}/|Open in Maillon>"
    }


def test_discord_hears_of_changes_requested_with_the_comment_within_2000_characters(
    cast, draft, site, httpserver, django_capture_on_commit_callbacks
):
    use_webhook(cast, ChatWebhookKind.DISCORD, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=204)
    submit(cast, draft, django_capture_on_commit_callbacks)
    comment = "@everyone please add the price. " + "x" * 3000
    decide(cast.marketing, draft, django_capture_on_commit_callbacks, "request_changes", comment)
    submitted, decided = received(httpserver)
    assert submitted["content"].startswith("Content submitted “Spring <launch> & co” for review.")
    content = decided["content"]
    assert len(content) == 2000
    assert content.startswith(
        "Marketing requested changes on “Spring <launch> & co”.\n@everyone please add the price."
    )
    assert content.endswith(f"…\nhttps://maillon.example/posts/{draft.pk}/")
    assert decided["allowed_mentions"] == {"parse": []}  # the comment pings nobody


def test_teams_hears_of_the_approval_as_an_adaptive_card(
    cast, draft, site, httpserver, django_capture_on_commit_callbacks
):
    use_webhook(cast, ChatWebhookKind.TEAMS, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=202)
    submit(cast, draft, django_capture_on_commit_callbacks)
    decide(cast.marketing, draft, django_capture_on_commit_callbacks)
    _submitted, approved = received(httpserver)
    assert approved["type"] == "message"
    (attachment,) = approved["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"] == [
        {
            "type": "TextBlock",
            "text": "“Spring <launch> & co” is approved (last approval by Marketing).",
            "wrap": True,
        }
    ]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open in Maillon",
            "url": f"https://maillon.example/posts/{draft.pk}/",
        }
    ]


def test_a_rejection_is_posted_with_its_comment(
    cast, draft, httpserver, django_capture_on_commit_callbacks
):
    use_webhook(cast, ChatWebhookKind.DISCORD, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK).respond_with_data("", status=204)
    submit(cast, draft, django_capture_on_commit_callbacks)
    decide(cast.marketing, draft, django_capture_on_commit_callbacks, "reject", "Off brand.")
    assert received(httpserver)[-1]["content"].startswith(
        "Marketing rejected “Spring <launch> & co”.\nOff brand.\n"
    )


def test_a_failed_delivery_is_posted_with_its_reason(
    cast, draft, httpserver, django_capture_on_commit_callbacks
):
    submit(cast, draft, django_capture_on_commit_callbacks)
    decide(cast.marketing, draft, django_capture_on_commit_callbacks)
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK).respond_with_data("ok")
    publication = Publication.objects.select_related("post__workspace", "channel").get(post=draft)
    with django_capture_on_commit_callbacks(execute=True):
        notices.publication_problem(publication, "Mastodon refused the message (HTTP 422).")
    (body,) = received(httpserver)
    assert body["text"].startswith(
        f"“Spring &lt;launch&gt; &amp; co” did not go out as planned on {publication.channel.name}."
        "\nMastodon refused the message (HTTP 422)."
    )


def test_a_workspace_without_a_webhook_queues_nothing(
    cast, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        actions.post_submit(actor=cast.content, post=draft)
    # The calendar's cache and the approvers' emails; no chat task.
    assert all("chat" not in repr(callback) for callback in callbacks)
    assert len(callbacks) == 2


def test_nothing_is_posted_when_the_change_rolls_back(cast, draft, httpserver):
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    actions.post_submit(actor=cast.content, post=draft)  # the test's transaction never commits
    assert httpserver.log == []


# --- failures never break the workflow --------------------------------------------------


def test_a_chat_server_error_does_not_break_the_submission_and_is_retried_once(
    cast, draft, httpserver, django_capture_on_commit_callbacks, caplog
):
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK).respond_with_data("boom", status=500)
    post = submit(cast, draft, django_capture_on_commit_callbacks)
    assert post.state == State.IN_REVIEW
    assert Notification.objects.filter(post=draft, kind=Kind.SUBMITTED).count() == 2
    assert len(httpserver.log) == 2  # the first try and one retry, no more
    assert "answered HTTP 500" in caplog.text
    assert httpserver.url_for(HOOK) not in caplog.text  # the address is a secret


def test_a_refused_connection_does_not_break_the_submission(
    cast, draft, django_capture_on_commit_callbacks, caplog
):
    use_webhook(cast, ChatWebhookKind.DISCORD, f"http://127.0.0.1:{closed_port()}/hook")
    post = submit(cast, draft, django_capture_on_commit_callbacks)
    assert post.state == State.IN_REVIEW
    assert "could not be reached" in caplog.text


def test_a_refusal_is_not_retried(cast, draft, httpserver):
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK).respond_with_data("invalid_payload", status=400)
    result = tasks.chat_announce.apply(
        args=(cast.workspace.pk, Kind.SUBMITTED, draft.pk, cast.content.pk, {"post_title": "X"})
    )
    assert result.get() == ChatOutcome.FAILED
    assert len(httpserver.log) == 1


def test_a_webhook_removed_before_the_task_runs_is_skipped(cast, draft, httpserver):
    result = tasks.chat_announce.apply(
        args=(cast.workspace.pk, Kind.SUBMITTED, draft.pk, cast.content.pk, {"post_title": "X"})
    )
    assert result.get() == ChatOutcome.SKIPPED
    assert httpserver.log == []


# --- the admin's test message ------------------------------------------------------------


def test_an_admin_sends_a_test_message(cast, httpserver):
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    assert inbox.workspace_webhook_test(actor=cast.admin, workspace=cast.workspace) is None
    (body,) = received(httpserver)
    assert body["text"].startswith("Maillon test message: approvals and failed deliveries")
    event = AuditEvent.objects.get(action="workspace.webhook_test")
    assert event.data == {"kind": "slack", "ok": True, "message": ""}


def test_a_test_message_can_try_an_address_before_it_is_saved(cast, httpserver):
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=202)
    inbox.workspace_webhook_test(
        actor=cast.admin,
        workspace=cast.workspace,
        kind=ChatWebhookKind.TEAMS,
        url=httpserver.url_for(HOOK),
    )
    (body,) = received(httpserver)
    assert body["attachments"][0]["content"]["type"] == "AdaptiveCard"


def test_the_test_message_says_the_status_the_chat_answered(cast, httpserver):
    use_webhook(cast, ChatWebhookKind.DISCORD, httpserver.url_for(HOOK))
    httpserver.expect_request(HOOK).respond_with_json({"message": "Unknown Webhook"}, status=404)
    with pytest.raises(Invalid, match="answered HTTP 404"):
        inbox.workspace_webhook_test(actor=cast.admin, workspace=cast.workspace)
    assert AuditEvent.objects.get(action="workspace.webhook_test").data["ok"] is False


def test_the_test_message_says_when_the_chat_cannot_be_reached(cast):
    use_webhook(cast, ChatWebhookKind.SLACK, f"http://127.0.0.1:{closed_port()}/hook")
    with pytest.raises(Invalid, match="could not be reached"):
        inbox.workspace_webhook_test(actor=cast.admin, workspace=cast.workspace)


def test_the_test_message_refuses_a_plain_http_address_elsewhere(cast):
    use_webhook(cast, ChatWebhookKind.SLACK, "http://hooks.slack.com/services/T/B/X")
    with pytest.raises(Invalid, match="https://"):
        inbox.workspace_webhook_test(actor=cast.admin, workspace=cast.workspace)


def test_nothing_is_posted_to_this_machine_unless_allowed(cast, httpserver, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(Invalid, match="https://"):
        inbox.workspace_webhook_test(
            actor=cast.admin,
            workspace=cast.workspace,
            kind=ChatWebhookKind.SLACK,
            url=httpserver.url_for(HOOK),
        )
    assert httpserver.log == []


def test_nothing_is_posted_to_another_host_than_the_services(cast):
    with pytest.raises(Invalid, match="not a Discord webhook address"):
        inbox.workspace_webhook_test(
            actor=cast.admin,
            workspace=cast.workspace,
            kind=ChatWebhookKind.DISCORD,
            url="https://intranet.example/api/webhooks/1/x",
        )


def test_without_a_webhook_the_test_asks_for_one(cast):
    with pytest.raises(Invalid, match="webhook address first"):
        inbox.workspace_webhook_test(actor=cast.admin, workspace=cast.workspace)


@pytest.mark.parametrize("role", ["marketing", "content", "viewer"])
def test_only_admins_send_a_test_message(cast, httpserver, role):
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    with pytest.raises(NotAllowed):
        inbox.workspace_webhook_test(actor=getattr(cast, role), workspace=cast.workspace)
    assert httpserver.log == []


def test_an_outsider_cannot_send_a_test_message(cast, other, httpserver):
    use_webhook(cast, ChatWebhookKind.SLACK, httpserver.url_for(HOOK))
    with pytest.raises(Exception, match="not a member"):
        inbox.workspace_webhook_test(actor=other.admin, workspace=cast.workspace)
    assert httpserver.log == []
