"""Every write to users, workspaces and memberships."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User, Workspace
from accounts.permissions import Capability
from planner import audit
from planner.access import full_clean, require
from planner.errors import Conflict, Invalid, NotFound


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


def workspace_update_settings(
    *,
    actor: User,
    workspace: Workspace,
    name: str | None = None,
    time_zone: str | None = None,
    late_cutoff_minutes: int | None = None,
    four_eyes_relaxed: bool | None = None,
    approval_reminder_hours: int | None = None,
) -> Workspace:
    require(actor, workspace, Capability.WORKSPACE_MANAGE)
    changes = {
        key: value
        for key, value in {
            "name": name,
            "time_zone": time_zone,
            "late_cutoff_minutes": late_cutoff_minutes,
            "four_eyes_relaxed": four_eyes_relaxed,
            "approval_reminder_hours": approval_reminder_hours,
        }.items()
        if value is not None and getattr(workspace, key) != value
    }
    if not changes:
        return workspace
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        before = {key: getattr(locked, key) for key in changes}
        for key, value in changes.items():
            setattr(locked, key, value)
        full_clean(locked)
        locked.save(update_fields=list(changes))
        audit.record(
            workspace=locked,
            actor=actor,
            action="workspace.settings",
            data={"before": before, "after": changes},
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


def member_remove(*, actor: User, workspace: Workspace, membership_id: int) -> None:
    require(actor, workspace, Capability.MEMBER_MANAGE)
    with transaction.atomic():
        membership = _lock_membership(workspace, membership_id)
        _ensure_admin_remains(workspace, membership)
        user = membership.user
        membership.delete()
        if user.current_workspace_id == workspace.pk:
            user.current_workspace = None
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
    return user
