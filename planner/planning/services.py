"""Writes to what frames the posts: objectives, campaigns (with cadence), channels and
labels. Approval chains have their own module, ``chains``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User, Workspace
from accounts.permissions import Capability
from planner import audit
from planner.access import full_clean, require
from planner.channels import base, checking
from planner.channels.checking import CheckResult
from planner.channels.registry import adapter_for
from planner.errors import Conflict, Invalid
from planner.models import (
    Cadence,
    Campaign,
    Channel,
    ChannelKind,
    Label,
    Objective,
)
from planner.posts.scheduling import post_approvals_withdraw_for_channel
from planner.publishing.outgoing import channel_session

_SECRET_HINT = "••••"  # noqa: S105 - what is shown instead of a secret


def _plain(value: Any) -> Any:
    """A value the audit trail can store: related objects by id."""
    return value.pk if isinstance(value, Model) else value


def _diff(instance, fields: Mapping[str, Any]) -> tuple[dict, dict]:
    """Apply ``fields`` to ``instance``; return what changed, before and after."""
    before, after = {}, {}
    for key, value in fields.items():
        if getattr(instance, key) != value:
            before[key] = _plain(getattr(instance, key))
            after[key] = _plain(value)
            setattr(instance, key, value)
    return before, after


def _save_unique(instance, message: str, field: str) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise Conflict(message, fields={field: [message]}) from None


# --- objectives ------------------------------------------------------------------


def objective_save(
    *,
    actor: User,
    workspace: Workspace,
    objective: Objective | None = None,
    title: str,
    kpi: str,
    target: int,
    period_start: date,
    period_end: date,
    baseline: int = 0,
    description: str = "",
    owner: User | None = None,
) -> Objective:
    """Create an objective, or update ``objective`` when given."""
    require(actor, workspace, Capability.OBJECTIVE_MANAGE)
    if (
        owner is not None
        and not Membership.objects.filter(workspace=workspace, user=owner).exists()
    ):
        raise Invalid(
            _("The owner is not a member of this workspace."),
            fields={"owner": [_("The owner is not a member of this workspace.")]},
        )
    if period_start and period_end and period_end < period_start:
        raise Invalid(
            _("The period must end after it starts."),
            fields={"period_end": [_("The period must end after it starts.")]},
        )
    creating = objective is None
    objective = objective or Objective(workspace=workspace)
    before, after = _diff(
        objective,
        {
            "title": (title or "").strip(),
            "kpi": kpi,
            "target": target,
            "baseline": baseline,
            "period_start": period_start,
            "period_end": period_end,
            "description": description,
            "owner": owner,
        },
    )
    full_clean(objective)
    with transaction.atomic():
        objective.save()
        audit.record(
            workspace=workspace,
            actor=actor,
            action="objective.create" if creating else "objective.update",
            target=objective.title,
            data={"before": before, "after": after} if not creating else {"after": after},
        )
    return objective


# --- campaigns -------------------------------------------------------------------


def campaign_save(
    *,
    actor: User,
    workspace: Workspace,
    campaign: Campaign | None = None,
    name: str,
    starts_on: date,
    ends_on: date,
    objective: Objective | None = None,
    channels: Iterable[Channel] = (),
    cadence: Mapping[int, int] | None = None,
    audience: str = "",
    tone: str = "",
    guidelines: str = "",
    colour: str = "#1f6feb",
) -> Campaign:
    """Create a campaign, or update ``campaign``.

    ``cadence`` maps channel ids to posts per week; None keeps the stored cadence
    (for the channels the campaign keeps).
    """
    require(actor, workspace, Capability.CAMPAIGN_MANAGE)
    channels = list(channels)
    if cadence is None:
        kept = {c.pk for c in channels}
        stored = campaign.cadences.all() if campaign is not None else []
        cadence = {c.channel_id: c.posts_per_week for c in stored if c.channel_id in kept}
    cadence = {int(k): int(v) for k, v in cadence.items() if v}
    if objective is not None and objective.workspace_id != workspace.pk:
        raise Invalid(
            _("This objective does not exist in this workspace."),
            fields={"objective": [_("This objective does not exist in this workspace.")]},
        )
    if any(c.workspace_id != workspace.pk for c in channels):
        raise Invalid(_("One of the channels does not exist in this workspace."))
    if set(cadence) - {c.pk for c in channels}:
        raise Invalid(
            _("A cadence is set for a channel the campaign does not use."),
            fields={"cadence": [_("Set a cadence only for the campaign's channels.")]},
        )
    if any(not 1 <= n <= 100 for n in cadence.values()):
        raise Invalid(
            _("A cadence is between 1 and 100 posts a week."),
            fields={"cadence": [_("A cadence is between 1 and 100 posts a week.")]},
        )
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid(
            _("The campaign must end on or after its first day."),
            fields={"ends_on": [_("The campaign must end on or after its first day.")]},
        )
    creating = campaign is None
    campaign = campaign or Campaign(workspace=workspace, created_by=actor)
    before, after = _diff(
        campaign,
        {
            "name": (name or "").strip(),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "objective": objective,
            "audience": audience,
            "tone": tone,
            "guidelines": guidelines,
            "colour": colour,
        },
    )
    # As for channels: the name's uniqueness is the database's to say (``_save_unique``), on
    # the name field, not as "Campaign with this Workspace and Name already exists".
    full_clean(campaign, validate_constraints=False)
    with transaction.atomic():
        _save_unique(campaign, _("A campaign with this name already exists."), "name")
        old_channels = (
            sorted(campaign.channels.values_list("pk", flat=True)) if not creating else []
        )
        campaign.channels.set(channels)
        old_cadence = dict(campaign.cadences.values_list("channel_id", "posts_per_week"))
        if old_cadence != cadence:
            campaign.cadences.all().delete()
            Cadence.objects.bulk_create(
                Cadence(campaign=campaign, channel_id=cid, posts_per_week=n)
                for cid, n in cadence.items()
            )
        new_channels = sorted(c.pk for c in channels)
        if old_channels != new_channels:
            before["channels"], after["channels"] = old_channels, new_channels
        if old_cadence != cadence:
            before["cadence"], after["cadence"] = old_cadence, cadence
        audit.record(
            workspace=workspace,
            actor=actor,
            action="campaign.create" if creating else "campaign.update",
            campaign=campaign,
            target=campaign.name,
            data={"before": before, "after": after} if not creating else {"after": after},
        )
    return campaign


# --- channels --------------------------------------------------------------------


def _masked(credentials: Mapping[str, Any]) -> dict[str, str]:
    return dict.fromkeys(credentials, _SECRET_HINT)


def _place(address: str) -> tuple:
    """An address as the network sees it: scheme and host in any case, a trailing
    slash or the default port make no difference."""
    try:
        url = httpx.URL(address)
    except httpx.InvalidURL:
        return (address,)
    return (url.scheme, url.host, url.port, url.path.rstrip("/"), url.query)


def _readdressed(adapter, stored: Mapping[str, Any], typed: Mapping[str, Any]) -> dict[str, Any]:
    """The credentials of a channel whose address changed: only what was typed in the
    same form. A stored token is never sent to a new host (a typo, or someone's
    server); whoever moves the channel types the secrets again."""
    missing = [key for key in adapter.credential_fields if stored.get(key) and key not in typed]
    if missing:
        message = _(
            "The address changed, so the stored secrets are not sent to it: type this "
            "again (or keep the old address)."
        )
        raise Invalid(message, fields={key: [message] for key in missing})
    return dict(typed)


def channel_save(
    *,
    actor: User,
    workspace: Workspace,
    channel: Channel | None = None,
    kind: str,
    name: str,
    handle: str = "",
    base_url: str | None = None,
    credentials: Mapping[str, Any] | None = None,
    verify: bool = True,
) -> Channel:
    """Connect a channel, or update one. ``credentials`` None keeps the stored ones;
    a credential left empty keeps its stored value (a form never echoes secrets) --
    unless the address they are sent to changes: then only what is typed is kept.
    ``base_url`` None keeps the channel's (a rename does not move it). New credentials
    of a network that is ``checked_on_connect`` are saved only once they work, unless
    ``verify`` is False (the demo, whose networks are not running yet)."""
    require(actor, workspace, Capability.CHANNEL_MANAGE)
    if kind not in ChannelKind.values:
        raise Invalid(_("Choose a network."), fields={"kind": [_("Choose a network.")]})
    creating = channel is None
    channel = channel or Channel(workspace=workspace)
    if not creating and channel.kind != kind:
        raise Invalid(_("A channel's network cannot change; connect a new channel instead."))
    if base_url is None:
        base_url = channel.base_url
    adapter = adapter_for(kind)
    stored = dict(channel.credentials or {})
    typed = {k: v for k, v in (credentials or {}).items() if v not in (None, "")}
    repointed = not creating and _place(adapter.destination(channel.base_url, stored)) != _place(
        adapter.destination(base_url, {**stored, **typed})
    )
    readdressed = bool(stored) and repointed
    moved = _readdressed(adapter, stored, typed) if readdressed else None
    before, after = _diff(
        channel,
        {
            "kind": kind,
            "name": (name or "").strip(),
            "handle": handle.strip(),
            "base_url": base_url,
        },
    )
    if moved is not None:
        before["credentials"], after["credentials"] = _masked(stored), _masked(moved)
        after["credentials_dropped"] = sorted(set(stored) - set(typed))
        channel.credentials = moved
        channel.connected_at = timezone.now()
        # The last test reached the old address: it says nothing about the new one.
        channel.last_checked_at, channel.last_check_ok, channel.last_check_message = None, False, ""
    elif credentials is not None:
        merged = dict(channel.credentials or {})
        for key, value in credentials.items():
            if value not in (None, ""):
                merged[key] = value
        if merged != (channel.credentials or {}):
            # A session, cached id or expiry learnt with the old credentials would
            # outlive them (a new Bluesky app password still using the old session).
            for key in adapter_for(kind).derived_credentials:
                if key not in credentials:
                    merged.pop(key, None)
        if merged != channel.credentials:
            before["credentials"] = _masked(channel.credentials or {})
            after["credentials"] = _masked(merged)
            channel.credentials = merged
            channel.connected_at = timezone.now()
    # The name's uniqueness is left to the database (``_save_unique``), which says it on
    # the name field rather than as "Channel with this Workspace and Name already exists".
    full_clean(channel, validate_constraints=False)
    if verify and adapter.checked_on_connect and (creating or "credentials" in after):
        _check_before_saving(adapter, channel)
    with transaction.atomic():
        _save_unique(channel, _("A channel with this name already exists."), "name")
        audit.record(
            workspace=workspace,
            actor=actor,
            action="channel.create" if creating else "channel.update",
            target=channel.name,
            data={"before": before, "after": after} if not creating else {"after": after},
        )
        if repointed:
            # What was approved was approved for the old destination: a person decides again.
            post_approvals_withdraw_for_channel(actor=actor, channel=channel)
    return channel


def _check_before_saving(adapter, channel: Channel) -> None:
    """Connect only credentials that work (Bluesky: the app password, and a handle that
    resolves to the account): a refusal is said on the form and nothing is saved. A
    session the test opens is not kept: the channel holds what was typed."""

    def session(http: httpx.Client) -> base.Session:
        return base.Session(
            kind=channel.kind,
            base_url=channel.base_url or adapter.default_base_url,
            handle=channel.handle,
            credentials=dict(channel.credentials),
            http=http,
        )

    result = checking.check(
        adapter,
        session,
        network=channel.get_kind_display(),
        seconds=float(settings.CHANNEL_CHECK_TIMEOUT_SECONDS),
    )
    if not result.ok:
        raise Invalid(result.message)
    channel.last_checked_at, channel.last_check_ok = timezone.now(), True
    channel.last_check_message = result.message[:500]


def channel_set_active(*, actor: User, channel: Channel, active: bool) -> Channel:
    """Disable a channel (its due publications then fail, see ``publishing.engine._start``)
    or enable it again."""
    require(actor, channel.workspace, Capability.CHANNEL_MANAGE)
    if channel.is_active == active:
        return channel
    with transaction.atomic():
        channel.is_active = active
        channel.save(update_fields=["is_active", "updated_at"])
        audit.record(
            workspace=channel.workspace,
            actor=actor,
            action="channel.enable" if active else "channel.disable",
            target=channel.name,
        )
    return channel


def channel_test_connection(*, actor: User, channel: Channel) -> CheckResult:
    """Ask the network whether the channel's credentials work, within
    CHANNEL_CHECK_TIMEOUT_SECONDS, and keep the answer on the channel.

    The network is called outside any transaction. Tokens it renews on the way are
    stored as the engine stores them; the rest of the channel is left as it is."""
    require(actor, channel.workspace, Capability.CHANNEL_MANAGE)
    seconds = float(settings.CHANNEL_CHECK_TIMEOUT_SECONDS)
    result = checking.check(
        adapter_for(channel.kind),
        lambda http: channel_session(channel, http),
        network=channel.get_kind_display(),
        seconds=seconds,
    )
    now = timezone.now()
    message = result.message[:500]
    with transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(
            last_checked_at=now, last_check_ok=result.ok, last_check_message=message
        )
        audit.record(
            workspace=channel.workspace,
            actor=actor,
            action="channel.test",
            target=channel.name,
            data={"ok": result.ok, "message": message},
        )
    channel.last_checked_at, channel.last_check_ok = now, result.ok
    channel.last_check_message = message
    return result


def label_get_or_create(*, actor: User, workspace: Workspace, name: str) -> Label:
    require(actor, workspace, Capability.POST_CREATE)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise Invalid(_("A label has 1 to 60 characters."))
    label = Label.objects.filter(workspace=workspace, name__iexact=name).first()
    if label is None:
        label = Label.objects.create(workspace=workspace, name=name)
    return label
