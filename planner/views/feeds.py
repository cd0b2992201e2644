"""Calendar feeds: the private feed address (no sign-in: its token is the credential),
the page where people make, regenerate and revoke their links, and a campaign as one
.ics file."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Membership
from accounts.selectors import membership_or_404
from planner.approvals import queues
from planner.calendar_feeds import content, links, text, validators
from planner.errors import NotAllowed, NotFound, ServiceError
from planner.models import Campaign, Channel, FeedLink, FeedScope
from planner.posts.forms import add_service_error

CONTENT_TYPE = "text/calendar; charset=utf-8"
MASK = "••••••••"


# --- the feed itself -------------------------------------------------------------------------


def _feed_headers(response: HttpResponse, valid: validators.Validators) -> HttpResponse:
    # private: it is one person's view; no-cache: ask each time, so a revoked address
    # stops at once (the ETag makes asking cheap).
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    if valid.etag:
        response["ETag"] = valid.etag
    if valid.last_modified:
        response["Last-Modified"] = http_date(valid.last_modified.timestamp())
    return response


@require_safe
def feed(request, token: str):
    """GET or HEAD /feeds/<token>.ics: 404 unless the link is live and its owner still a
    member. ETag and Last-Modified come from an aggregate query (kept until the next
    write), so a 304 (and a HEAD) never builds the feed."""
    link = content.link_for_token(token)
    if link is None:
        raise Http404
    now = timezone.now()
    window = content.window_of(link, now.date())
    valid = validators.validators(link, window, now)
    if valid is None:
        raise Http404
    validators.mark_used(link, now)
    unchanged = get_conditional_response(
        request,
        etag=valid.etag,
        last_modified=valid.last_modified and int(valid.last_modified.timestamp()),
    )
    if unchanged is not None:
        return _feed_headers(unchanged, valid)
    if request.method == "HEAD":
        return _feed_headers(HttpResponse(content_type=CONTENT_TYPE), valid)
    body = text.render(content.feed_contents(link, valid.role, window), link.user.language)
    return _feed_headers(HttpResponse(body, content_type=CONTENT_TYPE), valid)


@login_required
@require_safe
def campaign_calendar(request, pk: int):
    """A campaign as one .ics file to import: its span, its posts, the key dates of its
    days. Members only."""
    membership = membership_or_404(request.user)
    campaign = (
        Campaign.objects.filter(workspace=membership.workspace, pk=pk)
        .select_related("workspace")
        .first()
    )
    if campaign is None:
        raise Http404
    body = text.render(content.campaign_contents(campaign), request.user.language)
    filename = f"{slugify(campaign.name) or 'campaign'}.ics"
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-cache"
    return response


# --- the page --------------------------------------------------------------------------------


def feed_address(token: str, scheme: str = "https") -> str:
    """The full address of a feed; ``webcal`` for the calendar apps that register it."""
    url = settings.SITE_URL + reverse("planner:feed", args=[token])
    if scheme == "webcal":
        return "webcal://" + url.split("://", 1)[1]
    return url


def _masked_address() -> str:
    """The address with its token hidden (reverse() would percent-encode the dots)."""
    return feed_address("TOKEN").replace("TOKEN", MASK)


class WindowFields(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name (for you)"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Empty: what it shows."),
    )
    days_back = forms.IntegerField(
        label=gettext_lazy("Days back"),
        min_value=0,
        max_value=730,
        initial=90,
        help_text=gettext_lazy("Past posts it keeps showing (0 to 730)."),
    )
    days_ahead = forms.IntegerField(
        label=gettext_lazy("Days ahead"),
        min_value=1,
        max_value=1095,
        initial=365,
        help_text=gettext_lazy("How far into the future it shows (1 to 1,095)."),
    )


class NewFeedForm(WindowFields):
    shows = forms.ChoiceField(label=gettext_lazy("What it shows"))

    field_order = ["shows", "name", "days_back", "days_ahead"]

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        workspace = membership.workspace
        choices: list = [
            (FeedScope.WORKSPACE, _("The whole workspace")),
            (FeedScope.MINE, _("My posts (written by me or assigned to me)")),
        ]
        if queues.approves(membership.role):
            choices.append((FeedScope.WAITING, _("What waits on me (my approval steps)")))
        campaigns = [
            (f"campaign:{pk}", name)
            for pk, name in Campaign.objects.filter(workspace=workspace)
            .order_by("name")
            .values_list("pk", "name")
        ]
        channels = [
            (f"channel:{pk}", name)
            for pk, name in Channel.objects.filter(workspace=workspace)
            .order_by("name")
            .values_list("pk", "name")
        ]
        if campaigns:
            choices.append((_("A campaign"), campaigns))
        if channels:
            choices.append((_("A channel"), channels))
        self.fields["shows"].choices = choices
        self.workspace = workspace

    def target(self) -> dict:
        """The scope and its campaign or channel (of this workspace only; gone since the
        page was shown: None, which the service refuses)."""
        scope, _sep, pk = self.cleaned_data["shows"].partition(":")
        if scope == FeedScope.CAMPAIGN:
            campaign = Campaign.objects.filter(workspace=self.workspace, pk=pk).first()
            return {"scope": scope, "campaign": campaign}
        if scope == FeedScope.CHANNEL:
            channel = Channel.objects.filter(workspace=self.workspace, pk=pk).first()
            return {"scope": scope, "channel": channel}
        return {"scope": scope}


@dataclass(frozen=True)
class Entry:
    link: FeedLink
    label: str
    https: str  # the full addresses right after making or regenerating, else masked
    webcal: str
    fresh: bool


def _links(request, membership: Membership):
    return (
        FeedLink.objects.filter(
            user=request.user, workspace=membership.workspace, revoked_at__isnull=True
        )
        .select_related("campaign", "channel")
        .order_by("created_at", "pk")
    )


def _page(
    request,
    membership: Membership,
    *,
    form: NewFeedForm | None = None,
    fresh: tuple[int, str] | None = None,
):
    entries = []
    for link in _links(request, membership):
        token = fresh[1] if fresh and fresh[0] == link.pk else None
        entries.append(
            Entry(
                link=link,
                label=content.label_of(link),
                https=feed_address(token) if token else _masked_address(),
                webcal=feed_address(token, "webcal") if token else "",
                fresh=token is not None,
            )
        )
    response = render(
        request,
        "planner/feeds.html",
        {
            "workspace": membership.workspace,
            "entries": entries,
            "fresh": next((e for e in entries if e.fresh), None),
            "form": form or NewFeedForm(membership=membership),
            # Revoked feeds leave the list; the last revocation says that they stopped,
            # also when it came from "sign out everywhere" or a reset.
            "last_revoked": FeedLink.objects.filter(
                user=request.user, workspace=membership.workspace, revoked_at__isnull=False
            )
            .order_by("-revoked_at")
            .values_list("revoked_at", flat=True)
            .first(),
        },
    )
    if fresh:
        # The full address is in this page only: no copy of it anywhere, not even a cache.
        response["Cache-Control"] = "no-store"
    return response


def _refusal(exc: ServiceError) -> None:
    if isinstance(exc, NotFound):
        raise Http404 from None
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from None


def _own_link(request, membership: Membership, pk: int) -> FeedLink:
    link = _links(request, membership).filter(pk=pk).first()
    if link is None:
        raise Http404
    return link


@login_required
def feed_list(request):
    return _page(request, membership_or_404(request.user))


@login_required
@require_POST
def feed_create(request):
    membership = membership_or_404(request.user)
    form = NewFeedForm(request.POST, membership=membership)
    if form.is_valid():
        data = form.cleaned_data
        try:
            link, token = links.feed_link_create(
                actor=request.user,
                workspace=membership.workspace,
                name=data["name"],
                days_back=data["days_back"],
                days_ahead=data["days_ahead"],
                **form.target(),
            )
        except ServiceError as exc:
            _refusal(exc)
            add_service_error(form, exc)
        else:
            return _page(request, membership, fresh=(link.pk, token))
    return _page(request, membership, form=form)


@login_required
def feed_edit(request, pk: int):
    membership = membership_or_404(request.user)
    link = _own_link(request, membership, pk)
    initial = {"name": link.name, "days_back": link.days_back, "days_ahead": link.days_ahead}
    form = WindowFields(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            links.feed_link_update(actor=request.user, link=link, **form.cleaned_data)
        except ServiceError as exc:
            _refusal(exc)
            add_service_error(form, exc)
        else:
            messages.success(request, _("Feed saved. Its address has not changed."))
            return redirect("planner:feeds")
    return render(
        request,
        "planner/feed_edit.html",
        {"form": form, "link": link, "label": content.label_of(link)},
    )


def _confirm(request, link: FeedLink, *, title: str, explanation: str, action: str, label: str):
    return render(
        request,
        "accounts/confirm.html",
        {
            "title": title,
            "explanation": explanation,
            "action": reverse(action, args=[link.pk]),
            "confirm_label": label,
            "back": reverse("planner:feeds"),
        },
    )


@login_required
def feed_regenerate(request, pk: int):
    membership = membership_or_404(request.user)
    link = _own_link(request, membership, pk)
    name = link.name or content.label_of(link)
    if request.method != "POST":
        return _confirm(
            request,
            link,
            title=_("Regenerate the address of “%(name)s”?") % {"name": name},
            explanation=_(
                "The current address stops working at once: every calendar subscribed to it "
                "stops updating until you subscribe again with the new address, shown once "
                "on the next page."
            ),
            action="planner:feed_regenerate",
            label=_("Yes, regenerate"),
        )
    try:
        link, token = links.feed_link_regenerate(actor=request.user, link=link)
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
        return redirect("planner:feeds")
    return _page(request, membership, fresh=(link.pk, token))


@login_required
def feed_revoke(request, pk: int):
    membership = membership_or_404(request.user)
    link = _own_link(request, membership, pk)
    name = link.name or content.label_of(link)
    if request.method != "POST":
        return _confirm(
            request,
            link,
            title=_("Revoke “%(name)s”?") % {"name": name},
            explanation=_(
                "Its address stops working at once, for good. Calendars subscribed to it keep "
                "what they last fetched and stop updating; remove the subscription there too."
            ),
            action="planner:feed_revoke",
            label=_("Yes, revoke"),
        )
    try:
        links.feed_link_revoke(actor=request.user, link=link)
    except ServiceError as exc:
        _refusal(exc)
        messages.error(request, exc.message)
        return redirect("planner:feeds")
    messages.success(
        request, _("“%(name)s” is revoked: its address no longer works.") % {"name": name}
    )
    return redirect("planner:feeds")
