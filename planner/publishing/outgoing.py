"""What an adapter is handed: a channel's session (its address, credentials and HTTP client;
tokens a network renews on the way are stored), and a publication as the outgoing post
(its text, media and idempotency key) or as a reference to a post already sent."""

from __future__ import annotations

from django.conf import settings

from planner.channels import base
from planner.connection.credentials import channel_base_session, channel_store_credentials
from planner.models import Channel, Publication, Variant

__all__ = [
    "channel_session",
    "channel_store_credentials",
    "outgoing_post",
    "publication_reference",
    "session_for",
]


def session_for(channel: Channel, http, publication_id: int | None = None) -> base.Session:
    session = channel_base_session(channel, http)

    def save_key(key: str) -> None:
        if publication_id is not None:
            Publication.objects.filter(pk=publication_id).update(platform_key=key[:100])

    session.save_platform_key = save_key
    return session


def channel_session(channel: Channel, http) -> base.Session:
    """A channel's session outside any publication (a connection test): tokens the
    network renews on the way are stored as during a send."""
    return session_for(channel, http)


def outgoing_post(publication: Publication) -> base.Outgoing:
    post = publication.post
    variant = Variant.objects.filter(post=post, channel_id=publication.channel_id).first()
    text = variant.effective_text if variant else post.body
    media = tuple(
        base.MediaFile(path=m.file.path, mime_type=m.mime_type, size=m.size, alt_text=m.alt_text)
        for m in post.media.all()
    )
    return base.Outgoing(
        text=text,
        media=media,
        idempotency_key=str(publication.idempotency_key),
        platform_key=publication.platform_key,
        external_id=publication.external_id,
        title=post.title,
        link=f"{settings.SITE_URL}/posts/{post.pk}/",
    )


def publication_reference(publication: Publication) -> base.Outgoing:
    """A post already sent, as an adapter finds it again (metrics): its ids, without
    the text and media that ``outgoing_post`` reads from the database."""
    return base.Outgoing(
        text="",
        idempotency_key=str(publication.idempotency_key),
        platform_key=publication.platform_key,
        external_id=publication.external_id,
    )
