from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


# Nothing is done here, so nothing to protect; an unsafe method gets the same 404.
@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any /api/v1/ address that names nothing (``/posts/abc/``): a 404 in the API's shape,
    not the site's HTML page."""
    return JsonResponse({"message": _("Not found."), "fields": {}}, status=404)
