"""Connect and Reconnect through a network's own sign-in (planner/connection/flow.py):
the network's page (what Maillon asks for and why, or how the operator sets the network
up), the callback the network sends the browser back to, and the choice of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner import outbound
from planner.channels.authorization import SPECS
from planner.connection import flow
from planner.connection.clients import app_for, callback_url
from planner.errors import NotAllowed, NotFound, ServiceError
from planner.models import Channel
from planner.planning.channel_forms import NETWORKS


def _manager(request):
    membership = membership_or_404(request.user)
    if not role_can(membership.role, Capability.CHANNEL_MANAGE):
        raise PermissionDenied
    return membership


def _refusal(exc: ServiceError) -> None:
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc


def sign_in_forms_allowed(response, *, any_server: bool = False, servers: Iterable[str] = ()):
    """A Connect or Reconnect button posts here, and we answer with a redirect to the
    network's consent page: the Content-Security-Policy's form-action must name that
    page's origin too (browsers check form-action on the redirect).

    A network of many servers (Mastodon) has its consent page on the channel's server
    (``servers``: the addresses the page's Reconnect buttons lead to) or, on a page where
    the person types the server (``any_server``), on any https origin, and on this
    machine where loopback is allowed (the tests' servers)."""
    origins = {_origin(server) for server in servers if server}
    if any_server:
        origins.add("https:")
        if outbound.loopback_allowed():
            origins |= {"http://127.0.0.1:*", "http://localhost:*"}
    for network in SPECS:
        app = app_for(network)
        if app is not None:
            origins.add(_origin(app.authorize_url))
    if origins:
        response._csp_update = {"form-action": sorted(origins)}
    return response


def _origin(address: str) -> str:
    url = urlsplit(address)
    return f"{url.scheme}://{url.netloc}"


def network_setup(network: str) -> dict:
    """What the pages say of a network's sign-in: its scopes, and how to set it up."""
    spec = SPECS[network]
    return {
        "spec": spec,
        "configured": spec.per_server or app_for(network) is not None,
        "callback": callback_url(network),
        "token_forms": [NETWORKS[kind] for kind in spec.kinds],
    }


@login_required
def channel_connect(request, network: str):
    membership = _manager(request)
    if network not in SPECS:
        raise Http404
    setup = network_setup(network)
    if request.method == "POST":
        server = request.POST.get("server", "")
        try:
            begun = flow.begin(
                actor=request.user, workspace=membership.workspace, network=network, server=server
            )
        except ServiceError as exc:
            _refusal(exc)
            if not setup["spec"].per_server:
                messages.error(request, exc.message)
                return redirect("planner:channel_connect", network=network)
            # The server typed stays in the field, with what is wrong beside it.
            setup |= {"server": server[:200], "server_error": exc.message}
            response = render(request, "planner/channel_connect.html", setup, status=200)
            return sign_in_forms_allowed(response, any_server=True)
        flow.remember(request.session, begun.pending)
        return redirect(begun.url)
    response = render(request, "planner/channel_connect.html", setup)
    return sign_in_forms_allowed(response, any_server=setup["spec"].per_server)


@login_required
@require_POST
def channel_reconnect(request, pk: int):
    membership = _manager(request)
    channel = Channel.objects.filter(workspace=membership.workspace, pk=pk).first()
    if channel is None:
        raise Http404
    spec = next((s for s in SPECS.values() if channel.kind in s.kinds), None)
    if spec is None:
        raise Http404
    try:
        begun = flow.begin(
            actor=request.user,
            workspace=membership.workspace,
            network=spec.network,
            channel=channel,
        )
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
        return redirect(reverse("planner:channel_list") + f"#channel-{channel.pk}")
    flow.remember(request.session, begun.pending)
    return redirect(begun.url)


@login_required
def channel_connect_callback(request, network: str):
    membership = _manager(request)
    if network not in SPECS:
        raise Http404
    try:
        done = flow.complete(
            actor=request.user,
            workspace=membership.workspace,
            network=network,
            params=request.GET.dict(),
            session=flow.session_ids(request.session),
        )
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
        return redirect("planner:channel_list")
    if done.channel is not None:
        messages.success(
            request,
            _("%(name)s is reconnected: its scheduled posts will go out with the new access.")
            % {"name": done.channel.name},
        )
        return redirect(reverse("planner:channel_list") + f"#channel-{done.channel.pk}")
    return redirect("planner:channel_connect_choose", pending=done.pending.pk)


@login_required
def channel_connect_choose(request, pending):
    membership = _manager(request)
    try:
        pending_row = flow.pending_for(
            actor=request.user,
            workspace=membership.workspace,
            pending_id=str(pending),
            session=flow.session_ids(request.session),
        )
    except ServiceError as exc:
        _refusal(exc)
        raise Http404(exc.message) from exc
    choices = flow.choices(pending_row)
    errors: dict[str, list[str]] = {}
    typed: dict[int, str] = {}
    picked: set[int] = set()
    if request.method == "POST":
        for value in request.POST.getlist("pick"):
            if value.isdigit() and int(value) < len(choices):
                picked.add(int(value))
        typed = {c.index: request.POST.get(f"name-{c.index}", "") for c in choices}
        try:
            made = flow.choose(
                actor=request.user,
                pending=pending_row,
                picks={i: typed[i] for i in sorted(picked)},
            )
        except ServiceError as exc:
            _refusal(exc)
            errors = exc.fields or {"__all__": [exc.message]}
            messages.error(request, exc.message)
        else:
            flow.forget(request.session, str(pending))
            messages.success(
                request,
                ngettext(
                    "%(names)s is connected.",
                    "%(names)s are connected.",
                    len(made),
                )
                % {"names": ", ".join(c.name for c in made)},
            )
            return redirect("planner:channel_list")
    rows = [
        {
            "choice": c,
            "name": typed.get(c.index, c.account.name) if typed else c.account.name,
            "checked": (c.index in picked) if request.method == "POST" else c.existing is None,
            "errors": errors.get(f"name-{c.index}", []),
            "label": NETWORKS[c.account.kind].label,
        }
        for c in choices
    ]
    return render(
        request,
        "planner/channel_connect_choose.html",
        {"spec": flow.spec_of(pending_row), "rows": rows, "form_errors": errors.get("__all__", [])},
    )
