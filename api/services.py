"""Writing personal API tokens: made and revoked by their owner, both audited.

The token's text is returned once, by ``api_token_create``; only its SHA-256 is kept,
and the audit trail records its name and prefix, never the secret."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from accounts.permissions import Capability
from api.models import TOKEN_PREFIX, ApiToken
from planner import audit
from planner.access import require
from planner.errors import Conflict, Invalid, NotFound

NAME_MAX = 100
PREFIX_LENGTH = 12  # "mln_" and 8 random characters: enough to tell tokens apart


def _new_secret() -> str:
    # 32 random bytes are 43 url-safe characters.
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_create(
    *,
    actor: User,
    workspace: Workspace,
    name: str,
    expires_at: datetime | None = None,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """A token for ``actor`` in ``workspace``. Every member may make one: what it can
    do is still their role's, read at each request."""
    require(actor, workspace, Capability.VIEW)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        message = _("Give the token a name of 1 to %(n)s characters.") % {"n": NAME_MAX}
        raise Invalid(message, fields={"name": [message]})
    if expires_at is not None and expires_at <= timezone.now():
        message = _("Choose an expiry in the future, or none.")
        raise Invalid(message, fields={"expires_at": [message]})
    plaintext = _new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            workspace=workspace,
            name=name,
            token_hash=ApiToken.hash_token(plaintext),
            prefix=plaintext[:PREFIX_LENGTH],
            expires_at=expires_at,
            read_only=read_only,
        )
        audit.record(
            workspace=workspace,
            actor=actor,
            action="api_token.create",
            target=name,
            data={
                "token": token.pk,
                "prefix": token.prefix,
                "expires_at": expires_at,
                "read_only": read_only,
            },
        )
    return token, plaintext


def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working at once."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .select_related("workspace")
            .filter(pk=token_id, user=actor)
            .first()
        )
        if token is None:
            raise NotFound(_("This token does not exist."))
        if token.revoked_at is not None:
            raise Conflict(_("This token was already revoked."))
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            workspace=token.workspace,
            actor=actor,
            action="api_token.revoke",
            target=token.name,
            data={"token": token.pk, "prefix": token.prefix},
        )
    return token
