"""The post editor: write the main text and each channel's own, see each network's
counters as you type (computed by the same code that validates), save or submit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import current_membership
from planner import selectors, services
from planner.channels.registry import adapter_for
from planner.errors import Conflict, ServiceError
from planner.forms import PostForm, add_service_error
from planner.models import Channel


@login_required
def post_new(request):
    membership = current_membership(request.user)
    if membership is None:
        return render(request, "planner/no_workspace.html")
    workspace = membership.workspace
    initial = {"scheduled_at": request.GET.get("at") or None}
    form = PostForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_create(
                actor=request.user,
                workspace=workspace,
                title=data["title"],
                body=data["body"],
                variants=form.variants(),
                campaign=data["campaign"],
                scheduled_at=data["scheduled_at"],
                assignee=data["assignee"],
                labels=data["labels"],
            )
            if request.POST.get("submit_for_review"):
                services.post_submit(actor=request.user, post=post)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("planner:post_detail", pk=post.pk)
    return render(request, "planner/post_form.html", {"form": form, "post": None})


@login_required
def post_edit(request, pk: int):
    post = selectors.post_for(request.user, pk)
    if post is None:
        raise Http404
    initial = {
        "title": post.title,
        "body": post.body,
        "channels": [v.channel_id for v in post.variants.all()],
        "scheduled_at": post.scheduled_at,
        "campaign": post.campaign_id,
        "assignee": post.assignee_id,
        "labels": list(post.labels.values_list("pk", flat=True)),
        "version": post.version,
        **{f"variant_{v.channel_id}": v.text for v in post.variants.all()},
    }
    form = PostForm(request.POST or None, workspace=post.workspace, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_save(
                actor=request.user,
                post=post,
                expected_version=data["version"] or post.version,
                title=data["title"],
                body=data["body"],
                variants=form.variants(),
                scheduled_at=data["scheduled_at"],
                campaign=data["campaign"],
                assignee=data["assignee"],
                labels=data["labels"],
            )
            if request.POST.get("submit_for_review"):
                services.post_submit(actor=request.user, post=post)
        except Conflict as exc:
            # Someone saved first: keep this person's text in the form, show theirs
            # beside it, and let a second save overwrite knowingly.
            post.refresh_from_db()
            conflict = {"message": exc.message, "saved": post}
            form.data = form.data.copy()
            form.data["version"] = str(post.version)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("planner:post_detail", pk=post.pk)
    return render(
        request, "planner/post_form.html", {"form": form, "post": post, "conflict": conflict}
    )


@login_required
@require_POST
def post_counters(request):
    """The counters of each chosen channel for the text being typed (an htmx partial)."""
    membership = current_membership(request.user)
    if membership is None:
        raise Http404
    body = request.POST.get("body", "")
    chosen = [int(c) for c in request.POST.getlist("channels") if c.isdigit()]
    rows = []
    for channel in Channel.objects.filter(workspace=membership.workspace, pk__in=chosen):
        text = request.POST.get(f"variant_{channel.pk}", "") or body
        adapter = adapter_for(channel.kind)
        rows.append(
            {"channel": channel, "counts": adapter.counts(text), "errors": adapter.validate(text)}
        )
    return render(request, "planner/_counters.html", {"rows": rows})
