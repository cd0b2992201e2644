"""Bearer tokens and the signed-in session, as DRF authentication classes.

A valid token of the session's own person is the only credential that stands in for
a second factor (the two-factor middleware lets it through, see ``bearer_owner_id``);
a session alone is accepted only once verified wherever its person has or needs a
second factor, and a token cannot be used to get a session."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.models import Membership
from accounts.selectors import current_membership
from accounts.two_factor import two_factor_state
from api.access import ApiAccess
from api.models import TOKEN_PREFIX, ApiToken

# last_used_at is written at most this often per token: one UPDATE a minute, not one
# per request.
TOUCH_EVERY = dt.timedelta(minutes=1)


def _refused() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(
        _(
            "This token is not valid: it may be wrong, revoked or expired, or its owner "
            "may no longer be a member of its workspace."
        )
    )


def _usable_token(secret: str) -> ApiToken | None:
    """The token of this secret, if it works now (its owner active and still a member)."""
    if not secret.startswith(TOKEN_PREFIX) or " " in secret:
        return None
    role = Membership.objects.filter(
        user_id=OuterRef("user_id"), workspace_id=OuterRef("workspace_id")
    ).values("role")[:1]
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .annotate(role=Subquery(role))
        .filter(token_hash=ApiToken.hash_token(secret))
        .first()
    )
    if token is None or not token.is_usable(timezone.now()) or token.role is None:
        return None
    return token if token.user.is_active else None


def bearer_owner_id(request) -> int | None:
    """Whose valid token this request carries as ``Authorization: Bearer …`` (else None)."""
    keyword, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if keyword.lower() != BearerTokenAuthentication.keyword.lower():
        return None
    token = _usable_token(secret.strip())
    return token.user_id if token else None


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _space, secret = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        token = _usable_token(secret.strip())
        if token is None:
            raise _refused()
        user, now = token.user, timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # Messages in the owner's language (no session, so no middleware did it).
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
        return user, ApiAccess(workspace=token.workspace, role=token.role, token=token)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class WorkspaceSessionAuthentication(authentication.SessionAuthentication):
    """The signed-in person (CSRF enforced), in their current workspace: what lets the
    interactive documentation try the API without a token. A session without its second
    factor is refused when its person has or needs one: a password alone opens nothing."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user = found[0]
        if not user.is_verified() and any(two_factor_state(user)):
            raise exceptions.AuthenticationFailed(
                _(
                    "This session has not given its second factor: finish signing in, or "
                    "authenticate with an API token."
                )
            )
        membership = current_membership(user)
        if membership is None:
            return user, ApiAccess(workspace=None, role=None)
        return user, ApiAccess(workspace=membership.workspace, role=membership.role)
