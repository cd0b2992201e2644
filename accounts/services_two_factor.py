"""Every write about signing in: two-factor enrolment and removal, recovery codes,
resets by an admin or an operator, unlocking a locked-out member, ending sessions,
a password reset.

Each change is audited in every workspace the person belongs to, since one
account opens them all. No secret, code or recovery code is ever written there.

"Sign out everywhere", a password reset and a second-factor reset are what a person
does when someone else may hold their password or their phone. Sessions are not the
only thing such a person could have made: API tokens and feed links outlive a
session, so those events revoke them too (``_end_access``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from accounts.models import Membership, User, Workspace
from accounts.permissions import Capability
from accounts.two_factor import (
    RECOVERY_CODE_COUNT,
    needs_two_factor,
    pending_totp_device,
    totp_device,
    workspaces_beyond,
)
from planner import audit
from planner.access import require
from planner.errors import Conflict, Invalid, NotAllowed, NotFound


def _record_everywhere(*, user: User, actor: User | None, action: str, data=None) -> None:
    workspaces = Workspace.objects.filter(memberships__user=user).order_by("pk")
    for workspace in workspaces:
        audit.record(
            workspace=workspace, actor=actor, action=action, target=user.email, data=data or {}
        )


def _clean_token(token: str) -> str:
    return "".join((token or "").split()).replace("-", "").lower()


def _wrong_code() -> Invalid:
    message = _("This code is not right. Type the 6 digits your app shows now.")
    return Invalid(message, fields={"token": [message]})


def _end_sessions(user: User) -> None:
    # Every session's stored hash stops matching: each ends at its next request.
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def _end_access(user: User) -> dict[str, int]:
    """End the sessions, API tokens and feed links of the person, in every workspace.
    Returns how many tokens and links were revoked, for the audit trail."""
    # Imported here: accounts is below api and planner, whose models point back at it.
    from api.models import ApiToken
    from planner.models import FeedLink

    _end_sessions(user)
    now = timezone.now()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    links = FeedLink.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    return {"api_tokens_revoked": tokens, "feed_links_revoked": links}


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


# --- enrolment ----------------------------------------------------------------------


def two_factor_begin(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled: the same secret until its first code is typed."""
    if totp_device(user) is not None:
        raise Conflict(_("Two-factor sign-in is already on for your account."))
    pending = pending_totp_device(user)
    if pending is not None:
        return pending
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def two_factor_enable(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it, and make the recovery
    codes. Returns the device and the codes, which are shown once and never again."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise Conflict(_("Start again: the setup page gives you a new secret."))
        allowed, _info = device.verify_is_allowed()
        if not allowed or not device.verify_token(_clean_token(token)):
            raise _wrong_code()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _new_recovery_codes(user)
        _record_everywhere(user=user, actor=user, action="two_factor.enable")
    return device, codes


def two_factor_regenerate_codes(*, user: User) -> list[str]:
    """New recovery codes; the previous ones stop working."""
    with transaction.atomic():
        if totp_device(user) is None:
            raise Conflict(_("Turn on two-factor sign-in first."))
        codes = _new_recovery_codes(user)
        _record_everywhere(user=user, actor=user, action="two_factor.codes_regenerated")
    return codes


def two_factor_disable(*, user: User, token: str) -> None:
    """Turn two-factor sign-in off, with a current code; refused while a workspace
    requires it of the person's role."""
    if needs_two_factor(user):
        if user.is_staff or user.is_superuser:
            raise Conflict(
                _(
                    "Staff access to the Django admin requires two-factor sign-in: it "
                    "cannot be turned off."
                )
            )
        raise Conflict(
            _(
                "A workspace you belong to requires two-factor sign-in for your role: it "
                "cannot be turned off."
            )
        )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise Conflict(_("Two-factor sign-in is already off."))
        if not device.verify_token(_clean_token(token)):
            raise _wrong_code()
        _remove_devices(user)
        _record_everywhere(user=user, actor=user, action="two_factor.disable")


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# --- signing in with the second factor -------------------------------------------------


@dataclass(frozen=True)
class Verification:
    device: Device | None = None
    wait_seconds: int = 0  # > 0: throttled after wrong codes, try again after this

    @property
    def ok(self) -> bool:
        return self.device is not None


def two_factor_verify(*, user: User, token: str) -> Verification:
    """Check a code from the app (6 digits) or a recovery code (used up when it works).

    Each device throttles its own wrong codes (django-otp's exponential back-off).
    """
    token = _clean_token(token)
    if not token:
        return Verification()
    with transaction.atomic():
        model = TOTPDevice if token.isdigit() else StaticDevice
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return Verification()
        allowed, info = device.verify_is_allowed()
        if not allowed:
            until = (info or {}).get("locked_until")
            wait = (until - timezone.now()).total_seconds() if until else 1
            return Verification(wait_seconds=max(1, math.ceil(wait)))
        if device.verify_token(token):
            return Verification(device=device)
    return Verification()


# --- admins and operators -------------------------------------------------------------


def _member(workspace: Workspace, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound(_("This member does not exist in this workspace."))
    return membership


def require_admin_wherever_guarded(actor: User, member: User, command: str) -> None:
    """An admin of one workspace may not reset or unlock someone whose role elsewhere
    needs a second factor: that would open the other workspace to whoever holds the
    person's password. Only an admin of every such workspace may; otherwise the
    server's operator, with ``command``."""
    beyond = workspaces_beyond(actor, [member.pk]).get(member.pk)
    if beyond:
        raise NotAllowed(
            _(
                "%(email)s also has a role that needs a second factor in %(workspaces)s, "
                "where you are not an admin. An admin of every one of those workspaces can "
                "do it, or the server's operator with “%(command)s”."
            )
            % {"email": member.email, "workspaces": ", ".join(beyond), "command": command}
        )


TWO_FACTOR_RESET_COMMAND = "manage.py two_factor_reset <email>"
LOGIN_UNLOCK_COMMAND = "manage.py login_unlock <email>"


def two_factor_reset(*, actor: User, workspace: Workspace, membership_id: int) -> User:
    """A lost phone: remove a member's second factor and end their sessions, API tokens
    and feed links; they enrol again at their next sign-in (if their role needs it)."""
    require(actor, workspace, Capability.MEMBER_MANAGE)
    member = _member(workspace, membership_id).user
    require_admin_wherever_guarded(actor, member, TWO_FACTOR_RESET_COMMAND)
    with transaction.atomic():
        _remove_devices(member)
        ended = _end_access(member)
        _record_everywhere(
            user=member,
            actor=actor,
            action="two_factor.reset",
            data={"by": actor.email, **ended},
        )
    return member


def two_factor_reset_by_operator(*, email: str) -> tuple[User, dict[str, int]]:
    """The same, from the server (``manage.py two_factor_reset``): no actor. Returns the
    person and how many API tokens and feed links were revoked."""
    member = User.objects.filter(email__iexact=(email or "").strip()).first()
    if member is None:
        raise NotFound(_("No account has this email address."))
    with transaction.atomic():
        _remove_devices(member)
        ended = _end_access(member)
        _record_everywhere(
            user=member, actor=None, action="two_factor.reset", data={"by": "operator", **ended}
        )
    return member, ended


def login_unlock(*, actor: User, workspace: Workspace, membership_id: int) -> User:
    """Let a locked-out member try to sign in again before the lockout ends."""
    require(actor, workspace, Capability.MEMBER_MANAGE)
    member = _member(workspace, membership_id).user
    require_admin_wherever_guarded(actor, member, LOGIN_UNLOCK_COMMAND)
    with transaction.atomic():
        if not lockout.unlock(member.email):
            raise Conflict(_("%(email)s is not locked out.") % {"email": member.email})
        _record_everywhere(user=member, actor=actor, action="login.unlock")
    return member


def login_unlock_by_operator(*, email: str) -> User:
    """The same, from the server (``manage.py login_unlock``): no actor."""
    member = User.objects.filter(email__iexact=(email or "").strip()).first()
    if member is None:
        raise NotFound(_("No account has this email address."))
    with transaction.atomic():
        if not lockout.unlock(member.email):
            raise Conflict(_("%(email)s is not locked out.") % {"email": member.email})
        _record_everywhere(user=member, actor=None, action="login.unlock", data={"by": "operator"})
    return member


# --- sessions -------------------------------------------------------------------------


def user_sign_out_everywhere(*, user: User) -> None:
    """End every session of the person, on every device, this one included, and revoke
    their API tokens and feed links."""
    with transaction.atomic():
        ended = _end_access(user)
        _record_everywhere(user=user, actor=user, action="session.sign_out_all", data=ended)


def user_password_set_by_staff(*, actor: User, user: User, password: str | None) -> None:
    """A new password given in the Django admin (validated by its form), or none
    (``None``: signing in by password is disabled). As after a reset, whoever knew the old
    one loses what they may have made: sessions, API tokens and feed links end."""
    if not (actor.is_staff and actor.has_perm("accounts.change_user")):
        raise NotAllowed(_("Only staff who may change people can set a password."))
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        ended = _end_access(user)
        _record_everywhere(user=user, actor=actor, action="password.set_by_staff", data=ended)


def user_password_reset(*, user: User, password: str) -> None:
    """The new password from an emailed reset link (already validated by the form).
    Whoever knew the old one may have made sessions, tokens and feed links: all end."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        ended = _end_access(user)
        _record_everywhere(user=user, actor=user, action="password.reset", data=ended)
