"""An approver's decision and a comment, from the post's page.

Thin: each calls its service and, when refused, shows the post's page again with
what was typed, why, and the refusal's HTTP status (400, 403, 409)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import role_in
from planner.approvals import chain_progress
from planner.errors import Invalid, ServiceError
from planner.models import Decision
from planner.posts import actions
from planner.views.posts import post_or_404, render_post
from planner.workflow import State


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _refused(request, pk: int, exc: ServiceError, *, field: str, form: str, typed: dict):
    """The page again, fresh (someone may have acted first), with the refusal: beside
    the form's ``field`` when it is about that field, else as a message."""
    if exc.status == 404:
        raise Http404
    post = post_or_404(request, pk)
    errors = [exc.message] if isinstance(exc, Invalid) and field in exc.fields else []
    if not errors:
        messages.error(request, exc.message)
    return render_post(request, post, status=exc.status, **{f"{form}_errors": errors}, **typed)


def _decided_message(post, decision: str, step_position: int) -> str:
    if decision == Decision.REQUEST_CHANGES:
        return _("Changes requested: the post goes back to its writer with your comment.")
    if decision == Decision.REJECT:
        return _("Rejected: the post is cancelled.")
    if post.state == State.APPROVED:
        return _("Approved: the post will go out as planned.")
    current = chain_progress.progress(
        post, four_eyes_relaxed=post.workspace.four_eyes_relaxed
    ).current
    if current is not None and current.position == step_position:
        return _("Your approval is recorded; this step still waits for the others.")
    return _("Approved: the post now waits for the next step of the chain.")


@login_required
@require_POST
def post_decide(request, pk: int):
    post = post_or_404(request, pk)
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "")
    typed = {"decision_comment": comment}
    expected_version = _number(request.POST.get("expected_version", ""))
    step_position = _number(request.POST.get("step_position", ""))
    if decision not in Decision.values or expected_version is None or step_position is None:
        messages.error(request, _("This decision form was incomplete: please try again."))
        return render_post(request, post, status=400, **typed)
    if decision == Decision.REJECT and request.POST.get("confirmed") != "yes":
        turn = chain_progress.turn_of(
            post, request.user, role=role_in(request.user, post.workspace_id)
        )
        # Only someone who may reject is asked to confirm; the service refuses the others.
        if Decision.REJECT in turn.decisions:
            return render(
                request,
                "planner/decide_confirm.html",
                {
                    "post": post,
                    "comment": comment,
                    "expected_version": expected_version,
                    "step_position": step_position,
                },
            )
    try:
        post = actions.post_decide(
            actor=request.user,
            post=post,
            decision=decision,
            expected_version=expected_version,
            step_position=step_position,
            comment=comment,
        )
    except ServiceError as exc:
        return _refused(request, pk, exc, field="comment", form="decision", typed=typed)
    messages.success(request, _decided_message(post, decision, step_position))
    return redirect("planner:post_detail", pk=post.pk)


@login_required
@require_POST
def comment_add(request, pk: int):
    post = post_or_404(request, pk)
    body = request.POST.get("body", "")
    try:
        actions.comment_add(actor=request.user, post=post, body=body)
    except ServiceError as exc:
        return _refused(
            request, pk, exc, field="body", form="comment", typed={"comment_body": body}
        )
    messages.success(request, _("Your comment is added."))
    return redirect(reverse("planner:post_detail", args=[post.pk]) + "#comments")
