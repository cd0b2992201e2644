"""The OpenAPI schema's shared parts: the error body every operation may answer, and
the two ways to authenticate."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, in the user's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by field name (`__all__` for the request as a whole); "
        "empty when the error is not about a field.",
    )


ERRORS = {
    "400": "Bad input: the message says what, `fields` names each field.",
    "401": "No token, or a wrong, revoked or expired one, or its owner left the workspace.",
    "403": "Your role (or a read-only token) does not allow this.",
    "404": "No such object in this workspace.",
    "409": "Someone else changed the object first (stale `version`, step already decided).",
    "415": "Send JSON (`Content-Type: application/json`).",
    "429": "Too many requests: wait `Retry-After` seconds.",
}
WRITE_ONLY_ERRORS = {"409", "415"}


class AutoSchema(BaseAutoSchema):
    """Every operation documents the error answers it may give, in their one shape."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        writes = self.method not in ("GET", "HEAD", "OPTIONS")
        for code, description in ERRORS.items():
            if code in responses or (code in WRITE_ONLY_ERRORS and not writes):
                continue
            responses[code] = self._get_response_for_code(
                OpenApiResponse(response=ErrorSerializer, description=description), code
            )
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token made on /api/tokens/: `Bearer mln_…`.",
        }


class WorkspaceSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.WorkspaceSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
