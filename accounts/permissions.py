"""The role x capability matrix: the one table that says which role may do what.

Object-level questions ("may this person edit *this* post?") live in
``planner/permissions.py`` and start from this table. The README prints it,
and ``tests/accounts/test_permissions.py`` checks it cell by cell.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class Capability(models.TextChoices):
    VIEW = "view", _("See the calendar, posts, reports and feeds")
    COMMENT = "comment", _("Comment on posts")
    POST_CREATE = "post_create", _("Draft posts")
    POST_EDIT_ANY = "post_edit_any", _("Edit anyone's posts")
    POST_SCHEDULE = "post_schedule", _("Set or move a post's time")
    POST_SUBMIT = "post_submit", _("Submit posts for approval")
    POST_APPROVE = "post_approve", _("Approve or request changes (as a step of the chain)")
    POST_CANCEL = "post_cancel", _("Cancel anyone's posts")
    POST_RESOLVE = "post_resolve", _("Publish now, retry or reschedule a post that needs attention")
    POST_RETRACT = "post_retract", _("Retract a published post")
    CAMPAIGN_MANAGE = "campaign_manage", _("Create and edit campaigns and their approval chains")
    KEY_DATES_MANAGE = "key_dates_manage", _("Import and remove key dates (holidays, events)")
    OBJECTIVE_MANAGE = "objective_manage", _("Create and edit objectives")
    CHANNEL_MANAGE = "channel_manage", _("Connect and disable channels")
    MEMBER_MANAGE = "member_manage", _("Invite members and change roles")
    PUBLISHING_PAUSE = "publishing_pause", _("Pause and resume all publishing")
    WORKSPACE_MANAGE = (
        "workspace_manage",
        _("Change workspace settings and the default approval chain"),
    )
    AUDIT_VIEW = "audit_view", _("Read the audit trail")


C = Capability
_EVERYONE = {C.VIEW}
_WRITERS = _EVERYONE | {C.COMMENT, C.POST_CREATE, C.POST_SUBMIT}
_PLANNERS = _WRITERS | {C.POST_EDIT_ANY, C.POST_SCHEDULE, C.POST_CANCEL, C.POST_RESOLVE}

MATRIX: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(set(Capability)),
    Role.MARKETING: frozenset(
        _PLANNERS | {C.POST_APPROVE, C.POST_RETRACT, C.CAMPAIGN_MANAGE, C.KEY_DATES_MANAGE}
    ),
    Role.CONTENT_MANAGER: frozenset(_PLANNERS),
    Role.CONTRIBUTOR: frozenset(_WRITERS),
    Role.VIEWER: frozenset(_EVERYONE),
}


def role_can(role: str | None, capability: Capability) -> bool:
    return role is not None and capability in MATRIX.get(role, frozenset())
