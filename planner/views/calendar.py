"""The calendar: a page with the widget, the JSON it draws from, and moving a post.

Times travel as wall-clock times in the viewer's own time zone (the widget runs in
"UTC" mode so that it shows them as they are); the server converts, so a post at
09:00 in Paris stays at 09:00 on either side of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, role_can
from accounts.selectors import current_membership, members_of
from planner import selectors, services, workflow
from planner.errors import ServiceError
from planner.models import Campaign, Channel, Label
from planner.workflow import Action, State

MAX_WINDOW = dt.timedelta(days=120)


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on a campaign's colour (WCAG luminance)."""
    red, green, blue = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def _zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def wall_clock(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """An aware datetime as the viewer's wall-clock time, without offset."""
    return value.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes")


def from_wall_clock(text: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant a wall-clock time names in ``zone``; refuses times a clock change skips."""
    naive = dt.datetime.fromisoformat(text.strip().removesuffix("Z")).replace(tzinfo=None)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError("skipped by a clock change")
    return aware


def _filters(params) -> selectors.CalendarFilters:
    def number(name):
        value = params.get(name, "")
        return int(value) if value.isdigit() else None

    state = params.get("state") or None
    return selectors.CalendarFilters(
        campaign=number("campaign"),
        channel=number("channel"),
        state=state if state in State.values else None,
        assignee=number("assignee"),
        label=number("label"),
    )


@login_required
def calendar_page(request):
    membership = current_membership(request.user)
    if membership is None:
        return render(request, "planner/no_workspace.html")
    workspace = membership.workspace
    return render(
        request,
        "planner/calendar.html",
        {
            "workspace": workspace,
            "filters": _filters(request.GET),
            "campaigns": Campaign.objects.filter(workspace=workspace).order_by("name"),
            "channels": Channel.objects.filter(workspace=workspace).order_by("name"),
            "states": State.choices,
            "members": members_of(workspace),
            "labels": Label.objects.filter(workspace=workspace),
            "can_schedule": role_can(membership.role, Capability.POST_SCHEDULE),
            "has_posts": workspace.posts.exists(),
        },
    )


def _parse_window(request, zone):
    try:
        start = from_wall_clock(request.GET["start"][:19], zone)
        end = from_wall_clock(request.GET["end"][:19], zone)
    except (KeyError, ValueError):
        return None
    if end <= start or end - start > MAX_WINDOW:
        return None
    return start, end


@login_required
@require_GET
def calendar_events(request):
    """The posts and campaign spans of the visible window, for the widget."""
    membership = current_membership(request.user)
    if membership is None:
        return JsonResponse([], safe=False)
    zone = _zone(request.user)
    window = _parse_window(request, zone)
    if window is None:
        return JsonResponse(
            {"error": _("Give a start and an end, at most 120 days apart.")}, status=400
        )
    start, end = window
    can_move = role_can(membership.role, Capability.POST_SCHEDULE)
    movable = {s for s in State if workflow.TRANSITIONS.get((s, Action.RESCHEDULE))}
    events = []
    for post in selectors.calendar_posts(membership.workspace, start, end, _filters(request.GET)):
        colour = post.campaign.colour if post.campaign else "#5c636a"
        events.append(
            {
                "id": str(post.pk),
                "title": str(post),
                "start": wall_clock(post.scheduled_at, zone),
                "url": f"/posts/{post.pk}/",
                "backgroundColor": colour,
                "borderColor": colour,
                "editable": can_move and post.state in movable,
                "extendedProps": {
                    "state": post.state,
                    "stateLabel": str(State(post.state).label),
                    "channels": [v.channel.kind for v in post.variants.all()],
                    "campaign": post.campaign.name if post.campaign else "",
                    "assignee": post.assignee.display_name if post.assignee else "",
                    "labels": [label.name for label in post.labels.all()],
                },
            }
        )
    for campaign in selectors.calendar_campaigns(membership.workspace, start.date(), end.date()):
        events.append(
            {
                "id": f"campaign-{campaign.pk}",
                "title": campaign.name,
                "start": campaign.starts_on.isoformat(),
                "end": (campaign.ends_on + dt.timedelta(days=1)).isoformat(),
                "allDay": True,
                "display": "block",
                "editable": False,
                "classNames": ["campaign-span"],
                "url": f"/calendar/?campaign={campaign.pk}",
                "backgroundColor": campaign.colour,
                "borderColor": campaign.colour,
                "textColor": text_colour(campaign.colour),
                "extendedProps": {"kind": "campaign"},
            }
        )
    return JsonResponse(events, safe=False)


@login_required
@require_POST
def post_move(request, pk: int):
    """Drag and drop: move a post to another time. Answers JSON; refusals say why."""
    post = selectors.post_for(request.user, pk)
    if post is None:
        return JsonResponse({"error": _("This post does not exist.")}, status=404)
    zone = _zone(request.user)
    try:
        when = from_wall_clock(request.POST.get("when", ""), zone)
    except ValueError:
        return JsonResponse(
            {"error": _("That time does not exist in your time zone (a clock change?).")},
            status=400,
        )
    try:
        post = services.post_reschedule(actor=request.user, post=post, scheduled_at=when)
    except ServiceError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse(
        {
            "ok": True,
            "start": wall_clock(post.scheduled_at, zone),
            "message": _("Moved to %(when)s.")
            % {"when": timezone.localtime(post.scheduled_at, zone).strftime("%Y-%m-%d %H:%M")},
        }
    )
