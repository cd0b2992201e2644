from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.access import ApiAccess


class TokenRateThrottle(SimpleRateThrottle):
    """API_RATE_PER_MINUTE requests a minute per token (per person for the session)."""

    scope = "api"

    def get_rate(self) -> str:
        # Read at each request, not at import: settings may change (tests, reloads).
        return f"{settings.API_RATE_PER_MINUTE}/min"

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        access = request.auth
        if isinstance(access, ApiAccess) and access.token is not None:
            ident = f"token-{access.token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
