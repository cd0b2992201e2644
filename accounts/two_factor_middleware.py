"""Keep a signed-in session without its second factor to the two-factor pages.

A person who has a second factor must give it at each sign-in; a person whose role
needs one and has none is guided through enrolment first. Whatever else such a
session asks for is refused: pages redirect (with ``?next=``), htmx and JSON
requests get a 403 with a message, since a redirect to HTML would break them, and so
do requests to the API's operations.

Nothing stands in for the second factor but a valid API token of the session's own
person, on the API's operations: no other ``Authorization`` header, no path prefix.
The token pages, the schema and its documentation are pages like the others.
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
from api.authentication import bearer_owner_id

# Reachable without the second factor: the feeds carry their own secret token.
_OPEN = re.compile(r"^/(i18n/|healthz$|feeds/[^/]+\.ics$)")
# The API's operations (where a token of the person's own may stand in for the code).
_API_OPERATIONS = "/api/v1/"


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
        api = request.path_info.startswith(_API_OPERATIONS)
        if api and bearer_owner_id(request) == user.pk:
            return self.get_response(request)
        if api:  # in the API's own shape of errors (api/errors.py)
            message = _(
                "This session has not given its second factor: finish signing in, or "
                "authenticate with an API token."
            )
            return JsonResponse({"message": message, "fields": {}}, status=403)
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
        """The two-factor pages themselves, sign-out, and what needs no session. Not the
        media prefix: views live there (``/media/<pk>/``, remove, move)."""
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or _OPEN.match(path):
            return True
        return path in (
            reverse("accounts:two_factor_verify"),
            reverse("accounts:two_factor_setup"),
            reverse("accounts:logout"),
        )
