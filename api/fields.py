"""Serializer fields shared by the API's serializers."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class UtcDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its offset on the way in (a time without one is ambiguous: refused,
    as the services refuse it); always UTC, ending in Z, on the way out."""

    default_error_messages = {
        "naive": _("Give the time with its offset, for example 2027-03-01T09:00:00Z."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class StrictCharField(serializers.CharField):
    """Text only: a number or a boolean where text is expected is a mistake to report,
    not a value to turn into "0" or "True"."""

    default_error_messages = {"not_text": _("Give text here.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class WorkspaceRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of an object of the request's workspace; any other id is "does not exist"."""

    def __init__(self, *, model, workspace_path: str = "workspace", **kwargs) -> None:
        self.model = model
        self.workspace_path = workspace_path
        kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data)  # query parameters are text
        # A bigint column cannot hold more; the database would refuse to even compare.
        if isinstance(data, int) and not isinstance(data, bool) and not 0 < data < 2**63:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)

    def get_queryset(self):
        workspace = self.context["workspace"]
        return self.model.objects.filter(**{self.workspace_path: workspace})
