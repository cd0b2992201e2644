"""Shared checks used by every service: membership, capability, model validation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.permissions import Capability, role_can
from accounts.selectors import role_in
from planner.errors import Invalid, NotAllowed, NotFound


def require(actor, workspace, capability: Capability) -> str:
    """Return the actor's role in the workspace, or raise: 404 for outsiders, 403 for the rest."""
    role = role_in(actor, workspace)
    if role is None:
        raise NotFound(_("This workspace does not exist or you are not a member of it."))
    if not role_can(role, capability):
        raise NotAllowed(_("Your role does not allow this."))
    return role


def full_clean(instance, **kwargs) -> None:
    """Run model validation and turn its errors into one ``Invalid`` with a field map."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def invalid_from(exc: ValidationError) -> Invalid:
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    first = next(iter(fields.values()))[0]
    return Invalid(first, fields=fields)
