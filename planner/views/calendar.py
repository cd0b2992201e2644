"""The calendar: a page with the widget, the JSON it draws from, and moving a post.

Times travel as wall-clock times in the viewer's own time zone (the widget runs in
"UTC" mode so that it shows them as they are); the server converts, so a post at
09:00 in Paris stays at 09:00 on either side of a daylight-saving change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import math
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from redis.exceptions import RedisError

from accounts.permissions import Capability, role_can
from accounts.selectors import current_membership, members_of
from planner import calendar_cache, selectors, workflow
from planner.errors import ServiceError
from planner.models import Campaign, Channel, Label
from planner.planning import calendar
from planner.posts import scheduling
from planner.timezones import zone_of
from planner.workflow import Action, State

# Said after moving an approved post: the moment was part of what was approved.
WITHDRAWN_BY_MOVE = gettext_lazy("Its approval is withdrawn: it waits for approval again.")

MAX_WINDOW = dt.timedelta(days=120)
# A window's JSON is kept in the cache, keyed on the question and on the workspace's
# version (planner.calendar_cache), which every audited write moves on after its commit.
# Entries expire so that a write which bypasses the services still shows, if late.
CACHE_SECONDS = 300
CACHE_FORMAT = 4  # bump when the JSON or what is kept changes shape: no old copy is served


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on a campaign's colour (WCAG luminance)."""
    red, green, blue = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def _local_text(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """A time as the viewer reads it: their zone, their language's short format."""
    return formats.date_format(timezone.localtime(value, zone), "SHORT_DATETIME_FORMAT")


def wall_clock(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """An aware datetime as the viewer's wall-clock time, without offset."""
    # "2027-03-28T10:30+02:00" without its offset; one call, as a month has thousands.
    return value.astimezone(zone).isoformat(timespec="minutes")[:16]


def from_wall_clock(text: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant a wall-clock time names in ``zone``; refuses times a clock change skips."""
    naive = dt.datetime.fromisoformat(text.strip().removesuffix("Z")).replace(tzinfo=None)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError("skipped by a clock change")
    return aware


def _filters(params) -> calendar.CalendarFilters:
    def number(name):
        value = params.get(name, "")
        return int(value) if value.isdigit() else None

    state = params.get("state") or None
    return calendar.CalendarFilters(
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


NO_CAMPAIGN_COLOUR = "#5c636a"
# The states a post can be dragged out of (the workflow allows a reschedule from them).
MOVABLE = frozenset(s for s in State if workflow.TRANSITIONS.get((s, Action.RESCHEDULE)))


def _post_events(posts, zone: zoneinfo.ZoneInfo, can_move: bool) -> list[dict]:
    state_labels = {state.value: str(state.label) for state in State}  # in the active language
    events = []
    append = events.append
    for post in posts:
        pk = post.id
        colour = post.campaign_colour or NO_CAMPAIGN_COLOUR
        props = {
            "state": post.state,
            "stateLabel": state_labels[post.state],
            "channels": post.channels,
            "campaign": post.campaign_name,
            "assignee": post.assignee,
            "labels": post.labels,
        }
        if post.at_risk:  # only when true: a month of "atRisk": false weighs for nothing
            props["atRisk"] = True
        if post.connection_risk:  # "disconnected" or "expires" (planner.connection.status)
            props["connectionRisk"] = post.connection_risk
        append(
            {
                "id": str(pk),
                "title": post.title,
                "start": wall_clock(post.scheduled_at, zone),
                "url": f"/posts/{pk}/",
                "backgroundColor": colour,
                "borderColor": colour,
                "editable": can_move and post.state in MOVABLE,
                "extendedProps": props,
            }
        )
    return events


def _campaign_events(campaigns) -> list[dict]:
    return [
        {
            "id": f"campaign-{campaign.id}",
            "title": campaign.name,
            "start": campaign.starts_on.isoformat(),
            "end": (campaign.ends_on + dt.timedelta(days=1)).isoformat(),
            "allDay": True,
            "display": "block",
            "editable": False,
            "classNames": ["campaign-span"],
            "url": f"/calendar/?campaign={campaign.id}",
            "backgroundColor": campaign.colour,
            "borderColor": campaign.colour,
            "textColor": text_colour(campaign.colour),
            "extendedProps": {"kind": "campaign"},
        }
        for campaign in campaigns
    ]


# Key dates: one look for all, whatever their source (purple, with a flag drawn by
# static/js/calendar.js, which also names them "Key date: …" for screen readers).
KEY_DATE_COLOURS = {"backgroundColor": "#ece4f7", "borderColor": "#59359a", "textColor": "#1e1136"}


def _key_date_events(key_dates, zone: zoneinfo.ZoneInfo) -> list[dict]:
    """Holidays, launches, events: not editable; they link to the key dates page."""
    events = []
    for key_date in key_dates:
        event = {
            "id": f"keydate-{key_date.pk}",
            "title": key_date.title,
            "display": "block",
            "editable": False,
            "classNames": ["key-date"],
            "url": "/key-dates/",
            **KEY_DATE_COLOURS,
            "extendedProps": {"kind": "keydate"},
        }
        if key_date.all_day:
            event["allDay"] = True
            event["start"] = key_date.starts_on.isoformat()
            event["end"] = (key_date.ends_on + dt.timedelta(days=1)).isoformat()
        else:
            event["allDay"] = False
            event["start"] = wall_clock(key_date.starts_at, zone)
            if key_date.ends_at > key_date.starts_at:
                event["end"] = wall_clock(key_date.ends_at, zone)
        events.append(event)
    return events


def _dump(data) -> bytes:
    """One compact dump: a month of posts is hundreds of kilobytes, a fifth of it spaces."""
    return json.dumps(data, separators=(",", ":")).encode()


def _json(data, status: int = 200) -> HttpResponse:
    return HttpResponse(_dump(data), content_type="application/json", status=status)


def _answer_key(question: tuple) -> str:
    return "calendar:" + hashlib.sha256(repr((CACHE_FORMAT, question)).encode()).hexdigest()


def _kept(key: str, workspace_id: int) -> tuple[bytes | None, str | None]:
    """``(answer, version)``: the compressed answer kept under ``key`` if it was kept
    under the workspace's current version (else None), and that version (None when Redis
    cannot be reached: the calendar works without its cache, only slower). One trip to
    Redis: the counter and the answer, which carries the version it was computed under.

    Why reading the version first is enough (no settling time, no look at the data): a
    request that read version v and computed its answer before a write committed keeps a
    stale answer marked v, but the write's commit is followed by a bump to v+1, after
    which no answer marked v is served. A request that reads v between the commit and the
    bump keeps an answer newer than v marked v: harmless. (From a commit to its bump,
    readers of v may still be served v's answer, as they would have been a moment before.)
    """
    version_key = calendar_cache.key(workspace_id)
    try:
        found = cache.get_many([version_key, key])
        version = found.get(version_key)
        version = calendar_cache.version(workspace_id) if version is None else str(version)
    except RedisError:
        return None, None
    kept = found.get(key)
    if kept is not None and kept[0] == version and not _expired(kept[2]):
        return kept[1], version
    return None, version


def _expired(until: float | None) -> bool:
    return until is not None and timezone.now().timestamp() >= until


def _keep(key: str, version: str, body: bytes, until: dt.datetime | None = None) -> None:
    """Keep an answer, compressed (a month of JSON shrinks tenfold, and travels that much
    faster from the cache and to the browser), under the version read before it was
    computed, and no later than ``until``.

    ``until`` is when the answer stops being true by time passing alone: the first moment
    one of its posts becomes at risk, or stops being (``risk.assess``). No write happens
    then, so no version moves on; the answer carries that moment and is not served from
    it on (checked on our clock, not Redis's expiry, which only frees the memory). A
    bucket of time in the key (the current hour, say) would serve a post's at-risk
    flag late by up to a bucket, and recompute every answer at each bucket's turn
    whether or not anything changed."""
    stamp = None if until is None else until.timestamp()
    seconds = CACHE_SECONDS
    if stamp is not None:
        seconds = min(seconds, math.ceil(stamp - timezone.now().timestamp()))
        if seconds <= 0:
            return
    with contextlib.suppress(RedisError):
        cache.set(key, (version, gzip.compress(body, mtime=0), stamp), seconds)


def _answer(request, body: bytes, gzipped: bool) -> HttpResponse:
    if gzipped and not _accepts_gzip(request):
        body, gzipped = gzip.decompress(body), False
    response = HttpResponse(body, content_type="application/json")
    if gzipped:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _accepts_gzip(request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


@login_required
@require_GET
def calendar_events(request):
    """The posts, campaign spans and key dates of the visible window, for the widget.

    Answers are kept per person, in their current workspace, under its version: a kept
    answer is itself the proof that they were a member, with the role it was computed
    for, at a version still current (every change of membership is an audited write of
    the workspace, which moves its version on). So the version is read before the
    membership is checked, and a kept answer is served without asking the database.
    """
    user = request.user
    zone = zone_of(user)
    window = _parse_window(request, zone)
    if window is None:
        return _json({"error": _("Give a start and an end, at most 120 days apart.")}, status=400)
    start, end = window
    filters = _filters(request.GET)
    remembered = user.current_workspace_id
    key = _answer_key((remembered, user.pk, start, end, filters, zone.key, get_language()))
    version = None
    if remembered is not None:
        kept, version = _kept(key, remembered)
        if kept is not None:
            return _answer(request, kept, gzipped=True)
    membership = current_membership(user)
    if membership is None:
        return _json([])
    workspace = membership.workspace
    can_move = role_can(membership.role, Capability.POST_SCHEDULE)
    posts = calendar.calendar_posts(workspace, start, end, filters, now=timezone.now())
    campaigns = calendar.calendar_campaigns(workspace, start.date(), end.date(), filters.campaign)
    # Key dates are context for any filter: shown whatever the campaign, channel...
    key_dates = calendar.calendar_key_dates(workspace, start, end)
    body = _dump(
        _post_events(posts, zone, can_move)
        + _campaign_events(campaigns)
        + _key_date_events(key_dates, zone)
    )
    # Kept only when the answer is the remembered workspace's (someone whose workspace
    # was not remembered, or no longer theirs, is answered afresh each time).
    if version is not None and workspace.pk == remembered:
        until = min((p.risk_changes_at for p in posts if p.risk_changes_at), default=None)
        _keep(key, version, body, until)
    return _answer(request, body, gzipped=False)


@login_required
@require_POST
def post_move(request, pk: int):
    """Drag and drop: move a post to another time. Answers JSON; refusals say why."""
    post = selectors.post_for(request.user, pk)
    if post is None:
        return JsonResponse({"error": _("This post does not exist.")}, status=404)
    zone = zone_of(request.user)
    try:
        when = from_wall_clock(request.POST.get("when", ""), zone)
    except ValueError:
        return JsonResponse(
            {"error": _("That time does not exist in your time zone (a clock change?).")},
            status=400,
        )
    was_approved = post.approved_version is not None
    try:
        post = scheduling.post_reschedule(actor=request.user, post=post, scheduled_at=when)
    except ServiceError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    message = _("Moved to %(when)s.") % {"when": _local_text(post.scheduled_at, zone)}
    if was_approved and post.approved_version is None:
        message = f"{message} {WITHDRAWN_BY_MOVE}"
    return JsonResponse(
        {"ok": True, "start": wall_clock(post.scheduled_at, zone), "message": message}
    )
