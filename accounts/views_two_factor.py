"""The two-factor pages: verify at sign-in, guided enrolment, recovery codes, the
profile's controls, and the admin's reset and unlock on the Members page."""

from __future__ import annotations

import base64
import io
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import lockout
from accounts import services_two_factor as services
from accounts.two_factor import totp_device, two_factor_state
from accounts.views import manager_membership, member_or_404, refused
from planner.errors import ServiceError

NEW_CODES_KEY = "two_factor_new_codes"


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return reverse("planner:home")
    return target


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _verified(request: HttpRequest) -> bool:
    return request.user.is_verified()


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr_data_uri(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second page of a sign-in: a code from the app, or a recovery code."""
    user = request.user
    if _verified(request):
        return redirect(_next(request))
    has, needs = two_factor_state(user)
    if not has:
        if needs:
            return redirect(_with_next("accounts:two_factor_setup", _next(request)))
        return redirect(_next(request))
    if lockout.is_locked(request, user.email):
        logout(request)
        return lockout.lockout_response(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(user=user, token=form.cleaned_data["token"])
        if result.ok:
            django_otp.login(request, result.device)
            lockout.clear(request, user.email)
            return redirect(_next(request))
        status = 400
        if result.wait_seconds:
            form.add_error(
                "token",
                _("Too many wrong codes: wait %(seconds)s seconds, then try again.")
                % {"seconds": result.wait_seconds},
            )
        else:
            if lockout.count_failure(request, user.email):
                logout(request)
                return lockout.lockout_response(request)
            form.add_error(
                "token",
                _(
                    "This code is not right. Type the 6 digits your app shows now, or one "
                    "of your recovery codes."
                ),
            )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next(request), "two_factor_pending": True},
        status=status,
    )


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Guided enrolment: scan (or type) the secret, confirm with a first code."""
    user = request.user
    has, needs = two_factor_state(user)
    if has and not _verified(request):
        return redirect(_with_next("accounts:two_factor_verify", _next(request)))
    if totp_device(user) is not None:
        messages.info(request, _("Two-factor sign-in is already on for your account."))
        return redirect("accounts:profile")
    device = services.two_factor_begin(user=user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.two_factor_enable(user=user, token=form.cleaned_data["token"])
        except ServiceError as exc:
            form.add_error("token", exc.message)
            status = 400
        else:
            django_otp.login(request, device)
            lockout.clear(request, user.email)
            request.session[NEW_CODES_KEY] = codes
            return redirect(_with_next("accounts:two_factor_codes", _next(request)))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "required": needs,
            "qr": _qr_data_uri(device.config_url),
            "secret": _grouped(secret),
            "next": _next(request),
            "two_factor_pending": not _verified(request),
        },
        status=status,
    )


@login_required
def codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once: "I have saved them" forgets them."""
    new_codes = request.session.get(NEW_CODES_KEY)
    if not new_codes or not _verified(request):
        return redirect("accounts:profile")
    if request.method == "POST":
        del request.session[NEW_CODES_KEY]
        return redirect(_next(request))
    return render(
        request, "accounts/two_factor_codes.html", {"codes": new_codes, "next": _next(request)}
    )


@login_required
def codes_download(request: HttpRequest) -> HttpResponse:
    new_codes = request.session.get(NEW_CODES_KEY)
    if not new_codes or not _verified(request):
        raise Http404
    text = "\n".join(
        [
            _("Maillon recovery codes for %(email)s") % {"email": request.user.email},
            _("Each code works once, in place of a code from your authenticator app."),
            "",
            *new_codes,
            "",
        ]
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="maillon-recovery-codes.txt"'
    return response


@login_required
def regenerate(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(
            request,
            "accounts/confirm.html",
            {
                "title": _("Make new recovery codes?"),
                "explanation": _(
                    "Your current recovery codes stop working at once; you get 10 new ones to save."
                ),
                "action": reverse("accounts:two_factor_regenerate"),
                "confirm_label": _("Yes, make new codes"),
                "back": reverse("accounts:profile"),
            },
        )
    try:
        request.session[NEW_CODES_KEY] = services.two_factor_regenerate_codes(user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:profile")
    return redirect(_with_next("accounts:two_factor_codes", reverse("accounts:profile")))


@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type a current code from your app to turn it off."))
        return redirect("accounts:profile")
    try:
        services.two_factor_disable(user=request.user, token=form.cleaned_data["token"])
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Two-factor sign-in is off for your account."))
    return redirect("accounts:profile")


@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(
            request,
            "accounts/confirm.html",
            {
                "title": _("Sign out everywhere?"),
                "explanation": _(
                    "Every session of your account ends, on every computer and phone, this "
                    "one included. You sign in again with your password (and your code). "
                    "Your API tokens and calendar feed links are revoked too, since whoever "
                    "used your account may have made some: you make new ones afterwards."
                ),
                "action": reverse("accounts:sign_out_everywhere"),
                "confirm_label": _("Yes, sign out everywhere"),
                "back": reverse("accounts:profile"),
            },
        )
    services.user_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(
        request,
        _(
            "You were signed out everywhere. Your API tokens and calendar feed links were "
            "revoked too: make new ones where you need them."
        ),
    )
    return redirect("accounts:login")


# --- the Members page (admins) ------------------------------------------------------


@login_required
def member_two_factor_reset(request, pk: int):
    membership = manager_membership(request)
    target = member_or_404(membership.workspace, pk)
    if request.method != "POST":
        try:
            services.require_admin_wherever_guarded(
                request.user, target.user, services.TWO_FACTOR_RESET_COMMAND
            )
        except ServiceError as exc:
            return refused(request, exc)
        return render(
            request,
            "accounts/confirm.html",
            {
                "title": _("Reset the two-factor sign-in of %(name)s?")
                % {"name": target.user.display_name},
                "explanation": _(
                    "For a lost or replaced phone. %(email)s is signed out everywhere at once, "
                    "their authenticator app, recovery codes, API tokens and calendar feed "
                    "links stop working, and they set up a new app at their next sign-in. Do "
                    "this only once you are sure the request comes from them."
                )
                % {"email": target.user.email},
                "action": reverse("accounts:member_two_factor_reset", args=[target.pk]),
                "confirm_label": _("Yes, reset"),
            },
        )
    try:
        services.two_factor_reset(
            actor=request.user, workspace=membership.workspace, membership_id=target.pk
        )
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(
        request,
        _(
            "The two-factor sign-in of %(name)s was reset: they set it up again at their next "
            "sign-in. Their sessions ended, and their API tokens and calendar feed links were "
            "revoked."
        )
        % {"name": target.user.display_name},
    )
    if target.user_id == request.user.pk:
        return redirect("accounts:login")
    return redirect("accounts:member_list")


@login_required
@require_POST
def member_unlock(request, pk: int):
    membership = manager_membership(request)
    target = member_or_404(membership.workspace, pk)
    try:
        services.login_unlock(
            actor=request.user, workspace=membership.workspace, membership_id=target.pk
        )
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(
        request,
        _("%(name)s can sign in again.") % {"name": target.user.display_name},
    )
    return redirect("accounts:member_list")
