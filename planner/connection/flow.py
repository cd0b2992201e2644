"""Connect and Reconnect: the network's sign-in, then the channels it adds or renews.

1. ``begin``: a random ``state`` (its SHA-256 kept on a ``PendingConnection`` bound to
   the admin, the workspace and the browser session), a PKCE verifier where the network
   takes one, and the address of the network's consent page.
2. ``complete`` (the callback): the state is checked and spent (one use, within
   CONNECT_PENDING_SECONDS), a refusal on the consent page is said plainly, the code is
   exchanged and the accounts the tokens reach are read; they wait, encrypted, on the
   pending row. A Reconnect must come back with the channel's own account: its
   credentials are replaced there and then, everything else about it is kept.
3. ``choose``: the accounts the admin ticks become channels (one consent may add
   several), in one transaction: a taken name or an account already connected refuses
   the whole choice, and the pending row stays for a second try.

The network is called outside any transaction. Only admins (CHANNEL_MANAGE) get
through, at each step (a role may change in between).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from accounts.permissions import Capability
from planner import audit
from planner.access import full_clean, require
from planner.channels.authorization import SPECS, OAuthSpec, spec_for_kind
from planner.connection import discovery, mastodon_apps
from planner.connection.clients import NetworkApp, app_for, callback_url
from planner.errors import Conflict, Invalid, NotFound
from planner.models import Channel, ConnectedWith, PendingConnection

# The session keeps the ids of the connections it started, and nothing else.
SESSION_KEY = "maillon_connect_pending"
_MASK = "••••"


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _app(network: str, server: str = "") -> NetworkApp:
    """The app to sign in with: the operator's, or Maillon's own on the ``server`` typed
    (a network whose every server registers its apps: Mastodon)."""
    if network not in SPECS:
        raise NotFound(_("Maillon has no sign-in for this network."))
    if SPECS[network].per_server:
        return mastodon_apps.network_app(mastodon_apps.server_address(server))
    app = app_for(network)
    if app is None:
        raise Invalid(
            _(
                "%(network)s is not set up on this Maillon: its operator must register an "
                "app first (see below), or connect with a token."
            )
            % {"network": SPECS[network].label}
        )
    return app


def session_ids(session: Mapping[str, Any]) -> list[str]:
    ids = session.get(SESSION_KEY) or []
    return [str(i) for i in ids] if isinstance(ids, list) else []


@dataclass(frozen=True)
class Begun:
    url: str  # the network's consent page
    pending: PendingConnection


def begin(
    *,
    actor: User,
    workspace: Workspace,
    network: str,
    channel: Channel | None = None,
    server: str = "",
) -> Begun:
    """Start a sign-in; the caller adds ``pending.id`` to the session (``remember``).
    ``server``: the server typed, for a network of many servers (a Reconnect uses the
    channel's own)."""
    require(actor, workspace, Capability.CHANNEL_MANAGE)
    if channel is not None and SPECS.get(network) and SPECS[network].per_server:
        server = channel.base_url
    app = _app(network, server)
    if channel is not None:
        if channel.workspace_id != workspace.pk:
            raise NotFound(_("This channel does not exist."))
        if spec_for_kind(channel.kind) is not app.spec:
            raise Invalid(_("This channel's network has no sign-in to reconnect with."))
    now = timezone.now()
    # Sign-ins never finished by this admin are dropped as they expire.
    PendingConnection.objects.filter(user=actor, expires_at__lt=now).delete()
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64) if app.spec.pkce else ""
    pending = PendingConnection.objects.create(
        user=actor,
        workspace=workspace,
        network=network,
        channel=channel,
        state_digest=_digest(state),
        secret={"verifier": verifier, "server": app.api_url if app.spec.per_server else ""},
        expires_at=now + timedelta(seconds=settings.CONNECT_PENDING_SECONDS),
    )
    url = discovery.authorize_url(
        app, redirect_uri=callback_url(network), state=state, verifier=verifier
    )
    return Begun(url=url, pending=pending)


def remember(session, pending: PendingConnection) -> None:
    """Bind the sign-in to this browser session (its id only; never a token)."""
    kept = [i for i in session_ids(session) if i != str(pending.id)][-9:]
    session[SESSION_KEY] = [*kept, str(pending.id)]


def forget(session, pending_id: str) -> None:
    session[SESSION_KEY] = [i for i in session_ids(session) if i != str(pending_id)]


def _not_here() -> Invalid:
    return Invalid(
        _(
            "This sign-in was not started from this browser, or it has expired. Nothing was "
            "connected: click Connect again."
        )
    )


@dataclass(frozen=True)
class Completed:
    pending: PendingConnection | None  # accounts to choose from (a Connect)
    channel: Channel | None = None  # the channel renewed (a Reconnect)


def complete(
    *,
    actor: User,
    workspace: Workspace,
    network: str,
    params: Mapping[str, str],
    session: Collection[str],
) -> Completed:
    """The network sent the browser back with ``params`` (``code`` and ``state``, or
    ``error``). ``session``: the pending ids this browser session started."""
    require(actor, workspace, Capability.CHANNEL_MANAGE)
    if network not in SPECS:
        raise NotFound(_("Maillon has no sign-in for this network."))
    state = str(params.get("state") or "")
    pending = (
        PendingConnection.objects.filter(
            state_digest=_digest(state),
            network=network,
            user=actor,
            workspace=workspace,
            expires_at__gt=timezone.now(),
        ).first()
        if state
        else None
    )
    if pending is None or str(pending.id) not in session:
        raise _not_here()
    # One use: whatever follows, this state is spent.
    if not PendingConnection.objects.filter(
        pk=pending.pk, state_digest=pending.state_digest
    ).update(state_digest=""):
        raise _not_here()
    try:
        app = _app(network, str(pending.secret.get("server") or ""))
    except Invalid:
        pending.delete()
        raise
    error = str(params.get("error") or "")
    code = str(params.get("code") or "")
    if error or not code:
        pending.delete()
        if error == "access_denied":
            raise Invalid(
                _("You did not allow Maillon on %(network)s's page: nothing was connected.")
                % {"network": app.spec.label}
            )
        said = str(params.get("error_description") or error or _("no code"))[:200]
        raise Invalid(
            _("%(network)s did not sign you in (%(said)s): nothing was connected.")
            % {"network": app.spec.label, "said": said}
        )
    try:
        token = discovery.exchange_code(
            app,
            code=code,
            redirect_uri=callback_url(network),
            verifier=str(pending.secret.get("verifier") or ""),
        )
        found = discovery.accounts(app, token)
    except Invalid:
        pending.delete()
        raise
    if pending.channel_id:
        channel = _reconnect(actor, pending, app, found)
        return Completed(pending=None, channel=channel)
    if not found:
        pending.delete()
        raise Invalid(
            _(
                "This %(network)s sign-in reaches no account Maillon can publish to. Check "
                "that you manage the pages you want, then click Connect again."
            )
            % {"network": app.spec.label}
        )
    pending.secret = {
        "accounts": [account.as_dict() for account in found],
        "base_url": app.api_url if app.test_server else "",
    }
    pending.save(update_fields=["secret"])
    return Completed(pending=pending)


def _reconnect(
    actor: User, pending: PendingConnection, app: NetworkApp, found: list[discovery.Account]
) -> Channel:
    channel = Channel.objects.get(pk=pending.channel_id)
    known = account_of(channel)
    same = next((a for a in found if a.kind == channel.kind and a.account_id == known), None)
    of_kind = [a for a in found if a.kind == channel.kind]
    if not known and len(of_kind) == 1:
        # A channel connected with pasted tokens may not say whose they were: the one
        # account of its kind this sign-in reaches is the admin's explicit answer.
        same = of_kind[0]
    if same is None:
        pending.delete()
        raise Invalid(
            _(
                "You signed in to %(network)s as another account than the one %(name)s "
                "publishes to. Nothing was changed: sign in to %(network)s as that account "
                "(sign out there first), then click Reconnect again."
            )
            % {"network": app.spec.label, "name": channel.name}
        )
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        before = {
            "credentials": _masked(locked.credentials or {}),
            "disconnected_at": locked.disconnected_at.isoformat()
            if locked.disconnected_at
            else None,
            "disconnected_reason": locked.disconnected_reason,
        }
        _apply(locked, same, app.api_url if app.test_server else "")
        locked.save()
        audit.record(
            workspace=pending.workspace,
            actor=actor,
            action="channel.reconnect",
            target=locked.name,
            data={
                "before": before,
                "after": {
                    "credentials": _masked(locked.credentials),
                    "account_id": same.account_id,
                },
            },
        )
        pending.delete()
    return locked


# Where a channel connected with pasted tokens keeps the network's id of its account.
ACCOUNT_CREDENTIAL = {
    "x": "user_id",
    "linkedin": "author_urn",
    "facebook": "page_id",
    "instagram": "ig_user_id",
    "threads": "threads_user_id",
}


def account_of(channel: Channel) -> str:
    """The network's id of the channel's account: the one a sign-in stored, else the one
    its credentials name; '' when neither says."""
    if channel.account_id:
        return channel.account_id
    key = ACCOUNT_CREDENTIAL.get(channel.kind, "")
    return str((channel.credentials or {}).get(key) or "") if key else ""


def _apply(channel: Channel, account: discovery.Account, base_url: str) -> None:
    """The account's credentials and connection fields on a channel (new or reconnected)."""
    channel.credentials = dict(account.credentials)
    channel.connected_with = ConnectedWith.OAUTH
    channel.account_id = account.account_id
    channel.access_expires_at = (
        timezone.now() + timedelta(seconds=account.expires_in) if account.expires_in else None
    )
    channel.disconnected_at = None
    channel.disconnected_reason = ""
    channel.connected_at = timezone.now()
    # The last test spoke of the old credentials.
    channel.last_checked_at, channel.last_check_ok, channel.last_check_message = None, False, ""
    if base_url:  # a test server's address (settings' *_API_URL)
        channel.base_url = base_url


def _masked(credentials: Mapping[str, Any]) -> dict[str, str]:
    return {key: _MASK for key, value in credentials.items() if value not in (None, "")}


@dataclass(frozen=True)
class Choice:
    """One account found by the consent, as the choose page shows it."""

    index: int
    account: discovery.Account
    existing: Channel | None  # the channel already publishing to it, in this workspace


def pending_for(
    *, actor: User, workspace: Workspace, pending_id: str, session: Collection[str]
) -> PendingConnection:
    require(actor, workspace, Capability.CHANNEL_MANAGE)
    pending = (
        PendingConnection.objects.filter(
            pk=pending_id,
            user=actor,
            workspace=workspace,
            state_digest="",
            channel__isnull=True,
            expires_at__gt=timezone.now(),
        ).first()
        if _is_uuid(pending_id)
        else None
    )
    if pending is None or str(pending.id) not in session or not pending.secret.get("accounts"):
        raise NotFound(_("This sign-in has expired or was not started here: click Connect again."))
    return pending


def choices(pending: PendingConnection) -> list[Choice]:
    found = [discovery.Account(**raw) for raw in pending.secret.get("accounts") or []]
    spec = SPECS[pending.network]
    kinds = spec.kinds
    # A Mastodon account's id is its server's: the same id elsewhere is another account.
    base_url = str(pending.secret.get("base_url") or "") if spec.per_server else ""
    existing = {
        (c.kind, c.base_url if spec.per_server else "", account_of(c)): c
        for c in Channel.objects.filter(workspace=pending.workspace, kind__in=kinds)
    }
    return [
        Choice(index=i, account=a, existing=existing.get((a.kind, base_url, a.account_id)))
        for i, a in enumerate(found)
    ]


def choose(*, actor: User, pending: PendingConnection, picks: Mapping[int, str]) -> list[Channel]:
    """Make a channel of each picked account (index -> the name typed for it)."""
    require(actor, pending.workspace, Capability.CHANNEL_MANAGE)
    offered = choices(pending)
    if not picks:
        raise Invalid(_("Tick at least one account to connect."))
    fields: dict[str, list[str]] = {}
    made: list[Channel] = []
    names = [str(name or "").strip() for name in picks.values()]
    for index, typed in zip(picks, names, strict=True):
        if index not in range(len(offered)):
            raise Invalid(_("Choose among the accounts this sign-in found."))
        choice = offered[index]
        if choice.existing is not None:
            fields[f"name-{index}"] = [
                _("Already connected as %(name)s: use Reconnect on the Channels page.")
                % {"name": choice.existing.name}
            ]
        elif not typed:
            fields[f"name-{index}"] = [_("Give the channel a name.")]
        elif names.count(typed) > 1:
            fields[f"name-{index}"] = [_("Two channels cannot have the same name.")]
    if fields:
        raise Invalid(next(iter(fields.values()))[0], fields=fields)
    base_url = str(pending.secret.get("base_url") or "")
    try:
        with transaction.atomic():
            # A second submit of the same choice (a double click) waits here, then finds
            # the sign-in used up.
            if not PendingConnection.objects.select_for_update().filter(pk=pending.pk).exists():
                raise NotFound(
                    _("This sign-in has expired or was not started here: click Connect again.")
                )
            for index, name in zip(picks, names, strict=True):
                account = offered[index].account
                channel = Channel(
                    workspace=pending.workspace, kind=account.kind, name=name, handle=account.handle
                )
                _apply(channel, account, base_url)
                full_clean(channel, validate_constraints=False)
                channel.save()
                audit.record(
                    workspace=pending.workspace,
                    actor=actor,
                    action="channel.create",
                    target=channel.name,
                    data={
                        "after": {
                            "kind": channel.kind,
                            "name": channel.name,
                            "handle": channel.handle,
                            "connected_with": ConnectedWith.OAUTH,
                            "account_id": channel.account_id,
                            "credentials": _masked(channel.credentials),
                        }
                    },
                )
                made.append(channel)
            pending.delete()
    except IntegrityError:
        # Another admin connected one of these accounts meanwhile (the account constraint),
        # or took one of the names.
        again = [c for c in choices(pending) if c.existing is not None]
        if fields := {
            f"name-{c.index}": [
                _("Already connected as %(name)s: use Reconnect on the Channels page.")
                % {"name": c.existing.name}
            ]
            for c in again
            if c.index in picks
        }:
            raise Conflict(next(iter(fields.values()))[0], fields=fields) from None
        taken = set(
            Channel.objects.filter(workspace=pending.workspace, name__in=names).values_list(
                "name", flat=True
            )
        )
        message = _("A channel with this name already exists.")
        fields = {f"name-{i}": [message] for i, n in zip(picks, names, strict=True) if n in taken}
        raise Conflict(message, fields=fields) from None
    return made


def spec_of(pending: PendingConnection) -> OAuthSpec:
    return SPECS[pending.network]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
