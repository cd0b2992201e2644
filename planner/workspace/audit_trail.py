"""The workspace's audit trail as admins read it: filtered, paged, and as CSV.

Events are written by ``planner.audit.record`` and never changed (``AuditEvent`` refuses
updates and deletes). This module only reads them: which events match the filters, and
what each changed, "before" and "after", in words a person can compare.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from planner.models import AuditEvent, Campaign, Channel

PAGE_SIZE = 50
# A long text is cut on the page (the CSV keeps it whole).
SHOWN_CHARS = 400

# The first part of an action code ("post.edit") names what it acted on.
GROUPS: dict[str, Any] = {
    "post": _("Posts"),
    "comment": _("Comments"),
    "publication": _("Deliveries"),
    "publishing": _("Publishing pause"),
    "campaign": _("Campaigns"),
    "objective": _("Objectives"),
    "approval_chain": _("Approval chains"),
    "channel": _("Channels"),
    "member": _("Members"),
    "invitation": _("Invitations"),
    "workspace": _("Workspace settings"),
    "key_date": _("Key dates"),
    "key_dates": _("Key dates"),
    "feed": _("Calendar feeds"),
    "two_factor": _("Two-factor sign-in"),
    "login": _("Sign-in lockout"),
    "session": _("Sessions"),
    "password": _("Passwords"),
    "api_token": _("API tokens"),
}


@dataclass(frozen=True)
class Filters:
    actor_id: int | None = None
    system_only: bool = False  # what Maillon did by itself (engine, imports): no actor
    post_id: int | None = None
    campaign_id: int | None = None
    action: str = ""  # an exact code ("post.edit") or a group ("post")
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive, in the reader's zone


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def events(workspace: Workspace, filters: Filters) -> QuerySet[AuditEvent]:
    """The workspace's events matching the filters, newest first."""
    found = AuditEvent.objects.filter(workspace=workspace)
    if filters.actor_id:
        found = found.filter(actor_id=filters.actor_id)
    elif filters.system_only:
        found = found.filter(actor__isnull=True)
    if filters.post_id:
        found = found.filter(post_id=filters.post_id)
    if filters.campaign_id:
        # An event about a campaign, or about one of its posts.
        found = found.filter(
            Q(campaign_id=filters.campaign_id) | Q(post__campaign_id=filters.campaign_id)
        )
    if filters.action:
        if "." in filters.action:
            found = found.filter(action=filters.action)
        else:
            found = found.filter(action__startswith=filters.action + ".")
    if filters.since:
        found = found.filter(created_at__gte=_day_start(filters.since))
    if filters.until:
        found = found.filter(created_at__lt=_day_start(filters.until + dt.timedelta(days=1)))
    return found.select_related("actor", "post", "campaign").order_by("-created_at", "-id")


def action_codes(workspace: Workspace) -> list[str]:
    """The codes that occur in this workspace's trail, for the filter."""
    return sorted(
        AuditEvent.objects.filter(workspace=workspace)
        .order_by()
        .values_list("action", flat=True)
        .distinct()
    )


def action_choices(workspace: Workspace) -> list[tuple[str, Any]]:
    """Groups first ("Posts: every action"), then each code under its group."""
    codes = action_codes(workspace)
    groups = sorted({code.split(".")[0] for code in codes})
    choices: list[tuple[str, Any]] = [("", _("Every action"))]
    for group in groups:
        label = GROUPS.get(group, group)
        members = [(code, code) for code in codes if code.split(".")[0] == group]
        choices.append(
            (label, [(group, _("%(group)s: every action") % {"group": label}), *members])
        )
    return choices


# --- what an event changed -------------------------------------------------------------


# Names of the fields services write in "before"/"after"; others show as they are stored.
FIELD_NAMES: dict[str, Any] = {
    "title": _("Title"),
    "body": _("Text"),
    "name": _("Name"),
    "time_zone": _("Time zone"),
    "late_cutoff_minutes": _("Late cut-off (minutes)"),
    "four_eyes_relaxed": _("Allow approving one's own posts"),
    "approval_reminder_hours": _("Remind approvers after (hours)"),
    "at_risk_hours": _("At risk when due within (hours)"),
    "notify_webhook_kind": _("Chat webhook"),
    "notify_webhook_url": _("Chat webhook address"),
    "campaign": _("Campaign"),
    "assignee": _("Assignee"),
    "labels": _("Labels"),
    "role": _("Role"),
    "reschedule": _("Time"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def _shown(value: Any, limit: int | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and timezone.is_aware(moment) and "T" in value:
            return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        text = value
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    else:
        text = str(value)
    if limit is not None and len(text) > limit:
        return text[:limit] + "…"
    return text


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"variants": {"3": "hi"}} -> {"variants.3": "hi"}: one row per thing that changed."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flat(inner, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def _field_name(key: str) -> str:
    return str(FIELD_NAMES.get(key, key))


def changes(
    event: AuditEvent, *, channel_names: dict[str, str], limit: int | None = SHOWN_CHARS
) -> list[Change]:
    """Each field the event changed, before and after (from its ``before``/``after``)."""
    data = event.data if isinstance(event.data, dict) else {}
    if "before" not in data and "after" not in data:
        return []
    before, after = data.get("before"), data.get("after")
    if not isinstance(before, dict) and not isinstance(after, dict):
        field = event.action.split(".")[-1]
        return [Change(_field_name(field), _shown(before, limit), _shown(after, limit))]
    was, now = _flat(before or {}), _flat(after or {})
    found = []
    for key in sorted(set(was) | set(now)):
        if was.get(key) == now.get(key):
            continue
        field = _field_name(key)
        if key.startswith("variants."):
            channel = channel_names.get(key.removeprefix("variants."), key)
            field = str(_("text for %(channel)s") % {"channel": channel})
        found.append(Change(field, _shown(was.get(key), limit), _shown(now.get(key), limit)))
    return found


def channel_names(workspace: Workspace) -> dict[str, str]:
    return {
        str(pk): name
        for pk, name in Channel.objects.filter(workspace=workspace).values_list("pk", "name")
    }


def campaigns_of(workspace: Workspace) -> QuerySet[Campaign]:
    return Campaign.objects.filter(workspace=workspace).order_by("name")


# --- CSV ---------------------------------------------------------------------------------

CSV_HEADER = (
    "time_utc",
    "actor_email",
    "action",
    "post_id",
    "campaign_id",
    "target",
    "ip_address",
    "data",
)


def csv_rows(found: QuerySet[AuditEvent]) -> Iterator[tuple[object, ...]]:
    """Every matching event, whole: the data as JSON, times in UTC (ISO 8601)."""
    for event in found.iterator(chunk_size=2000):
        yield (
            event.created_at.astimezone(dt.UTC).isoformat(),
            event.actor.email if event.actor else "",
            event.action,
            event.post_id or "",
            event.campaign_id or "",
            event.target,
            event.ip_address or "",
            json.dumps(event.data, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder),
        )
