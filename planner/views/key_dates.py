"""Key dates: every member sees the sources and the dates to come; admins and marketing
import, refresh and remove them. Every write goes through ``planner.calendar_feeds.key_dates``.

An import (a file, an address, a refresh) is queued and run by a worker
(``calendar_feeds.key_dates.key_dates_import_queue``); its page follows the progress,
refreshing itself every few seconds while it runs, then shows the result or every problem
of the file."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner import selectors
from planner.calendar_feeds import ical_read, key_dates, safe_fetch
from planner.calendar_feeds.forms import KeyDateAddForm, KeyDateImportForm
from planner.calendar_feeds.key_dates import masked_url
from planner.errors import NotAllowed, NotFound, ServiceError
from planner.models import ImportStatus, KeyDate, KeyDateImport, KeyDateSource
from planner.posts.forms import add_service_error
from planner.timezones import zone_of

UPCOMING_SHOWN = 30
IMPORTS_SHOWN = 5
# How often an import's page reloads while the import runs (seconds).
IMPORT_PAGE_REFRESH = 2


def _can_manage(membership) -> bool:
    return role_can(membership.role, Capability.KEY_DATES_MANAGE)


def _require_manager(membership) -> None:
    """Only admins and marketing may post to these pages; the services check again."""
    if not _can_manage(membership):
        raise PermissionDenied


def _refusal(exc: ServiceError):
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc


def _source(membership, source_id: int) -> KeyDateSource:
    source = KeyDateSource.objects.filter(workspace=membership.workspace, pk=source_id).first()
    if source is None:
        raise Http404
    source.workspace = membership.workspace
    return source


def _page(request, membership, *, import_form=None, add_form=None):
    workspace = membership.workspace
    can_manage = _can_manage(membership)
    zone = zone_of(request.user)
    now = timezone.now()
    sources = [
        (source, source.url if can_manage else masked_url(source.url))
        for source in selectors.key_date_sources(workspace)
    ]
    upcoming = selectors.upcoming_key_dates(
        workspace, now, now.astimezone(zone).date(), UPCOMING_SHOWN
    )
    imports = []
    if can_manage:
        key_dates.key_date_imports_expire(workspace=workspace)
        imports = selectors.key_date_imports(workspace)[:IMPORTS_SHOWN]
    return render(
        request,
        "planner/key_dates.html",
        {
            "sources": sources,
            "upcoming": upcoming,
            "imports": imports,
            "zone": zone,
            "can_manage": can_manage,
            "import_form": import_form or KeyDateImportForm(),
            "add_form": add_form or KeyDateAddForm(),
            "max_size": safe_fetch.size_text(int(settings.KEY_DATES_MAX_BYTES)),
            "timeout": settings.KEY_DATES_TIMEOUT_SECONDS,
            "days_before": ical_read.WINDOW_BEFORE.days,
            "days_after": ical_read.WINDOW_AFTER.days,
            "max_dates": ical_read.MAX_OCCURRENCES,
        },
    )


def _list_url(source: KeyDateSource | None = None) -> str:
    url = reverse("planner:key_dates")
    return f"{url}#source-{source.pk}" if source else url


def _summary(job: KeyDateImport) -> tuple[str, str]:
    """What a finished import says, and how (success, warning or danger)."""
    if job.status == ImportStatus.FAILED:
        return "danger", job.error
    counts = {"name": job.name, "dates": job.dates, **job.result}
    if job.result.get("created"):
        text = _("“%(name)s” is imported: %(dates)s dates.") % counts
    else:
        text = (
            _(
                "“%(name)s” is up to date: %(dates)s dates (%(added)s new, %(updated)s changed, "
                "%(removed)s removed, %(unchanged)s unchanged)."
            )
            % counts
        )
    if not job.dates:
        text += " " + _(
            "None of its events falls between a year ago and two years ahead, which is what "
            "the calendar keeps."
        )
        return "warning", text
    return "success", text


def _import_url(job: KeyDateImport) -> str:
    return reverse("planner:key_date_import", args=[job.pk])


@login_required
@require_GET
def key_date_list(request):
    return _page(request, membership_or_404(request.user))


@login_required
@require_POST
def key_dates_import(request):
    membership = membership_or_404(request.user)
    _require_manager(membership)
    form = KeyDateImportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        content = None
        if data["file"]:
            # A file far too large is not read at all (the service checks again).
            content = data["file"].read(int(settings.KEY_DATES_MAX_BYTES) + 1)
        try:
            job = key_dates.key_dates_import_queue(
                actor=request.user,
                workspace=membership.workspace,
                name=data["name"],
                data=content,
                url=data["url"] or "",
            )
        except ServiceError as exc:
            _refusal(exc)
            add_service_error(form, exc)
        else:
            return redirect(_import_url(job))
    return _page(request, membership, import_form=form)


@login_required
@require_GET
def key_date_import(request, import_id: int):
    """An import's progress, then its result: reloads itself while the import runs."""
    membership = membership_or_404(request.user)
    _require_manager(membership)
    workspace = membership.workspace
    key_dates.key_date_imports_expire(workspace=workspace)
    job = (
        KeyDateImport.objects.filter(workspace=workspace, pk=import_id)
        .select_related("source", "created_by")
        .defer("upload")
        .first()
    )
    if job is None:
        raise Http404
    level, summary = ("", "") if job.under_way else _summary(job)
    waited = (timezone.now() - job.created_at).total_seconds()
    return render(
        request,
        "planner/key_date_import.html",
        {
            "job": job,
            "level": level,
            "summary": summary,
            "refresh_every": IMPORT_PAGE_REFRESH if job.under_way else None,
            # A queued import nobody takes: most likely no worker runs.
            "no_worker_yet": job.status == ImportStatus.QUEUED and waited > 30,
            "percent": (
                round(100 * job.series_done / job.series_total) if job.series_total else None
            ),
            "address": masked_url(job.url),
        },
    )


@login_required
@require_POST
def key_date_source_refresh(request, source_id: int):
    membership = membership_or_404(request.user)
    source = _source(membership, source_id)
    _require_manager(membership)
    try:
        job = key_dates.key_dates_refresh_queue(actor=request.user, source=source)
    except ServiceError as exc:
        _refusal(exc)
        messages.error(
            request,
            _("“%(name)s” could not be refreshed; its dates are kept as they were. %(reason)s")
            % {"name": source.name, "reason": exc.message},
        )
        return redirect(_list_url(source))
    return redirect(_import_url(job))


@login_required
@require_POST
def key_date_source_remove(request, source_id: int):
    membership = membership_or_404(request.user)
    source = _source(membership, source_id)
    _require_manager(membership)
    if request.POST.get("confirmed") != "yes":
        return render(
            request,
            "planner/key_date_confirm_remove.html",
            {"source": source, "count": source.key_dates.count()},
        )
    try:
        count = key_dates.key_date_source_remove(actor=request.user, source=source)
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("“%(name)s” is removed, with its %(count)s dates.")
            % {"name": source.name, "count": count},
        )
    return redirect(_list_url())


@login_required
@require_POST
def key_date_add(request):
    membership = membership_or_404(request.user)
    _require_manager(membership)
    form = KeyDateAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            key_date = key_dates.key_date_add(
                actor=request.user,
                workspace=membership.workspace,
                title=data["title"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ServiceError as exc:
            _refusal(exc)
            add_service_error(form, exc)
        else:
            messages.success(request, _("“%(title)s” is added.") % {"title": key_date.title})
            return redirect(_list_url())
    return _page(request, membership, add_form=form)


@login_required
@require_POST
def key_date_remove(request, key_date_id: int):
    membership = membership_or_404(request.user)
    key_date = KeyDate.objects.filter(workspace=membership.workspace, pk=key_date_id).first()
    if key_date is None:
        raise Http404
    key_date.workspace = membership.workspace
    _require_manager(membership)
    if request.POST.get("confirmed") != "yes":
        return render(request, "planner/key_date_confirm_remove.html", {"key_date": key_date})
    try:
        key_dates.key_date_remove(actor=request.user, key_date=key_date)
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(title)s” is removed.") % {"title": key_date.title})
    return redirect(_list_url())
