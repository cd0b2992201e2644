"""The post editor: write the main text and each channel's own, attach images and
videos, see each network's counters and a preview of the post as you type (computed
by the same code that validates), save or submit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import current_membership
from planner import selectors
from planner.channels.registry import adapter_for
from planner.errors import Conflict, ServiceError
from planner.models import Campaign, Channel
from planner.posts import actions, writing
from planner.posts import media as post_media
from planner.posts.checks import chosen_media
from planner.posts.forms import PostForm, add_service_error
from planner.posts.media import media_files
from planner.posts.previews import alt_limit, alt_status, preview
from planner.views.media import channel_media, media_items, typed_alt_texts, upload_settings
from planner.views.reports import editor_good_times


def _page(request, form, post, **extra):
    alt_values = typed_alt_texts(request.POST, post) if request.method == "POST" else {}
    context = {
        "form": form,
        "post": post,
        "media_items": media_items(post, alt_values),
        "channel_media": channel_media(post),
        "post_pk": post.pk if post else None,
        "media_warnings": post_media.media_warnings(post, alt_values) if post else [],
        "good_times": editor_good_times(form, post),
        **upload_settings(),
        **extra,
    }
    return render(request, "planner/post_form.html", context)


def _campaign_initial(request, workspace) -> dict:
    """Planning from a campaign's calendar: the post starts in that campaign, on its
    channels (the person can still change both)."""
    number = request.GET.get("campaign", "")
    campaign = (
        Campaign.objects.filter(workspace=workspace, pk=int(number)).first()
        if number.isdigit()
        else None
    )
    if campaign is None:
        return {}
    channels = list(campaign.channels.filter(is_active=True).values_list("pk", flat=True))
    return {"campaign": campaign.pk, "channels": channels}


@login_required
def post_new(request):
    membership = current_membership(request.user)
    if membership is None:
        return render(request, "planner/no_workspace.html")
    workspace = membership.workspace
    initial = {
        "scheduled_at": request.GET.get("at") or None,
        **_campaign_initial(request, workspace),
    }
    form = PostForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = writing.post_create(
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
                actions.post_submit(actor=request.user, post=post)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("planner:post_detail", pk=post.pk)
    return _page(request, form, None)


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
            post = writing.post_save(
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
                alt_texts=typed_alt_texts(request.POST, post),
            )
            if request.POST.get("submit_for_review"):
                actions.post_submit(actor=request.user, post=post)
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
    return _page(request, form, post, conflict=conflict)


@login_required
@require_POST
def post_counters(request):
    """Each chosen channel's counters and preview for the text being typed, and the
    state of each alternative text (an htmx partial; previews and alt-text states
    are swapped out of band)."""
    post = None
    if request.POST.get("post", "").isdigit():
        post = selectors.post_for(request.user, int(request.POST["post"]))
    if post is not None:
        workspace = post.workspace
    else:
        membership = current_membership(request.user)
        if membership is None:
            raise Http404
        workspace = membership.workspace
    body = request.POST.get("body", "")
    chosen = [int(c) for c in request.POST.getlist("channels") if c.isdigit()]
    media = list(post.media.all()) if post is not None else []
    alt_texts = typed_alt_texts(request.POST, post)
    # Each channel's own selection of the media, when it has one.
    selections = dict(post.variants.values_list("channel_id", "media")) if post else {}
    channels = list(Channel.objects.filter(workspace=workspace, pk__in=chosen).order_by("name"))
    rows, cards = [], []
    for channel in channels:
        text = request.POST.get(f"variant_{channel.pk}", "") or body
        adapter = adapter_for(channel.kind)
        carried = chosen_media(media, selections.get(channel.pk))
        files = media_files(carried, alt_texts)
        rows.append(
            {
                "channel": channel,
                "counts": adapter.counts(text),
                # One line per reason, however many files share it.
                "errors": list(dict.fromkeys(adapter.validate(text, files))),
            }
        )
        cards.append(preview(channel, text, carried, alt_texts))
    warnings = [f"{card.channel.name}: {problem}" for card in cards for problem in card.problems]
    limit = alt_limit(channels)
    statuses = [alt_status(m, alt_texts.get(m.pk, m.alt_text), limit) for m in media]
    return render(
        request,
        "planner/_counters.html",
        {
            "rows": rows,
            "previews": cards,
            "alt_statuses": statuses,
            "media_warnings": warnings,
            "live": True,
        },
    )
