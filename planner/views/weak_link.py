"""The weak-link report: where posts wait between draft and published (admins, marketing)."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.selectors import current_membership
from planner.analytics import weak_link
from planner.analytics.csv_export import safe_cell


@login_required
@require_GET
def weak_link_report(request):
    membership = current_membership(request.user)
    if membership is None:
        return render(request, "planner/no_workspace.html")
    if not weak_link.may_read(membership.role):
        raise PermissionDenied
    days = weak_link.period_days(request.GET.get("days"))
    found = weak_link.report(membership.workspace, days)
    if request.GET.get("format") == "csv":
        return _csv(found, membership.workspace.slug)
    return render(
        request,
        "planner/weak_link.html",
        {"report": found, "periods": weak_link.PERIODS, "title": _("Weak links")},
    )


def _csv(found: weak_link.Report, slug: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="weak-link-{slug}-{found.days}d.csv"'
    writer = csv.writer(response)

    def row(*cells: object) -> None:
        writer.writerow([safe_cell(cell) for cell in cells])

    row("section", "stage", "who", "count", "median_hours", "p90_hours")
    for section, rows in (
        ("stage", found.stages),
        ("role", found.by_role),
        ("person", found.by_person),
    ):
        for item in rows:
            row(
                section,
                item.stage.label,
                item.who,
                item.figures.count,
                round(item.figures.median_hours, 2),
                round(item.figures.p90_hours, 2),
            )
    for item in found.overdue:
        row(
            "overdue",
            _("Approval step %(position)d: %(role)s")
            % {"position": item.step.position, "role": item.role_label},
            str(item.post),
            1,
            round(item.waited_hours, 2),
            "",
        )
    for label, posts in found.rework:
        row("rework", _("Changes requested"), label, posts, "", "")
    for post, requests in found.rework_top:
        row("rework_post", _("Changes requested"), str(post), requests, "", "")
    for channel in found.channels:
        row("channel_deliveries", channel.name, "", channel.deliveries, "", "")
        row("channel_failed", channel.name, "", channel.failed, "", "")
        row("channel_missed", channel.name, "", channel.missed, "", "")
        row("channel_attention", channel.name, "", channel.attention, "", "")
    return response
