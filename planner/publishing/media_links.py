"""Signed, expiring addresses of a publication's media, for the networks that download
media by URL (Instagram, Threads, some Facebook calls) instead of receiving the bytes.

An address names one media file *and* one publication, signed with Django's
``TimestampSigner`` (the SECRET_KEY, a salt of its own). It opens the file only while:

- the signature is intact and younger than MEDIA_LINK_MAX_AGE_SECONDS (24 h by default);
- the publication is still in flight (claimed, sending, waiting to retry, or its outcome
  unknown and being reconciled): once published, failed or cancelled, the address is dead;
- the file is one the publication carries (its channel's selection, else the post's media).

Anything else is a 404, with nothing said about why: the address needs no login (the
network's servers fetch it), so it must reveal nothing but the one file it was made for.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from planner.models import Media, Publication, PublicationState
from planner.posts.checks import variant_media

SALT = "planner.publishing.media_links"
# While the engine holds the publication: the network may fetch the file at any moment.
IN_FLIGHT = frozenset(
    {
        PublicationState.CLAIMED,
        PublicationState.SENDING,
        PublicationState.RETRY_WAIT,
        PublicationState.UNKNOWN,
    }
)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def media_token(media_id: int, publication_id: int) -> str:
    return _signer().sign(f"{media_id}.{publication_id}")


def media_url(media: Media, publication: Publication) -> str:
    """The absolute address a network downloads ``media`` from, for ``publication``."""
    path = reverse(
        "planner:public_media", args=[media_token(media.pk, publication.pk), media.filename]
    )
    return settings.SITE_URL + path


def carried_media_ids(publication: Publication) -> list[int]:
    """The media this publication carries, in order (its channel's own selection when the
    variant has one, else the post's)."""
    return [m.pk for m in variant_media(publication.post, publication.channel_id)]


def media_for_token(token: str) -> Media | None:
    """The file a signed address opens, or None (bad, expired, or no longer in flight)."""
    try:
        value = _signer().unsign(token, max_age=settings.MEDIA_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    media_id, _, publication_id = value.partition(".")
    if not (media_id.isdigit() and publication_id.isdigit()):
        return None
    publication = (
        Publication.objects.select_related("post")
        .filter(pk=int(publication_id), state__in=IN_FLIGHT)
        .first()
    )
    if publication is None or int(media_id) not in carried_media_ids(publication):
        return None
    return Media.objects.filter(pk=int(media_id), post_id=publication.post_id).first()
