"""Response headers Django does not set by itself."""

from __future__ import annotations

# Maillon never needs the camera, the microphone, the position or payment; a page
# that was made to ask for them (an injected script, a framed site) is refused by the browser.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
