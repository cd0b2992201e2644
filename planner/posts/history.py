"""A post's history in words: each audit event as a sentence a person can read.

The audit trail stores codes (``post.request_changes``) and facts (``data``); this is the
one place that turns them into "Marie requested changes on version 3", in the reader's
language and time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from planner.models import AuditEvent
from planner.workflow import State

# Code -> sentence. %(actor)s is who acted; other placeholders come from the event.
SENTENCES: dict[str, Any] = {
    "post.create": gettext_lazy("%(actor)s created the post"),
    "post.edit": gettext_lazy("%(actor)s edited the content (version %(version)s)"),
    "post.media_add": gettext_lazy("%(actor)s added an image or video (version %(version)s)"),
    "post.media_alt": gettext_lazy(
        "%(actor)s changed the alternative text of an image (version %(version)s)"
    ),
    "post.media_remove": gettext_lazy("%(actor)s removed an image or video (version %(version)s)"),
    "post.media_move": gettext_lazy("%(actor)s reordered the media (version %(version)s)"),
    "post.details": gettext_lazy("%(actor)s changed the campaign, assignee or labels"),
    "post.reschedule": gettext_lazy("%(actor)s moved it from %(before)s to %(after)s"),
    "post.submit": gettext_lazy("%(actor)s submitted version %(version)s for approval"),
    "post.withdraw": gettext_lazy("%(actor)s withdrew it from review"),
    "post.approve": gettext_lazy("%(actor)s approved version %(version)s (step %(step)s)"),
    "post.request_changes": gettext_lazy(
        "%(actor)s requested changes on version %(version)s (step %(step)s)"
    ),
    "post.reject": gettext_lazy("%(actor)s rejected version %(version)s (step %(step)s)"),
    "post.cancel": gettext_lazy("%(actor)s cancelled it"),
    "post.reopen": gettext_lazy("%(actor)s reopened it"),
    "post.retract": gettext_lazy("%(actor)s asked to retract it from the networks"),
    "post.publish_now": gettext_lazy("%(actor)s asked to publish it now"),
    "post.retry": gettext_lazy("%(actor)s asked to retry publishing"),
    "post.start_publishing": gettext_lazy("Publishing started"),
    "post.mark_published": gettext_lazy("Published on every channel"),
    "post.mark_failed": gettext_lazy("Publishing failed"),
    "post.miss_slot": gettext_lazy("Missed its slot: it was not approved in time"),
    "post.hand_over": gettext_lazy("Handed over to a person: check the deliveries below"),
    "post.chain_change": gettext_lazy(
        "%(actor)s changed the approval chain: approvals from step %(step)s on no longer count"
    ),
    "post.approval_revoked": gettext_lazy(
        "%(actor)s changed where one of its channels points: its approval is withdrawn"
    ),
    "comment.add": gettext_lazy("%(actor)s commented"),
    "publication.retract": gettext_lazy("Retracted from %(target)s"),
}
RETRACT_FAILED = gettext_lazy("Could not retract from %(target)s: %(error)s")


def _when(value: Any) -> str:
    if not value:
        return _("no time")
    if not isinstance(value, str | dt.datetime):
        return ""  # "before"/"after" of a content edit are texts, not times
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def _facts(event: AuditEvent) -> dict[str, Any]:
    data = event.data if isinstance(event.data, dict) else {}
    return {
        "actor": event.actor.display_name if event.actor else _("Maillon"),
        "target": event.target,
        "version": data.get("version", "?"),
        "step": data.get("step", "?"),
        "before": _when(data.get("before")),
        "after": _when(data.get("after")),
        "error": data.get("error", ""),
    }


def describe(event: AuditEvent) -> str:
    """One sentence for one event, falling back to the code for events it doesn't know."""
    facts = _facts(event)
    if event.action == "publication.retract" and not (event.data or {}).get("deleted", True):
        return str(RETRACT_FAILED % facts)
    sentence = SENTENCES.get(event.action)
    if sentence is None:
        return f"{facts['actor']}: {event.action}"
    return str(sentence % facts)


def state_change(event: AuditEvent) -> str:
    """'Draft → In review' when the event moved the post, else ''."""
    states = (event.data or {}).get("state") if isinstance(event.data, dict) else None
    if not (isinstance(states, list) and len(states) == 2) or states[0] == states[1]:
        return ""
    names = dict(State.choices)
    return f"{names.get(states[0], states[0])} → {names.get(states[1], states[1])}"
