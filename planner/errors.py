"""Errors raised by services. Views and the API map them to HTTP answers:
NotAllowed -> 403, NotFound -> 404, Conflict -> 409, Invalid -> 400."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return str(self.message)


class Invalid(ServiceError):
    """The request is well-formed but breaks a rule (bad dates, empty text...)."""


class NotAllowed(ServiceError):
    """The actor's role or relation to the object does not permit the action."""

    status = 403


class NotFound(ServiceError):
    """The object does not exist in a workspace the actor belongs to."""

    status = 404


class Conflict(ServiceError):
    """Someone else changed the object first (stale version, concurrent decision)."""

    status = 409
