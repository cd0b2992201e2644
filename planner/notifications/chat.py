"""A workspace's chat webhook (Slack, Discord or Microsoft Teams), told of approvals and
failed deliveries.

``announce`` is called by services inside their transaction; it queues a Celery task
after commit, so a rolled-back change says nothing and a slow chat server never holds
up a request. The task calls ``notifications.inbox.chat_deliver``, which builds the message with
``message_text`` and ``payload`` and posts it (``post``).

One message per event, for the whole team, in the site's language (a workspace has
no language of its own): unlike the inbox, it does not say "you".

Payloads, as each service documents its incoming webhooks:

* Slack: ``{"text": ...}``, with ``&``, ``<`` and ``>`` escaped and the link as
  ``<url|label>``.
* Discord: ``{"content": ..., "allowed_mentions": {"parse": []}}``, at most 2,000
  characters; no ``@everyone`` from a comment ever pings anyone.
* Microsoft Teams: a message with one Adaptive Card attachment, the shape that the
  Teams *Workflows* webhook ("Post to a channel when a webhook request is received")
  accepts. The older MessageCard goes only to Office 365 connectors, which Microsoft
  is retiring. The publishing adapter (``planner/channels/webhooks.py``) posts the
  same shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import ChatWebhookKind
from planner import jobs
from planner.models import Decision, NotificationKind

if TYPE_CHECKING:
    from accounts.models import User, Workspace
    from planner.models import Post

Kind = NotificationKind

# What the chat hears of: submissions, final decisions and failed deliveries.
CHAT_KINDS = frozenset({Kind.SUBMITTED, Kind.DECIDED, Kind.APPROVED, Kind.PUBLICATION_PROBLEM})
DISCORD_LIMIT = 2000
TIMEOUT_SECONDS = 5.0


def has_webhook(workspace: Workspace) -> bool:
    return bool(workspace.notify_webhook_kind and workspace.notify_webhook_url)


def announce(
    *,
    workspace: Workspace,
    kind: str,
    post: Post | None = None,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Queue the chat message of this event, after commit, if the workspace has a webhook.

    Robustly: a broker that cannot be reached is logged, and the change that was
    just committed still answers its request normally."""
    if kind not in CHAT_KINDS or not has_webhook(workspace):
        return
    args = (
        workspace.pk,
        str(kind),
        post.pk if post is not None else None,
        actor.pk if actor is not None else None,
        {k: v for k, v in (data or {}).items() if isinstance(v, str | int | bool)},
    )
    jobs.after_commit(jobs.CHAT_ANNOUNCE, *args, robust=True)


def message_text(*, kind: str, who: str, data: dict[str, Any]) -> str:
    """The event as one sentence for a team, in the active language."""
    values = {
        "who": who,
        "post": data.get("post_title", ""),
        "comment": data.get("comment", ""),
        "channel": data.get("channel", ""),
        "reason": data.get("reason", ""),
    }
    if kind == Kind.SUBMITTED:
        return _("%(who)s submitted “%(post)s” for review.") % values
    if kind == Kind.APPROVED:
        return _("“%(post)s” is approved (last approval by %(who)s).") % values
    if kind == Kind.DECIDED:
        if data.get("decision") == Decision.REJECT:
            sentence = _("%(who)s rejected “%(post)s”.") % values
        else:
            sentence = _("%(who)s requested changes on “%(post)s”.") % values
        return f"{sentence}\n{values['comment']}" if values["comment"] else sentence
    if kind == Kind.PUBLICATION_PROBLEM:
        sentence = _("“%(post)s” did not go out as planned on %(channel)s.") % values
        return f"{sentence}\n{values['reason']}" if values["reason"] else sentence
    return _("Something happened on “%(post)s”.") % values


def trial_text(workspace: Workspace) -> str:
    return _(
        "Maillon test message: approvals and failed deliveries of “%(workspace)s” "
        "will be posted here."
    ) % {"workspace": workspace.name}


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions (<!channel>): show the text as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(kind: str, text: str, url: str = "") -> dict[str, Any]:
    """The JSON body for a webhook of this ``kind`` (a ChatWebhookKind)."""
    label = _("Open in Maillon")
    if kind == ChatWebhookKind.SLACK:
        body = _slack_escape(text)
        if url:
            body += f"\n<{url}|{_slack_escape(label)}>"
        return {"text": body}
    if kind == ChatWebhookKind.DISCORD:
        tail = f"\n{url}" if url else ""
        room = DISCORD_LIMIT - len(tail)
        if len(text) > room:
            text = text[: room - 1] + "…"
        return {"content": text + tail, "allowed_mentions": {"parse": []}}
    if kind == ChatWebhookKind.TEAMS:
        card: dict[str, Any] = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}],
        }
        if url:
            card["actions"] = [{"type": "Action.OpenUrl", "title": label, "url": url}]
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    raise ValueError(f"Unknown chat webhook kind: {kind!r}")


def site_language():
    """The chat's language: the site's (a workspace has none of its own)."""
    return translation.override(settings.LANGUAGE_CODE)
