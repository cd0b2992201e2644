"""Telling people what they need to know: one entry point, ``notify``.

Each notification is a row of the recipient's inbox; it also goes by email to those
whose preferences want its kind (after the transaction commits, so a rolled-back
change tells nobody). The sentence is written when shown, in the reader's language,
from the kind and its data (``describe``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Role
from planner.models import Decision, Notification, NotificationKind, NotificationPreference

if TYPE_CHECKING:
    from accounts.models import User, Workspace
    from planner.models import Post

Kind = NotificationKind

# Email too unless the person turned it off (the inbox always has everything).
EMAIL_BY_DEFAULT: dict[str, bool] = {kind.value: True for kind in NotificationKind}


def notify(
    *,
    workspace: Workspace,
    kind: str,
    recipients: Iterable[User],
    post: Post | None = None,
    actor: User | None = None,
    data: dict | None = None,
) -> list[Notification]:
    """Tell each active recipient (never the actor about their own act, never twice)."""
    people: dict[int, User] = {}
    for user in recipients:
        if user is None or not user.is_active or (actor is not None and user.pk == actor.pk):
            continue
        people.setdefault(user.pk, user)
    if not people:
        return []
    created = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            workspace=workspace,
            kind=kind,
            post=post,
            actor=actor,
            data=data or {},
        )
        for user in people.values()
    )
    _email(created, people)
    return created


def wants_email(user_ids: Iterable[int], kind: str) -> set[int]:
    """Those of ``user_ids`` who want ``kind`` by email."""
    ids = set(user_ids)
    choices = dict(
        NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list(
            "user_id", "email"
        )
    )
    default = EMAIL_BY_DEFAULT.get(kind, True)
    return {pk for pk in ids if choices.get(pk, default)}


def _email(notifications: list[Notification], people: dict) -> None:
    if not notifications:
        return
    wanted = wants_email(people, notifications[0].kind)
    messages = []
    for notification in notifications:
        user = people[notification.recipient_id]
        if user.pk not in wanted:
            continue
        with translation.override(user.language):
            context = {
                "sentence": describe(notification),
                "comment": notification.data.get("comment", ""),
                "reason": notification.data.get("reason", ""),
                "url": f"{settings.SITE_URL}{link(notification)}",
                "preferences_url": f"{settings.SITE_URL}/notifications/preferences/",
            }
            subject = render_to_string("emails/notification_subject.txt", context).strip()
            body = render_to_string("emails/notification_body.txt", context)
        messages.append((subject, body, None, [user.email]))
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))


def link(notification: Notification) -> str:
    """Where the notification takes its reader (a path of the site)."""
    if notification.post_id:
        return f"/posts/{notification.post_id}/"
    if notification.kind in (Kind.CHANNEL_EXPIRING, Kind.CHANNEL_DISCONNECTED):
        return "/channels/"
    return "/queues/waiting/"


def describe(notification: Notification) -> str:
    """The notification as a sentence in the active language."""
    data = notification.data
    who = notification.actor.display_name if notification.actor else _("Someone")
    post = data.get("post_title") or (str(notification.post) if notification.post else "")
    values = {"who": who, "post": post, **{k: v for k, v in data.items() if isinstance(v, str)}}
    # Stored as codes, shown as labels in the reader's language.
    if data.get("decision") in Decision.values:
        values["decision"] = Decision(data["decision"]).label
    if "step" not in data and data.get("step_role") in Role.values:
        values["step"] = Role(data["step_role"]).label
    sentences = {
        Kind.SUBMITTED: _("“%(post)s” waits for your approval (submitted by %(who)s)."),
        Kind.DECIDED: _("%(who)s decided on “%(post)s”: %(decision)s."),
        Kind.APPROVED: _("“%(post)s” is approved and will go out as planned."),
        Kind.APPROVAL_WITHDRAWN: _(
            "%(who)s edited “%(post)s” after it was approved: the approvals are withdrawn."
        ),
        Kind.MENTION: _("%(who)s mentioned you on “%(post)s”."),
        Kind.COMMENT: _("%(who)s commented on “%(post)s”."),
        Kind.REMINDER: _("Reminder: “%(post)s” has waited for your approval since %(since)s."),
        Kind.ESCALATION: _(
            "“%(post)s” has waited for approval by %(step)s since %(since)s: nobody decided."
        ),
        Kind.AT_RISK: _("“%(post)s” is due at %(due)s and is not approved yet."),
        Kind.PUBLICATION_PROBLEM: _("“%(post)s” did not go out as planned on %(channel)s."),
        Kind.CHANNEL_EXPIRING: _(
            "Maillon's access to %(channel)s ends on %(expires)s: reconnect it before then, "
            "or its posts due after that will not go out."
        ),
        Kind.CHANNEL_DISCONNECTED: _(
            "%(channel)s was disconnected: the network refuses Maillon's access. Its posts "
            "wait until someone reconnects it."
        ),
    }
    if notification.kind == Kind.SUBMITTED and data.get("step_position", 1) > 1:
        # A later step: the actor is the approver of the step before, not the writer.
        values["position"] = data["step_position"]
        sentences[Kind.SUBMITTED] = _(
            "“%(post)s” waits for your approval at step %(position)s (%(who)s approved the "
            "step before)."
        )
    if notification.kind == Kind.APPROVAL_WITHDRAWN and data.get("reason_code") == "moved":
        sentences[Kind.APPROVAL_WITHDRAWN] = _(
            "%(who)s moved “%(post)s” in time: the approvals are withdrawn and it waits for "
            "approval again."
        )
    elif notification.kind == Kind.APPROVAL_WITHDRAWN and data.get("reason_code") == "campaign":
        sentences[Kind.APPROVAL_WITHDRAWN] = _(
            "%(who)s moved “%(post)s” to a campaign whose approval chain asks for more: the "
            "approval is withdrawn and it waits for approval again."
        )
    elif notification.kind == Kind.APPROVAL_WITHDRAWN and data.get("reason_code"):
        sentences[Kind.APPROVAL_WITHDRAWN] = _(
            "%(who)s changed where %(channel)s points: the approval of “%(post)s” is withdrawn "
            "and it waits for approval again."
        )
    template = sentences.get(notification.kind, _("Something happened on “%(post)s”."))
    try:
        return template % values
    except (KeyError, TypeError, ValueError):
        return _("Something happened on “%(post)s”.") % {"post": post}
