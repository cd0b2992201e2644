"""Channels: every member sees where the workspace publishes; admins connect, test,
disable and enable them. Every write goes through the channel services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner.analytics.collection import metrics_kinds
from planner.channels.authorization import SPECS, spec_for_kind
from planner.errors import NotAllowed, NotFound, ServiceError
from planner.models import Channel, Publication
from planner.planning import services
from planner.planning.channel_forms import NETWORKS, ChannelForm
from planner.posts.forms import add_service_error
from planner.publishing.engine import IN_FLIGHT
from planner.views.connect import network_setup, sign_in_forms_allowed

UPCOMING_SHOWN = 10


def _require_manager(membership) -> None:
    """Only admins see the forms and may post to these pages; the services check again."""
    if not role_can(membership.role, Capability.CHANNEL_MANAGE):
        raise PermissionDenied


def _channel(membership, pk: int) -> Channel:
    channel = Channel.objects.filter(workspace=membership.workspace, pk=pk).first()
    if channel is None:
        raise Http404
    channel.workspace = membership.workspace
    return channel


def _refusal(exc: ServiceError):
    """A service's 403/404 as the same answer from the page."""
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc


def _list_url(channel: Channel | None = None) -> str:
    url = reverse("planner:channel_list")
    return f"{url}#channel-{channel.pk}" if channel else url


@login_required
def channel_list(request):
    membership = membership_or_404(request.user)
    channels = Channel.objects.filter(workspace=membership.workspace).order_by("kind", "name")
    # Reconnect: channels a sign-in connected, or that lost their access.
    reconnectable = [
        c
        for c in channels
        if spec_for_kind(c.kind) is not None
        and (c.connected_with == "oauth" or c.disconnected_at is not None)
    ]
    response = render(
        request,
        "planner/channel_list.html",
        {
            "channels": [(c, NETWORKS[c.kind]) for c in channels],
            "reconnectable": {c.pk for c in reconnectable},
            "can_manage": role_can(membership.role, Capability.CHANNEL_MANAGE),
            "metric_kinds": metrics_kinds(),
            "now": timezone.now(),
            "soon": timezone.now() + timezone.timedelta(days=7),
        },
    )
    servers = [c.base_url for c in reconnectable if spec_for_kind(c.kind).per_server]
    return sign_in_forms_allowed(response, servers=servers)


def _save(request, form: ChannelForm, membership, channel: Channel | None) -> Channel | None:
    data = form.cleaned_data
    try:
        return services.channel_save(
            actor=request.user,
            workspace=membership.workspace,
            channel=channel,
            kind=form.network.kind,
            name=data["name"],
            handle=data["handle"],
            base_url=data.get("base_url") or "",
            credentials=form.credentials(),
        )
    except ServiceError as exc:
        _refusal(exc)
        add_service_error(form, exc)
        return None


@login_required
def channel_new(request):
    membership = membership_or_404(request.user)
    _require_manager(membership)
    kind = request.GET.get("kind", "")
    if not kind:
        sign_ins = [network_setup(network) for network in SPECS]
        return sign_in_forms_allowed(
            render(
                request,
                "planner/channel_choose.html",
                {"networks": NETWORKS.values(), "sign_ins": sign_ins},
            )
        )
    network = NETWORKS.get(kind)
    if network is None:
        raise Http404
    spec = spec_for_kind(kind)
    form = ChannelForm(request.POST or None, network=network)
    if request.method == "POST" and form.is_valid():
        channel = _save(request, form, membership, None)
        if channel is not None:
            messages.success(
                request,
                _("%(name)s is connected. Test the connection to check its credentials.")
                % {"name": channel.name},
            )
            return redirect(_list_url(channel))
    setup = network_setup(spec.network) if spec else None
    response = render(
        request, "planner/channel_form.html", {"form": form, "network": network, "setup": setup}
    )
    # Mastodon's token form also offers its sign-in, with the server to type.
    return sign_in_forms_allowed(response, any_server=bool(spec and spec.per_server))


@login_required
def channel_edit(request, pk: int):
    membership = membership_or_404(request.user)
    channel = _channel(membership, pk)
    _require_manager(membership)
    network = NETWORKS[channel.kind]
    form = ChannelForm(request.POST or None, network=network, channel=channel)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, membership, channel)
        if saved is not None:
            messages.success(request, _("%(name)s is saved.") % {"name": saved.name})
            return redirect(_list_url(saved))
        channel.refresh_from_db()  # the service may have changed the copy it was given
    return render(
        request,
        "planner/channel_form.html",
        {"form": form, "network": network, "channel": channel},
    )


@login_required
@require_POST
def channel_test(request, pk: int):
    membership = membership_or_404(request.user)
    channel = _channel(membership, pk)
    _require_manager(membership)
    try:
        result = services.channel_test_connection(actor=request.user, channel=channel)
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
    else:
        if result.ok:
            messages.success(
                request,
                _("%(name)s: the connection works. %(result)s")
                % {"name": channel.name, "result": result.message},
            )
        else:
            messages.error(
                request,
                _("%(name)s: the connection test failed. %(result)s")
                % {"name": channel.name, "result": result.message},
            )
    return redirect(_list_url(channel))


@login_required
@require_POST
def channel_disable(request, pk: int):
    membership = membership_or_404(request.user)
    channel = _channel(membership, pk)
    _require_manager(membership)
    if request.POST.get("confirmed") != "yes":
        upcoming = (
            Publication.objects.filter(channel=channel, state__in=IN_FLIGHT)
            .select_related("post")
            .order_by("due_at")
        )
        return render(
            request,
            "planner/channel_confirm_disable.html",
            {
                "channel": channel,
                "upcoming_count": upcoming.count(),
                "upcoming": upcoming[:UPCOMING_SHOWN],
            },
        )
    return _set_active(request, channel, active=False)


@login_required
@require_POST
def channel_enable(request, pk: int):
    membership = membership_or_404(request.user)
    channel = _channel(membership, pk)
    _require_manager(membership)
    return _set_active(request, channel, active=True)


def _set_active(request, channel: Channel, *, active: bool):
    try:
        services.channel_set_active(actor=request.user, channel=channel, active=active)
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
    else:
        if active:
            done = _("%(name)s is enabled: posts can use it again.")
        else:
            done = _("%(name)s is disabled: nothing will be sent to it.")
        messages.success(request, done % {"name": channel.name})
    return redirect(_list_url(channel))
