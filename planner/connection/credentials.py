"""One worker at a time renews a channel's credentials: the channel's row lock.

A renewal is "read the stored credentials -> ask the network -> store the answer".
With a single-use, rotating refresh token (X), two workers doing that at once send
the same refresh token twice, and the network revokes the grant. So the renewal runs
while holding ``SELECT ... FOR UPDATE`` on the channel's row, and reads the
credentials again once it holds it.

Why a PostgreSQL row lock rather than a Redis lock: the lock and the credentials live
in the same row, so the re-read, the renewal and the write are one transaction; the
lock ends with the holder's transaction or connection (a killed worker cannot leave
it held, and there is no time-to-live to guess, which a slow token endpoint could
outlast and let a second worker in with the used-up token). The cost: one database
transaction stays open for the length of one token call (bounded by the HTTP
client's timeouts). Other writes to the channel wait that long; sends do not, since
the engine only locks the channel when it marks it disconnected.

SQLite (the first-run default) has no row locks: there the lock serialises nothing,
which a single-process first run does not need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from django.db import transaction

from planner.channels import base
from planner.channels.registry import adapter_for
from planner.connection.clients import app_for
from planner.models import Channel
from planner.models.channels import ConnectedWith


@contextmanager
def channel_renewal_lock(channel_id: int) -> Iterator[Mapping[str, Any]]:
    """Hold the channel's lock; give its credentials as stored now. Credentials
    stored inside (``channel_store_credentials``) are committed when it ends."""
    with transaction.atomic():
        channel = (
            Channel.objects.select_for_update(of=("self",)).only("credentials").get(pk=channel_id)
        )
        yield dict(channel.credentials or {})


def channel_store_credentials(*, channel_id: int, credentials: Mapping[str, Any]) -> None:
    """Merge renewed tokens into a channel's stored credentials, under lock.

    A value given empty never replaces a stored one (a token refresh that
    returns no new refresh token keeps the old)."""
    kept = {k: v for k, v in credentials.items() if v not in (None, "")}
    if not kept:
        return
    with transaction.atomic():
        channel = Channel.objects.select_for_update(of=("self",)).get(pk=channel_id)
        channel.credentials = {**(channel.credentials or {}), **kept}
        channel.access_expires_at = access_expires_at(channel)
        channel.save(update_fields=["credentials", "access_expires_at", "updated_at"])


def access_expires_at(channel: Channel) -> datetime | None:
    """When the channel's stored credentials stop working unless renewed (the adapter
    says, from what the network told at the last renewal)."""
    expiry = adapter_for(channel.kind).access_expiry(channel.credentials or {})
    if expiry.at is None:
        return None
    return datetime.fromtimestamp(expiry.at, tz=UTC)


def channel_base_session(channel: Channel, http: httpx.Client) -> base.Session:
    """A channel's session: its address and credentials; renewed tokens are stored,
    one worker at a time (``channel_renewal_lock``)."""
    adapter = adapter_for(channel.kind)
    return base.Session(
        kind=channel.kind,
        base_url=channel.base_url or adapter.default_base_url,
        handle=channel.handle,
        credentials=dict(channel.credentials or {}),
        http=http,
        save_credentials=lambda new: channel_store_credentials(
            channel_id=channel.pk, credentials=new
        ),
        renewal_lock=lambda: channel_renewal_lock(channel.pk),
        oauth_client=oauth_client(channel),
    )


def oauth_client(channel: Channel) -> base.OAuthClient | None:
    """The operator's app a channel connected with the sign-in renews its tokens with
    (settings.OAUTH_APPS, read now: a rotated secret takes effect at once); None for a
    channel whose tokens were pasted (their own client id/secret are in its credentials)
    or when the network's app is no longer configured."""
    if channel.connected_with != ConnectedWith.OAUTH:
        return None
    app = app_for(channel.kind)
    if app is None:
        return None
    return base.OAuthClient(app.client_id, app.client_secret, app.token_url)
