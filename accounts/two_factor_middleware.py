"""Keep a signed-in session without its second factor to the two-factor pages.

A person who has a second factor must give it at each sign-in; a person whose role
needs one and has none is guided through enrolment first. Whatever else such a
session asks for is refused: pages redirect (with ``?next=``), htmx and JSON
requests get a 403 with a message, since a redirect to HTML would break them.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.two_factor import two_factor_state

# Reachable without the second factor: the feeds carry their own secret token, the
# API's token requests their own credential (checked by the API itself).
_OPEN = re.compile(r"^/(i18n/|healthz$|feeds/[^/]+\.ics$)")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or user.is_verified() or self._open(request):
            return self.get_response(request)
        has, needs = two_factor_state(user)
        if has:
            target = "accounts:two_factor_verify"
        elif needs:
            target = "accounts:two_factor_setup"
        else:
            return self.get_response(request)
        if request.headers.get("HX-Request") or "application/json" in request.headers.get(
            "Accept", ""
        ):
            return JsonResponse(
                {
                    "detail": _(
                        "Sign in with your second factor first: reload the page to give your code."
                    )
                },
                status=403,
            )
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _open(request: HttpRequest) -> bool:
        path = request.path_info
        if path.startswith((settings.STATIC_URL, settings.MEDIA_URL)) or _OPEN.match(path):
            return True
        if path.startswith("/api/") and "Authorization" in request.headers:
            return True
        return path.startswith(
            (
                reverse("accounts:two_factor_verify"),
                reverse("accounts:two_factor_setup"),
                reverse("accounts:two_factor_codes"),
                reverse("accounts:logout"),
            )
        )
