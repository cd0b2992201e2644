"""Notifications as a person uses them (reading the inbox, choosing what comes by
email) and the workspace's chat webhook (the task's delivery, the admin's test).

Telling people is ``planner.notifications.notify.notify``; the chat message is queued by
``planner.notifications.chat.announce``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.chat_webhooks import webhook_url_problem
from accounts.models import ChatWebhookKind, User, Workspace
from accounts.permissions import Capability
from planner import audit, outbound
from planner.access import require
from planner.errors import Invalid, NotFound
from planner.models import Notification, NotificationKind, NotificationPreference, Post
from planner.notifications import chat
from planner.notifications.notify import EMAIL_BY_DEFAULT

logger = logging.getLogger(__name__)


# --- the inbox -------------------------------------------------------------------------


def notification_open(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read; anyone else's, or one of a
    workspace the actor has left, is not found."""
    notification = (
        Notification.objects.filter(
            pk=notification_id, recipient=actor, workspace__memberships__user=actor
        )
        .select_related("actor", "post")
        .first()
    )
    if notification is None:
        raise NotFound(_("This notification does not exist or is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, actor: User, workspace: Workspace) -> int:
    """Mark everything unread in the actor's inbox of this workspace read; how many."""
    return Notification.objects.filter(
        recipient=actor, workspace=workspace, read_at__isnull=True
    ).update(read_at=timezone.now())


def notification_preferences_set(*, user: User, choices: Mapping[str, bool]) -> None:
    """Which kinds also come by email (the inbox always has everything). Kinds left
    out keep their current choice. Personal, like the profile: not audited."""
    unknown = set(choices) - set(NotificationKind.values)
    if unknown:
        raise Invalid(_("Unknown kind of notification: %(kinds)s.") % {"kinds": sorted(unknown)})
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user=user, kind=kind, email=bool(email))
            for kind, email in choices.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["email"],
    )


# --- the chat webhook ----------------------------------------------------------------------


def notification_email_choices(user: User) -> dict[str, bool]:
    """For each kind of notification, whether the user gets it by email too."""
    chosen = dict(user.notification_preferences.values_list("kind", "email"))
    return {kind: chosen.get(kind, default) for kind, default in EMAIL_BY_DEFAULT.items()}


class ChatOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # not reached, or busy: worth one more try
    FAILED = "failed"
    SKIPPED = "skipped"  # no webhook (any more)


def _send(kind: str, url: str, body: dict[str, Any]) -> tuple[ChatOutcome, str]:
    """POST the body; the outcome and, when it did not work, why (for people to read).

    The address is checked again as the settings page checks it (https, on the
    service's own hosts), so that nothing, not even a test of an unsaved address,
    posts elsewhere; and the request goes through ``planner.outbound``, which connects
    only to public servers (a service host whose name leads into our network is refused).

    A read timeout is not retried: the server may have posted the message already,
    and a duplicate in the chat is worse than a missing one that the inbox has."""
    if problem := webhook_url_problem(kind, url):
        return ChatOutcome.FAILED, problem
    try:
        with outbound.client(timeout=httpx.Timeout(chat.TIMEOUT_SECONDS)) as client:
            response = client.post(url, json=body)
    except (outbound.Refused, outbound.HostNotFound) as error:
        return ChatOutcome.FAILED, str(error)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        return ChatOutcome.RETRY, _("The chat server could not be reached (%(error)s).") % {
            "error": type(error).__name__
        }
    except httpx.TimeoutException:
        return ChatOutcome.FAILED, _("The chat server did not answer within %(seconds)s s.") % {
            "seconds": int(chat.TIMEOUT_SECONDS)
        }
    except httpx.HTTPError as error:
        return ChatOutcome.FAILED, _("The chat server could not be reached (%(error)s).") % {
            "error": type(error).__name__
        }
    status = response.status_code
    if 200 <= status < 300:
        return ChatOutcome.SENT, ""
    problem = _("The chat server answered HTTP %(status)s.") % {"status": status}
    if status == 429 or status >= 500:
        return ChatOutcome.RETRY, problem
    return ChatOutcome.FAILED, problem


def chat_deliver(
    *,
    workspace_id: int,
    kind: str,
    post_id: int | None,
    actor_id: int | None,
    data: dict[str, Any],
) -> ChatOutcome:
    """Post one event to the workspace's chat webhook, as it is configured now.

    Never raises for the chat's sake: what went wrong is logged (without the
    address, which is a secret) and returned for the task to retry once."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None or not chat.has_webhook(workspace):
        return ChatOutcome.SKIPPED
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    url = f"{settings.SITE_URL}/posts/{post_id}/" if post_id else ""
    if post_id and not Post.objects.filter(pk=post_id, workspace=workspace).exists():
        url = ""  # deleted since: the sentence keeps its title, the link would lead nowhere
    with chat.site_language():
        who = actor.display_name if actor else _("Maillon")
        text = chat.message_text(kind=kind, who=who, data=data)
        body = chat.payload(workspace.notify_webhook_kind, text, url)
    outcome, problem = _send(workspace.notify_webhook_kind, workspace.notify_webhook_url, body)
    if outcome != ChatOutcome.SENT:
        logger.warning(
            "Chat webhook of workspace %s (%s), %s: %s",
            workspace.pk,
            workspace.notify_webhook_kind,
            kind,
            problem,
        )
    return outcome


def workspace_webhook_test(
    *, actor: User, workspace: Workspace, kind: str | None = None, url: str | None = None
) -> None:
    """Send a test message to the chat webhook now (admins). Raise Invalid saying
    what went wrong. ``kind`` and ``url`` test values before they are saved; by
    default, the workspace's."""
    require(actor, workspace, Capability.WORKSPACE_MANAGE)
    kind = workspace.notify_webhook_kind if kind is None else kind
    url = workspace.notify_webhook_url if url is None else url.strip()
    if not kind or not url:
        raise Invalid(_("Choose a chat service and paste its webhook address first."))
    if kind not in ChatWebhookKind.values:
        raise Invalid(_("Unknown chat service."))
    with chat.site_language():
        body = chat.payload(kind, chat.trial_text(workspace), settings.SITE_URL + "/")
    outcome, problem = _send(kind, url, body)
    with transaction.atomic():
        audit.record(
            workspace=workspace,
            actor=actor,
            action="workspace.webhook_test",
            target=workspace.name,
            data={"kind": kind, "ok": outcome == ChatOutcome.SENT, "message": problem},
        )
    if outcome != ChatOutcome.SENT:
        raise Invalid(problem, fields={"notify_webhook_url": [problem]})
