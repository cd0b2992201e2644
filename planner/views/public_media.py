"""The one page that needs no login: a media file at its signed address, for the
network that downloads it while publishing (Instagram, Threads, Facebook).

Only the address's own file, only while its publication is in flight, at most a day
(planner/publishing/media_links.py); anything else is a plain 404. Served as
planner/views/media.py serves a file to members: its stored (sniffed) type, no sniffing
by the browser, a sandbox should it be opened, and no caching by shared caches."""

from __future__ import annotations

from django.http import Http404
from django.views.decorators.http import require_safe

from planner.publishing.media_links import media_for_token
from planner.views.media import file_response


@require_safe
def public_media(request, token: str, name: str):
    media = media_for_token(token)
    if media is None or name != media.filename:
        raise Http404
    response = file_response(media, cache="private, no-store")
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
