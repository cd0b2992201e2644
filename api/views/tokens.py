"""The page where a person manages their API tokens for the current workspace.

A new token is shown once, in the answer to the form that made it (never in a URL
or a redirect), as the feeds page shows a new address."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.selectors import membership_or_404
from api import selectors, services
from api.forms import NewTokenForm
from planner.errors import ServiceError
from planner.posts.forms import add_service_error


def _end_of_day(day: dt.date, user) -> dt.datetime:
    """A token "expires on" a day: it works through that day in the person's zone."""
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


def _page(request, membership, *, form=None, fresh=None, status=200):
    return render(
        request,
        "api/tokens.html",
        {
            "workspace": membership.workspace,
            "tokens": selectors.tokens_of(request.user, membership.workspace),
            "form": form or NewTokenForm(),
            "fresh": fresh,
        },
        status=status,
    )


@login_required
def token_list(request):
    membership = membership_or_404(request.user)
    if request.method != "POST":
        return _page(request, membership)
    form = NewTokenForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        expires_on = data["expires_on"]
        try:
            token, plaintext = services.api_token_create(
                actor=request.user,
                workspace=membership.workspace,
                name=data["name"],
                expires_at=_end_of_day(expires_on, request.user) if expires_on else None,
                read_only=data["read_only"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            return _page(request, membership, fresh={"token": token, "secret": plaintext})
    return _page(request, membership, form=form, status=400)


@login_required
def token_revoke(request, pk: int):
    membership = membership_or_404(request.user)
    token = (
        selectors.tokens_of(request.user, membership.workspace)
        .filter(pk=pk, revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise Http404
    if request.method != "POST" or request.POST.get("confirmed") != "yes":
        return render(request, "api/token_confirm_revoke.html", {"token": token})
    try:
        services.api_token_revoke(actor=request.user, token_id=token.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name},
        )
    return redirect("api:tokens")
