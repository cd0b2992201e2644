from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 100


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (1 to 100); a bad value is a 400 naming it, not a
    silent fallback."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            message = _("Give a whole number from 1 to %(n)s.") % {"n": MAX_PAGE_SIZE}
            raise ValidationError({"page_size": [message]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param, "1")
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"page": [_("Give a page number of 1 or more.")]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except pagination.NotFound:
            raise ValidationError({"page": [_("There is no such page.")]}) from None

    def get_paginated_response_schema(self, schema):
        found = super().get_paginated_response_schema(schema)
        found["required"] = ["count", "next", "previous", "results"]
        return found
