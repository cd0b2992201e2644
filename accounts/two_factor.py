"""Who must sign in with a second factor, and what they have enrolled (reads only).

The capabilities that demand it come from the role matrix: a role needs two-factor
sign-in when it may approve, publish, pause publishing or manage channels. Whoever
holds such a role in *any* workspace that requires it must use it everywhere, since
one session opens all of a person's workspaces. Staff and superusers need it too: the
Django admin opens every workspace.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role, User, Workspace
from accounts.permissions import MATRIX, Capability, role_can

# Whoever can make something go out, or stop or redirect what goes out.
SENSITIVE: frozenset[Capability] = frozenset(
    {
        Capability.POST_APPROVE,
        Capability.POST_RESOLVE,
        Capability.PUBLISHING_PAUSE,
        Capability.CHANNEL_MANAGE,
    }
)

ROLES_NEEDING_TWO_FACTOR: frozenset[str] = frozenset(
    role for role in Role.values if MATRIX[role] & SENSITIVE
)

RECOVERY_CODE_COUNT = 10


def role_needs_two_factor(role: str) -> bool:
    return role in ROLES_NEEDING_TWO_FACTOR


def memberships_requiring(user: User) -> QuerySet[Membership]:
    """The memberships that make this person need a second factor."""
    return Membership.objects.filter(
        user=user, workspace__require_two_factor=True, role__in=ROLES_NEEDING_TWO_FACTOR
    ).select_related("workspace")


def needs_two_factor(user: User) -> bool:
    """A role that requires it in some workspace, or a staff account (the Django admin
    reaches every workspace)."""
    if not user.is_authenticated:
        return False
    return two_factor_state(user)[1]


def _guarded_memberships(user_ids) -> QuerySet[Membership]:
    # A role that may make something go out, in any workspace, whether or not that
    # workspace requires a second factor yet: a factor the person chose also guards it.
    return Membership.objects.filter(user_id__in=user_ids, role__in=ROLES_NEEDING_TWO_FACTOR)


def workspaces_beyond(actor: User, user_ids: list[int]) -> dict[int, list[str]]:
    """For each of these people, the workspaces where their role needs a second factor
    and ``actor`` is not an admin (names, sorted); a person left out may be reset or
    unlocked by ``actor``. Two queries, whatever the number of people."""
    managed = {
        m.workspace_id
        for m in Membership.objects.filter(user=actor).only("workspace_id", "role")
        if role_can(m.role, Capability.MEMBER_MANAGE)
    }
    beyond: dict[int, list[str]] = {}
    rows = (
        _guarded_memberships(user_ids)
        .exclude(workspace_id__in=managed)
        .values_list("user_id", "workspace__name")
        .order_by("workspace__name")
    )
    for user_id, name in rows:
        beyond.setdefault(user_id, []).append(name)
    return beyond


def exposed_by_turning_off(workspace: Workspace) -> QuerySet[User]:
    """The members who would no longer need a second factor if this workspace stopped
    requiring it (those still required by another workspace are left out)."""
    required_elsewhere = Membership.objects.filter(
        workspace__require_two_factor=True, role__in=ROLES_NEEDING_TWO_FACTOR
    ).exclude(workspace=workspace)
    return (
        User.objects.filter(
            memberships__workspace=workspace,
            memberships__role__in=ROLES_NEEDING_TWO_FACTOR,
        )
        .exclude(pk__in=required_elsewhere.values("user_id"))
        .order_by("email")
    )


def totp_device(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator, if they enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_totp_device(user: User) -> TOTPDevice | None:
    """The authenticator being enrolled (its secret shown, its first code not yet typed)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _confirmed(model, user: User):
    return model.objects.filter(user=OuterRef("pk"), confirmed=True)


def two_factor_state(user: User) -> tuple[bool, bool]:
    """(has a second factor, needs one), in one query: asked on each request of a
    session that has not given a second factor."""
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has=Exists(_confirmed(TOTPDevice, user)) | Exists(_confirmed(StaticDevice, user)),
            needs=Q(is_staff=True)
            | Q(is_superuser=True)
            | Exists(
                Membership.objects.filter(
                    user=OuterRef("pk"),
                    workspace__require_two_factor=True,
                    role__in=ROLES_NEEDING_TWO_FACTOR,
                )
            ),
        )
        .values_list("has", "needs")
        .first()
    )
    return row if row is not None else (False, False)


def has_two_factor(user: User) -> bool:
    """Whether the person has a second factor: then every sign-in asks for it."""
    return two_factor_state(user)[0]


def recovery_codes_left(user: User) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device else 0


def users_with_two_factor(user_ids: list[int]) -> set[int]:
    """Which of these people have an authenticator (for the Members page)."""
    return set(
        TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list(
            "user_id", flat=True
        )
    )


def profile_summary(user: User) -> dict:
    """What the profile's Two-factor section shows."""
    device = totp_device(user)
    return {
        "two_factor_device": device,
        "two_factor_required": needs_two_factor(user),
        "recovery_codes_left": recovery_codes_left(user) if device else 0,
    }
