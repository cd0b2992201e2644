from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Invitation, Membership, User, Workspace


def role_in(user: User | None, workspace: Workspace | int) -> str | None:
    """The user's role in the workspace, or None if they are not a member."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .values_list("role", flat=True)
        .first()
    )


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def members_of(workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__email")
    )


def current_membership(user: User) -> Membership | None:
    """The membership of the user's remembered workspace, else their first one."""
    memberships = list(memberships_of(user))
    for membership in memberships:
        if membership.workspace_id == user.current_workspace_id:
            return membership
    return memberships[0] if memberships else None


def membership_or_404(user: User) -> Membership:
    """The current membership, for pages that make no sense outside a workspace."""
    from django.http import Http404

    membership = current_membership(user)
    if membership is None:
        raise Http404
    return membership


def open_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    """Invitations neither accepted nor withdrawn; expired ones too, since they can be resent."""
    return (
        Invitation.objects.filter(
            workspace=workspace, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("email")
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation an emailed link points to (found by the token's hash), or None."""
    if not token:
        return None
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
