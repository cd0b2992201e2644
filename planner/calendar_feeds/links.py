"""Writes to calendar feed links: make one, rename it or change its window, regenerate
its address, revoke it. Each person manages only their own links.

The token is made here (``secrets.token_urlsafe(32)``: 256 random bits) and returned to
the caller to show once; only its SHA-256 is stored, and the audit trail never holds it.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from accounts.permissions import Capability
from planner import audit
from planner.access import full_clean, require
from planner.approvals import queues
from planner.calendar_feeds.content import hash_token, label_of
from planner.errors import Invalid, NotAllowed, NotFound
from planner.models import Campaign, Channel, FeedLink, FeedScope

MAX_LINKS = 50  # per person and workspace: a feed is cheap, a forgotten pile of them is not


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def _facts(link: FeedLink) -> dict:
    """What the audit trail keeps of a link (never its token or hash)."""
    return {
        "link": link.pk,
        "scope": link.scope,
        "campaign": link.campaign_id,
        "channel": link.channel_id,
        "name": link.name,
        "days_back": link.days_back,
        "days_ahead": link.days_ahead,
    }


def _not_here() -> NotFound:
    return NotFound(_("This campaign or channel does not exist in this workspace."))


def feed_link_create(
    *,
    actor: User,
    workspace: Workspace,
    scope: str,
    campaign: Campaign | None = None,
    channel: Channel | None = None,
    name: str = "",
    days_back: int = 90,
    days_ahead: int = 365,
) -> tuple[FeedLink, str]:
    """A new private feed address for ``actor``. Returns the link and its token, which
    is never shown again."""
    role = require(actor, workspace, Capability.VIEW)
    if scope not in FeedScope.values:
        raise Invalid(_("Choose what the feed shows."), fields={"scope": [_("Unknown choice.")]})
    if scope == FeedScope.CAMPAIGN:
        if campaign is None:
            raise Invalid(_("Choose a campaign."), fields={"scope": [_("Choose a campaign.")]})
        if campaign.workspace_id != workspace.pk:
            raise _not_here()
    if scope == FeedScope.CHANNEL:
        if channel is None:
            raise Invalid(_("Choose a channel."), fields={"scope": [_("Choose a channel.")]})
        if channel.workspace_id != workspace.pk:
            raise _not_here()
    if scope == FeedScope.WAITING and not queues.approves(role):
        raise NotAllowed(
            _("Your role approves no step: nothing would ever wait on you in this workspace.")
        )
    token, token_hash = _new_token()
    link = FeedLink(
        user=actor,
        workspace=workspace,
        scope=scope,
        campaign=campaign if scope == FeedScope.CAMPAIGN else None,
        channel=channel if scope == FeedScope.CHANNEL else None,
        name=name.strip(),
        days_back=days_back,
        days_ahead=days_ahead,
        token_hash=token_hash,
    )
    full_clean(link, exclude=["user", "workspace", "campaign", "channel"])
    with transaction.atomic():
        live = FeedLink.objects.select_for_update().filter(
            user=actor, workspace=workspace, revoked_at__isnull=True
        )
        if len(live) >= MAX_LINKS:
            raise Invalid(
                _("You have %(n)s feeds in this workspace: revoke one you no longer use first.")
                % {"n": MAX_LINKS}
            )
        link.save()
        audit.record(
            workspace=workspace,
            actor=actor,
            action="feed.create",
            campaign=link.campaign,
            target=link.name or label_of(link),
            data=_facts(link),
        )
    return link, token


def _own_link(actor: User, link: FeedLink) -> FeedLink:
    """The actor's own live link, locked; someone else's (or a revoked one) is not found."""
    require(actor, link.workspace, Capability.VIEW)
    found = (
        FeedLink.objects.select_for_update(of=("self",))
        .select_related("workspace", "campaign", "channel")
        .filter(pk=link.pk, user=actor, revoked_at__isnull=True)
        .first()
    )
    if found is None:
        raise NotFound(_("This feed does not exist or is no longer in use."))
    return found


def feed_link_update(
    *, actor: User, link: FeedLink, name: str, days_back: int, days_ahead: int
) -> FeedLink:
    """Rename the link or change its window (its address stays the same)."""
    with transaction.atomic():
        link = _own_link(actor, link)
        before = _facts(link)
        link.name, link.days_back, link.days_ahead = name.strip(), days_back, days_ahead
        full_clean(link, exclude=["user", "workspace", "campaign", "channel", "token_hash"])
        after = _facts(link)
        if after == before:
            return link
        link.save(update_fields=["name", "days_back", "days_ahead"])
        audit.record(
            workspace=link.workspace,
            actor=actor,
            action="feed.update",
            campaign=link.campaign,
            target=link.name or label_of(link),
            data={"before": before, "after": after},
        )
    return link


def feed_link_regenerate(*, actor: User, link: FeedLink) -> tuple[FeedLink, str]:
    """A new address for the same feed; the old one stops working at once. Returns the
    link and its new token, shown once."""
    with transaction.atomic():
        link = _own_link(actor, link)
        token, link.token_hash = _new_token()
        link.regenerated_at = timezone.now()
        link.last_used_at = None
        link.save(update_fields=["token_hash", "regenerated_at", "last_used_at"])
        audit.record(
            workspace=link.workspace,
            actor=actor,
            action="feed.regenerate",
            campaign=link.campaign,
            target=link.name or label_of(link),
            data=_facts(link),
        )
    return link, token


def feed_link_revoke(*, actor: User, link: FeedLink) -> FeedLink:
    """The address stops working at once, for good (calendars subscribed to it keep what
    they last fetched, and stop updating)."""
    with transaction.atomic():
        link = _own_link(actor, link)
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        audit.record(
            workspace=link.workspace,
            actor=actor,
            action="feed.revoke",
            campaign=link.campaign,
            target=link.name or label_of(link),
            data=_facts(link),
        )
    return link
