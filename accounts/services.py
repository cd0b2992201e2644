"""Every write to users, workspaces, memberships and invitations."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts import chat_webhooks
from accounts.models import (
    ChatWebhookKind,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    User,
    Workspace,
    invitation_expiry,
)
from accounts.permissions import Capability
from planner import audit, calendar_cache
from planner.access import full_clean, require
from planner.errors import Conflict, Invalid, NotAllowed, NotFound


def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    time_zone: str = "Europe/Paris",
    language: str = "en",
) -> User:
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            _("A user with this email address already exists."),
            fields={"email": [_("A user with this email address already exists.")]},
        )
    user = User(email=email, full_name=full_name, time_zone=time_zone, language=language)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise Invalid(exc.messages[0], fields={"password": list(exc.messages)}) from None
    user.set_password(password)
    full_clean(user, exclude=["password"])
    user.save()
    return user


def workspace_create(*, owner: User, name: str, time_zone: str = "Europe/Paris") -> Workspace:
    """Create a workspace whose first member is its admin."""
    name = (name or "").strip()
    base = slugify(name)[:50] or "workspace"
    for n in range(1, 50):
        slug = base if n == 1 else f"{base}-{n}"
        if Workspace.objects.filter(slug=slug).exists():
            continue
        workspace = Workspace(name=name, slug=slug, time_zone=time_zone)
        full_clean(workspace, validate_unique=False)
        try:
            with transaction.atomic():
                workspace.save()
                Membership.objects.create(user=owner, workspace=workspace, role=Role.ADMIN)
                owner.current_workspace = workspace
                owner.save(update_fields=["current_workspace"])
                audit.record(
                    workspace=workspace, actor=owner, action="workspace.create", target=name
                )
        except IntegrityError:
            continue  # someone took the slug between the check and the insert
        return workspace
    raise Conflict(_("Too many workspaces share this name; choose another."))


# The bounds a setting may take (the model holds the lower ones as constraints).
SETTING_BOUNDS: dict[str, tuple[int, int]] = {
    "late_cutoff_minutes": (1, 24 * 60),
    "approval_reminder_hours": (1, 30 * 24),
    "at_risk_hours": (1, 30 * 24),
}


def _check_bounds(values: dict[str, int | None]) -> None:
    for key, value in values.items():
        low, high = SETTING_BOUNDS[key]
        if value is not None and not low <= value <= high:
            message = _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            raise Invalid(message, fields={key: [message]})


def _webhook(
    current: Workspace, kind: str | None, url: str | None
) -> tuple[str | None, str | None]:
    """The chat webhook's kind and address after the change, checked.

    No kind turns the webhook off and forgets its address (a secret kept for nothing);
    ``url`` None keeps the stored address, since the settings form never shows it back.
    """
    if kind is None and url is None:
        return None, None
    kind = current.notify_webhook_kind if kind is None else kind
    url = current.notify_webhook_url if url is None else url.strip()
    if kind and kind not in ChatWebhookKind.values:
        message = _("Choose Slack, Discord, Microsoft Teams or none.")
        raise Invalid(message, fields={"notify_webhook_kind": [message]})
    if not kind:
        return "", ""
    unchanged = (kind, url) == (current.notify_webhook_kind, current.notify_webhook_url)
    if not unchanged and (problem := chat_webhooks.webhook_url_problem(kind, url)):
        raise Invalid(problem, fields={"notify_webhook_url": [problem]})
    return kind, url


def _shown(key: str, value):
    return chat_webhooks.masked(value) if key == "notify_webhook_url" else value


def workspace_update_settings(
    *,
    actor: User,
    workspace: Workspace,
    name: str | None = None,
    time_zone: str | None = None,
    late_cutoff_minutes: int | None = None,
    four_eyes_relaxed: bool | None = None,
    approval_reminder_hours: int | None = None,
    at_risk_hours: int | None = None,
    notify_webhook_kind: str | None = None,
    notify_webhook_url: str | None = None,
    require_two_factor: bool | None = None,
) -> Workspace:
    """Change the workspace's settings (admins); None leaves a setting as it is.

    The audit event holds each changed setting before and after; the chat webhook's
    address is a secret, so only its scheme and host are written there.
    """
    require(actor, workspace, Capability.WORKSPACE_MANAGE)
    _check_bounds(
        {
            "late_cutoff_minutes": late_cutoff_minutes,
            "approval_reminder_hours": approval_reminder_hours,
            "at_risk_hours": at_risk_hours,
        }
    )
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        kind, url = _webhook(locked, notify_webhook_kind, notify_webhook_url)
        changes = {
            key: value
            for key, value in {
                "name": name.strip() if name is not None else None,
                "time_zone": time_zone,
                "late_cutoff_minutes": late_cutoff_minutes,
                "four_eyes_relaxed": four_eyes_relaxed,
                "approval_reminder_hours": approval_reminder_hours,
                "at_risk_hours": at_risk_hours,
                "notify_webhook_kind": kind,
                "notify_webhook_url": url,
                "require_two_factor": require_two_factor,
            }.items()
            if value is not None and getattr(locked, key) != value
        }
        if not changes:
            return workspace
        before = {key: _shown(key, getattr(locked, key)) for key in changes}
        for key, value in changes.items():
            setattr(locked, key, value)
        full_clean(locked)
        locked.save(update_fields=list(changes))
        audit.record(
            workspace=locked,
            actor=actor,
            action="workspace.settings",
            data={
                "before": before,
                "after": {key: _shown(key, value) for key, value in changes.items()},
            },
        )
    for key, value in changes.items():
        setattr(workspace, key, value)
    return workspace


def member_add(*, actor: User, workspace: Workspace, user: User, role: str) -> Membership:
    require(actor, workspace, Capability.MEMBER_MANAGE)
    if role not in Role.values:
        raise Invalid(
            _("Choose one of the roles."), fields={"role": [_("Choose one of the roles.")]}
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, workspace=workspace, role=role)
            if user.current_workspace_id is None:  # their first workspace: open it for them
                user.current_workspace = workspace
                user.save(update_fields=["current_workspace"])
            audit.record(
                workspace=workspace,
                actor=actor,
                action="member.add",
                target=user.email,
                data={"role": role},
            )
    except IntegrityError:
        message = _("%(email)s is already a member of this workspace.") % {"email": user.email}
        raise Conflict(message, fields={"user": [message]}) from None
    return membership


def _lock_membership(workspace: Workspace, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(workspace=workspace, pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound(_("This member does not exist in this workspace."))
    return membership


def _ensure_admin_remains(workspace: Workspace, leaving: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(workspace=workspace, role=Role.ADMIN)
        .exclude(pk=leaving.pk)
    )
    if leaving.role == Role.ADMIN and not others.exists():
        raise Invalid(_("A workspace needs at least one admin: make someone else admin first."))


def member_change_role(
    *, actor: User, workspace: Workspace, membership_id: int, role: str
) -> Membership:
    require(actor, workspace, Capability.MEMBER_MANAGE)
    if role not in Role.values:
        raise Invalid(
            _("Choose one of the roles."), fields={"role": [_("Choose one of the roles.")]}
        )
    with transaction.atomic():
        membership = _lock_membership(workspace, membership_id)
        if membership.role == role:
            return membership
        if role != Role.ADMIN:
            _ensure_admin_remains(workspace, membership)
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(
            workspace=workspace,
            actor=actor,
            action="member.role",
            target=membership.user.email,
            data={"before": before, "after": role},
        )
    return membership


def _first_workspace_id(user: User) -> int | None:
    """The workspace a person lands in when theirs is gone: their first by name."""
    return (
        Membership.objects.filter(user=user)
        .order_by("workspace__name")
        .values_list("workspace_id", flat=True)
        .first()
    )


def member_remove(*, actor: User, workspace: Workspace, membership_id: int) -> None:
    require(actor, workspace, Capability.MEMBER_MANAGE)
    with transaction.atomic():
        membership = _lock_membership(workspace, membership_id)
        _ensure_admin_remains(workspace, membership)
        user = membership.user
        membership.delete()
        if user.current_workspace_id == workspace.pk:
            user.current_workspace_id = _first_workspace_id(user)
            user.save(update_fields=["current_workspace"])
        audit.record(
            workspace=workspace,
            actor=actor,
            action="member.remove",
            target=user.email,
            data={"role": membership.role},
        )


def user_switch_workspace(*, user: User, workspace_id: int) -> Workspace:
    """Remember the workspace the user works in; only one they belong to."""
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace_id=workspace_id)
        .first()
    )
    if membership is None:
        raise NotFound(_("This workspace does not exist or you are not a member of it."))
    if user.current_workspace_id != workspace_id:
        user.current_workspace = membership.workspace
        user.save(update_fields=["current_workspace"])
    return membership.workspace


def user_update_preferences(*, user: User, full_name: str, time_zone: str, language: str) -> User:
    user.full_name = full_name.strip()
    user.time_zone = time_zone
    user.language = language
    full_clean(user, exclude=["password"])
    user.save(update_fields=["full_name", "time_zone", "language"])
    # Not audited, but a name shows in the calendars of the user's workspaces (assignees).
    calendar_cache.bump_workspaces_of(user)
    return user


# --- invitations -------------------------------------------------------------------
#
# The raw token exists only in the emailed link (and in what invitation_create and
# invitation_resend return); the database keeps its SHA-256.


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise Invalid(
            _("Choose one of the roles."), fields={"role": [_("Choose one of the roles.")]}
        )


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        message = _("Enter a valid email address, such as name@example.com.")
        raise Invalid(message, fields={"email": [message]}) from None
    return email


def _refuse_member(workspace: Workspace, email: str) -> None:
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        message = _("%(email)s is already a member of this workspace.") % {"email": email}
        raise Conflict(message, fields={"email": [message]})


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, Invitation.hash_token(token)


def _lock_invitation(workspace: Workspace, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update().filter(workspace=workspace, pk=invitation_id).first()
    )
    if invitation is None:
        raise NotFound(_("This invitation does not exist in this workspace."))
    return invitation


def _ensure_open(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise Invalid(_("This invitation has already been accepted."))
    if invitation.revoked_at is not None:
        raise Invalid(_("This invitation was already withdrawn."))


def _send_invitation(invitation: Invitation, token: str) -> None:
    """Email the link once the transaction commits (a rollback sends nothing).

    The link starts with SITE_URL, never the request's Host header, which whoever sends
    the request chooses (a forged one would mail them the token)."""
    link = settings.SITE_URL + reverse("accounts:invitation_accept", args=[token])
    existing = User.objects.filter(email__iexact=invitation.email).first()
    inviter = invitation.invited_by
    language = (
        existing.language if existing else inviter.language if inviter else settings.LANGUAGE_CODE
    )
    context = {
        "workspace": invitation.workspace.name,
        "inviter": inviter.display_name if inviter else "",
        "role": "",
        "link": link,
        "days": settings.INVITATION_DAYS,
    }
    with translation.override(language):
        context["role"] = str(invitation.get_role_display())
        subject = " ".join(render_to_string("emails/invitation_subject.txt", context).split())
        body = render_to_string("emails/invitation_body.txt", context)
    to = [invitation.email]
    # robust: a mail server failure must not turn a saved invitation into an error
    # page; the admin sees the invitation pending and can resend it.
    transaction.on_commit(lambda: send_mail(subject, body, None, to), robust=True)


def invitation_create(
    *, actor: User, workspace: Workspace, email: str, role: str
) -> tuple[Invitation, str]:
    """Invite an address to join with a role; a pending invitation to it is replaced.

    Returns the invitation and the raw token of its link.
    """
    require(actor, workspace, Capability.MEMBER_MANAGE)
    email = _clean_email(email)
    _check_role(role)
    _refuse_member(workspace, email)
    token, token_hash = _new_token()
    try:
        with transaction.atomic():
            now = timezone.now()
            replaced = list(
                Invitation.objects.select_for_update()
                .filter(
                    workspace=workspace,
                    email__iexact=email,
                    accepted_at__isnull=True,
                    revoked_at__isnull=True,
                )
                .values_list("pk", flat=True)
            )
            if replaced:
                Invitation.objects.filter(pk__in=replaced).update(revoked_at=now)
            invitation = Invitation(
                workspace=workspace,
                email=email,
                role=role,
                token_hash=token_hash,
                invited_by=actor,
                created_at=now,
                expires_at=invitation_expiry(now),
            )
            # The one-open-invitation constraint is left to the database (see below).
            full_clean(invitation, validate_constraints=False)
            invitation.save()
            audit.record(
                workspace=workspace,
                actor=actor,
                action="invitation.create",
                target=email,
                data={"role": role, "replaces": replaced},
            )
            _send_invitation(invitation, token)
    except IntegrityError:
        message = _(
            "%(email)s was invited by someone else at the same moment; reload the page."
        ) % {"email": email}
        raise Conflict(message, fields={"email": [message]}) from None
    return invitation, token


def invitation_resend(
    *, actor: User, workspace: Workspace, invitation_id: int
) -> tuple[Invitation, str]:
    """Send a pending (or expired) invitation again with a new link and a new expiry.

    The previous link stops working.
    """
    require(actor, workspace, Capability.MEMBER_MANAGE)
    with transaction.atomic():
        invitation = _lock_invitation(workspace, invitation_id)
        _ensure_open(invitation)
        _refuse_member(workspace, invitation.email)
        token, invitation.token_hash = _new_token()
        invitation.expires_at = invitation_expiry()
        invitation.save(update_fields=["token_hash", "expires_at"])
        audit.record(
            workspace=workspace,
            actor=actor,
            action="invitation.resend",
            target=invitation.email,
            data={"role": invitation.role},
        )
        _send_invitation(invitation, token)
    return invitation, token


def invitation_revoke(*, actor: User, workspace: Workspace, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    require(actor, workspace, Capability.MEMBER_MANAGE)
    with transaction.atomic():
        invitation = _lock_invitation(workspace, invitation_id)
        _ensure_open(invitation)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(
            workspace=workspace,
            actor=actor,
            action="invitation.revoke",
            target=invitation.email,
            data={"role": invitation.role},
        )
    return invitation


def invitation_unknown_message() -> str:
    return _(
        "This invitation link is not valid. Check that it was copied whole, or ask an admin "
        "of the workspace to send you a new one."
    )


def invitation_refusal(invitation: Invitation) -> str | None:
    """Why this invitation's link can no longer be used, or None if it can."""
    status = invitation.status
    names = {"workspace": invitation.workspace.name}
    if status == InvitationStatus.ACCEPTED:
        return (
            _(
                "This invitation has already been used. If you need access to %(workspace)s, "
                "ask one of its admins for a new invitation."
            )
            % names
        )
    if status == InvitationStatus.REVOKED:
        return (
            _(
                "This invitation was withdrawn. If you still need access to %(workspace)s, "
                "ask one of its admins for a new invitation."
            )
            % names
        )
    if status == InvitationStatus.EXPIRED:
        expired = formats.date_format(timezone.localtime(invitation.expires_at), "DATE_FORMAT")
        return _(
            "This invitation expired on %(date)s. Ask an admin of %(workspace)s to send you "
            "a new one."
        ) % {**names, "date": expired}
    return None


def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    full_name: str | None = None,
    password: str | None = None,
    language: str | None = None,
) -> Membership:
    """Join the invitation's workspace with its role.

    A signed-in ``user`` must be the invited address. With nobody signed in, the
    account is created (``full_name``, ``password``) unless one exists for the
    address, in which case its owner must sign in first. The joined workspace
    becomes the person's current one. The invitation row is locked: two accepts
    of one link give one membership, and the second is told the link was used.
    """
    if user is not None and not user.is_authenticated:
        user = None
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("workspace", "invited_by")
            .filter(token_hash=Invitation.hash_token(token or ""))
            .first()
        )
        if invitation is None:
            raise NotFound(invitation_unknown_message())
        refusal = invitation_refusal(invitation)
        if refusal:
            raise Invalid(refusal)
        workspace = invitation.workspace
        if user is not None:
            if user.email.lower() != invitation.email.lower():
                raise NotAllowed(
                    _(
                        "This invitation was sent to %(invited)s, but you are signed in as "
                        "%(you)s. Sign out, then open the link again as %(invited)s."
                    )
                    % {"invited": invitation.email, "you": user.email}
                )
            member = user
        else:
            member = _account_for_invitation(invitation, full_name, password, language)
        membership, created = Membership.objects.get_or_create(
            user=member, workspace=workspace, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = member
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        member.current_workspace = workspace
        member.save(update_fields=["current_workspace"])
        audit.record(
            workspace=workspace,
            actor=member,
            action="invitation.accept",
            target=invitation.email,
            data={
                "role": membership.role,
                "new_member": created,
                "invited_by": invitation.invited_by.email if invitation.invited_by else None,
            },
        )
    return membership


def _account_for_invitation(
    invitation: Invitation, full_name: str | None, password: str | None, language: str | None
) -> User:
    exists = _("An account already exists for %(email)s: sign in first, then open this link again.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict(exists % {"email": invitation.email})
    if not password:
        message = _("Choose a password.")
        raise Invalid(message, fields={"password": [message]})
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            return user_create(
                email=invitation.email,
                password=password,
                full_name=(full_name or "").strip(),
                time_zone=invitation.workspace.time_zone,
                language=language,
            )
    except IntegrityError:  # the same address signed up through another invitation just now
        raise Conflict(exists % {"email": invitation.email}) from None
