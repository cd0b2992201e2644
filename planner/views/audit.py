"""The audit trail page (admins): every event of the workspace, filtered, paged, as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner.analytics.csv_export import csv_stream
from planner.posts import history
from planner.workspace import audit_trail
from planner.workspace.forms import AuditFilterForm


@login_required
@require_GET
def audit_trail_page(request):
    membership = membership_or_404(request.user)
    if not role_can(membership.role, Capability.AUDIT_VIEW):
        raise PermissionDenied(_("Only the admins of this workspace can read its audit trail."))
    workspace = membership.workspace
    form = AuditFilterForm(request.GET or None, workspace=workspace)
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters() if form.is_bound and valid else audit_trail.Filters()
    found = audit_trail.events(workspace, filters)
    if valid and request.GET.get("format") == "csv":
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        return csv_stream(
            f"audit-{workspace.slug}-{stamp}.csv",
            audit_trail.CSV_HEADER,
            audit_trail.csv_rows(found),
        )
    page = Paginator(found, audit_trail.PAGE_SIZE).get_page(request.GET.get("page"))
    names = audit_trail.channel_names(workspace)
    rows = [
        (event, history.describe(event), audit_trail.changes(event, channel_names=names))
        for event in (page if valid else [])
    ]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "planner/audit.html",
        {
            "form": form,
            "valid": valid,
            "page": page if valid else None,
            "rows": rows,
            "query": query.urlencode(),
            "filtered": form.is_bound and any(v for k, v in request.GET.items() if k != "page"),
        },
    )
