"""Bearer tokens and the signed-in session, as DRF authentication classes.

Token requests never touch the session, so the two-factor middleware (which guards
sessions) does not stand in their way, and a token cannot be used to get one."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.models import Membership
from accounts.selectors import current_membership
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


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _space, secret = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        secret = secret.strip()
        if not secret.startswith(TOKEN_PREFIX) or " " in secret:
            raise _refused()
        role = Membership.objects.filter(
            user_id=OuterRef("user_id"), workspace_id=OuterRef("workspace_id")
        ).values("role")[:1]
        token = (
            ApiToken.objects.select_related("user", "workspace")
            .annotate(role=Subquery(role))
            .filter(token_hash=ApiToken.hash_token(secret))
            .first()
        )
        now = timezone.now()
        if token is None or not token.is_usable(now) or token.role is None:
            raise _refused()
        user = token.user
        if not user.is_active:
            raise _refused()
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
    interactive documentation try the API without a token."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user = found[0]
        membership = current_membership(user)
        if membership is None:
            return user, ApiAccess(workspace=None, role=None)
        return user, ApiAccess(workspace=membership.workspace, role=membership.role)
