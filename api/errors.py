"""One shape for every error the API answers: ``{"message": ..., "fields": {...}}``.

Services raise ``planner.errors.ServiceError`` subclasses, mapped by their status
(400, 403, 404, 409) with their field map; DRF's own errors (validation, 401, 403, 404,
405, 415, 429) and Django's Http404 and PermissionDenied take the same shape."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from planner.errors import ServiceError


def _field_map(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as ``{field: [messages]}``; nested paths joined by dots."""
    found: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                name = "__all__" if key == "non_field_errors" else str(key)
                walk(inner, f"{path}.{name}" if path else name)
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                found.setdefault(path or "__all__", []).extend(str(v) for v in value)
            else:
                for index, inner in enumerate(value):
                    walk(inner, f"{path}.{index}" if path else str(index))
        else:
            found.setdefault(path or "__all__", []).append(str(value))

    walk(detail, "")
    return found


def _body(message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"message": str(message), "fields": fields or {}}


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(_body(exc.message, exc.fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: a 500, logged as such
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_map(exc.detail)
        first = next(iter(fields.values()), [""])[0]
        if list(fields) == ["__all__"]:
            message = first
        else:
            message = _("Some fields need attention: %(names)s.") % {
                "names": ", ".join(name for name in fields if name != "__all__")
            }
        return Response(_body(message, fields), status=status.HTTP_400_BAD_REQUEST, headers=headers)
    return Response(_body(exc.detail), status=exc.status_code, headers=headers)
