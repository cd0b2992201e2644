"""Sign-in lockout (django-axes): what axes calls back, and what our pages ask it.

Axes counts failures per email address *and* client address together; the helpers
here keep the email in one form (trimmed, lower case) so "Ann@X" and "ann@x" count
as one person. The same failures also count per account alone, across addresses, for
the slower path of accounts.throttle (not a lockout).
"""

from __future__ import annotations

import datetime as dt

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import throttle


def normalise(email: str | None) -> str | None:
    return email.strip().lower() if email else email


def username_of(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the email of a sign-in attempt."""
    if credentials:
        return normalise(credentials.get("username"))
    data = getattr(request, "data", None) or request.POST
    return normalise(data.get("username"))


@receiver(user_login_failed, dispatch_uid="accounts.lockout.count_for_the_account")
def _count_for_the_account(sender, credentials=None, request=None, **kwargs) -> None:
    """Every failure Django reports (a wrong password on any page that checks one, and the
    wrong codes ``count_failure`` sends) also counts for the account across addresses.
    Django has no other hook for "authenticate() said no"; axes listens to the same one."""
    email = normalise((credentials or {}).get("username"))
    if email:
        throttle.record_failure(email)


def account_refusal(request: HttpRequest, email: str | None) -> HttpResponse | None:
    """Asked before a password is checked: the 429 answer while the account pauses
    (accounts.throttle), else None. Such a refusal is no failure for axes."""
    return throttle.refusal(request, normalise(email))


def lockout_minutes() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES


def cool_off() -> dt.timedelta:
    return dt.timedelta(minutes=lockout_minutes())


def is_locked(request: HttpRequest, email: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": normalise(email)})


def count_failure(request: HttpRequest, email: str) -> bool:
    """Count a wrong second-factor code like a wrong password; True once locked.

    Sent as Django's own ``user_login_failed`` signal, which axes already records, so
    both kinds of failure share one count and one lockout.
    """
    user_login_failed.send(
        sender=__name__, credentials={"username": normalise(email)}, request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def clear(request: HttpRequest, email: str) -> None:
    """A complete sign-in (password and, if any, second factor) clears its failures,
    from this address for axes and from everywhere for the account's slow path, and makes
    this address one the slow path lets through."""
    throttle.signed_in(request, normalise(email))
    AxesProxyHandler.update_request(request)
    AccessAttempt.objects.filter(
        username=normalise(email), ip_address=request.axes_ip_address
    ).delete()


def locked_emails(emails: list[str]) -> set[str]:
    """Which of these addresses are locked out from at least one client address now."""
    since = timezone.now() - cool_off()
    return set(
        AccessAttempt.objects.filter(
            username__in=[normalise(e) for e in emails],
            failures_since_start__gte=settings.LOGIN_FAILURE_LIMIT,
            attempt_time__gt=since,
        ).values_list("username", flat=True)
    )


def unlock(email: str) -> int:
    """Forget every failure of this address, from every client address (and end its
    account's slow path too; only axes' records count as having been locked)."""
    throttle.forget(normalise(email))
    deleted, _details = AccessAttempt.objects.filter(username=normalise(email)).delete()
    return deleted


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: our page (HTTP 429), or JSON for scripts and htmx."""
    minutes = lockout_minutes()
    until = timezone.now() + cool_off()
    message = _(
        "Too many failed sign-in attempts: this account is locked for %(minutes)s minutes "
        "from this address. Try again after %(time)s (%(zone)s time), or ask an admin of your "
        "workspace to unlock it."
    ) % {
        "minutes": minutes,
        "time": formats.time_format(timezone.localtime(until), "H:i"),
        "zone": timezone.get_current_timezone_name(),
    }
    if request.headers.get("HX-Request") or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message}, status=429)
    context = {
        "minutes": minutes,
        "until": until,
        "message": message,
    }
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cool_off().total_seconds()))
    return response
