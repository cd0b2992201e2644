"""The navbar's link to a person's first work queue, with its count (a context
processor: ``queues_link``)."""

from __future__ import annotations

import contextlib
from functools import cached_property

from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from accounts.models import User
from accounts.selectors import current_membership
from planner import calendar_cache
from planner.approvals import queues

KEEP_SECONDS = 300  # a write that bypasses the services shows at worst this late


class QueueLink:
    """The navbar's link to the person's first queue, with its count: "Waiting for me"
    for those who approve (admin, marketing), "My drafts" for the others.

    Lazy: nothing is read until a template asks, and then a fixed few queries (the
    membership, then the queue: see ``planner.approvals.queues``). The count of what waits is
    kept under the workspace's version (``planner.calendar_cache``): everything it
    depends on (states, versions, decisions, chains, roles, the four-eyes setting)
    changes by audited writes, which move that version on, and time alone changes
    nothing of it. So most pages pay one trip to Redis instead of seven queries."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def _membership(self):
        return current_membership(self.user)

    def __bool__(self) -> bool:
        return self._membership is not None

    @cached_property
    def name(self) -> str:
        role = self._membership.role if self._membership else None
        return queues.WAITING if queues.approves(role) else queues.DRAFTS

    @property
    def label(self) -> str:
        return _("Waiting for me") if self.name == queues.WAITING else _("My drafts")

    @property
    def url(self) -> str:
        return reverse("planner:queue", args=[self.name])

    @cached_property
    def count(self) -> int:
        membership = self._membership
        if membership is None:
            return 0
        workspace, role = membership.workspace, membership.role
        if self.name != queues.WAITING:
            return queues.count(self.name, self.user, workspace, role)
        key = f"queue-waiting:{workspace.pk}:{self.user.pk}:{role}"
        try:
            # The version is read first, as the calendar does: a write committed while
            # we count moves it on, and what we keep under the older one is never read.
            version = calendar_cache.version(workspace.pk)
            kept = cache.get(key)
        except RedisError:
            version = kept = None
        if kept is not None and kept[0] == version:
            return kept[1]
        found = queues.count(queues.WAITING, self.user, workspace, role)
        if version is not None:
            with contextlib.suppress(RedisError):
                cache.set(key, (version, found), KEEP_SECONDS)
        return found

    @property
    def aria_label(self) -> str:
        return _("%(queue)s, %(count)s") % {"queue": self.label, "count": self.count}


def queues_link(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"queue_link": QueueLink(user)}
