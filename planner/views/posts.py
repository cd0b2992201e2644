"""A post's page: its content, where it goes, what happened, and what a person can do next."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import Capability, role_can
from accounts.selectors import role_in
from planner import selectors, workflow
from planner.channels.registry import adapter_for
from planner.errors import ServiceError
from planner.posts import actions, history, scheduling
from planner.posts.checks import chosen_media
from planner.posts.media import media_files
from planner.publishing import control
from planner.timezones import zone_of
from planner.views.calendar import WITHDRAWN_BY_MOVE, from_wall_clock, wall_clock
from planner.views.review import review_context
from planner.workflow import Action

# What a person can do from the post's page: the service, and whether it needs a
# second, explicit confirmation because it cannot be undone from here.
ACTIONS = {
    Action.SUBMIT: (actions.post_submit, False),
    Action.WITHDRAW: (actions.post_withdraw, False),
    Action.CANCEL: (actions.post_cancel, True),
    Action.REOPEN: (actions.post_reopen, False),
    Action.PUBLISH_NOW: (control.post_publish_now, True),
    Action.RETRY: (control.post_retry, False),
    Action.RETRACT: (actions.post_retract, True),
}
CONFIRM_TEXT = {
    Action.CANCEL: gettext_lazy("The post will not be published. You can reopen it later."),
    Action.PUBLISH_NOW: gettext_lazy(
        "The post goes out now on every channel that has not published it. If a delivery's "
        "outcome was unclear, check the account first: it may already be there."
    ),
    Action.RETRACT: gettext_lazy(
        "The post is deleted from every network that allows it. Where a network does not, "
        "you will have to remove it by hand."
    ),
}


def post_or_404(request, pk: int):
    post = selectors.post_for(request.user, pk)
    if post is None:
        raise Http404
    return post


def _available(post, user, role) -> list[Action]:
    """The actions this person could take now (the service checks again when they do)."""
    ctx = workflow.Context(
        role=role,
        is_author=post.author_id == user.pk,
        has_schedule=post.scheduled_at is not None,
    )
    # "ready" refusals stay visible: clicking explains what is missing.
    verdicts = {action: workflow.check(post.state, action, ctx) for action in ACTIONS}
    return [a for a, v in verdicts.items() if v.allowed or v.refused_by == "ready"]


def _can_move(post, user, role) -> bool:
    ctx = workflow.Context(
        role=role, is_author=post.author_id == user.pk, has_schedule=post.scheduled_at is not None
    )
    return bool(workflow.check(post.state, Action.RESCHEDULE, ctx))


@login_required
@require_POST
def post_reschedule(request, pk: int):
    """The form twin of the calendar's drag and drop: a new date and time, typed."""
    post = post_or_404(request, pk)
    try:
        when = from_wall_clock(request.POST.get("when", ""), zone_of(request.user))
    except ValueError:
        messages.error(
            request,
            _("Give a date and time that exists in your time zone (not one a clock change skips)."),
        )
        return redirect("planner:post_detail", pk=post.pk)
    was_approved = post.approved_version is not None
    try:
        moved = scheduling.post_reschedule(actor=request.user, post=post, scheduled_at=when)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        message = _("Moved to %(when)s.") % {
            "when": formats.date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT")
        }
        if was_approved and moved.approved_version is None:
            message = f"{message} {WITHDRAWN_BY_MOVE}"
        messages.success(request, message)
    return redirect("planner:post_detail", pk=post.pk)


@login_required
def post_detail(request, pk: int):
    return render_post(request, post_or_404(request, pk))


def render_post(request, post, *, status: int = 200, **extra):
    """The post's page; the decision and comment views show it again, with what was
    typed and why it was refused, under the HTTP status of the refusal."""
    role = role_in(request.user, post.workspace_id)
    media = list(post.media.all())
    variants = []
    for variant in post.variants.select_related("channel"):
        adapter = adapter_for(variant.channel.kind)
        carried = chosen_media(media, variant.media)
        variants.append(
            {
                "variant": variant,
                "counts": adapter.counts(variant.effective_text),
                "errors": adapter.validate(variant.effective_text, media_files(carried)),
                # Which files go out on this channel, when it has its own selection.
                "media": carried if variant.media is not None else None,
            }
        )
    return render(
        request,
        "planner/post_detail.html",
        {
            "post": post,
            "media": media,
            "variants": variants,
            "publications": post.publications.select_related("channel").order_by("channel__name"),
            "history": [
                {"event": e, "text": history.describe(e), "change": history.state_change(e)}
                for e in post.audit_events.select_related("actor").order_by("-created_at")[:50]
            ],
            "actions": _available(post, request.user, role),
            "can_manage_channels": role_can(role, Capability.CHANNEL_MANAGE),
            "can_move": _can_move(post, request.user, role),
            "when": wall_clock(post.scheduled_at, zone_of(request.user))
            if post.scheduled_at
            else "",
            "can_edit": post.state not in workflow.LOCKED
            and post.state != workflow.State.CANCELLED
            and role_can(role, Capability.POST_CREATE),
            **review_context(post, request.user, role),
            **extra,
        },
        status=status,
    )


@login_required
@require_POST
def post_act(request, pk: int, action: str):
    post = post_or_404(request, pk)
    try:
        action = Action(action)
        service, needs_confirmation = ACTIONS[action]
    except (ValueError, KeyError):
        raise Http404 from None
    if needs_confirmation and request.POST.get("confirmed") != "yes":
        return render(
            request,
            "planner/confirm.html",
            {"post": post, "action": action, "explanation": CONFIRM_TEXT[action]},
        )
    kwargs = {"actor": request.user, "post": post}
    if action in (Action.CANCEL, Action.RETRACT):
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        service(**kwargs)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": action.label.lower()})
    return redirect("planner:post_detail", pk=post.pk)
