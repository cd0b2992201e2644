"""The inbox of notifications (of the current workspace) and the email preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import membership_or_404
from planner import selectors
from planner.errors import NotFound, ServiceError
from planner.models import NotificationKind
from planner.notifications import inbox as notification_inbox
from planner.notifications.notify import describe, link

PER_PAGE = 50


@login_required
def inbox(request):
    membership = membership_or_404(request.user)
    page = Paginator(selectors.inbox(request.user, membership.workspace), PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = [(n, describe(n)) for n in page.object_list]
    return render(request, "planner/notifications.html", {"page": page, "items": items})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark it read and go where it points."""
    try:
        notification = notification_inbox.notification_open(actor=request.user, notification_id=pk)
    except NotFound:
        raise Http404 from None
    return redirect(link(notification))


@login_required
@require_POST
def mark_all_read(request):
    membership = membership_or_404(request.user)
    count = notification_inbox.notifications_mark_all_read(
        actor=request.user, workspace=membership.workspace
    )
    if count:
        messages.success(request, _("All notifications are marked as read."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "planner:notifications"
    return redirect(target)


class PreferencesForm(forms.Form):
    """One "also by email" box per kind of notification."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.BooleanField(label=kind.label, required=False)


@login_required
def preferences(request):
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                notification_inbox.notification_preferences_set(
                    user=user, choices=form.cleaned_data
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("planner:notification_preferences")
    else:
        form = PreferencesForm(initial=notification_inbox.notification_email_choices(user))
    return render(request, "planner/notification_preferences.html", {"form": form})
