"""What an adapter is handed: a channel's session (its address, credentials and HTTP client;
tokens a network renews on the way are stored), and a publication as the outgoing post
(its text, media and idempotency key) or as a reference to a post already sent."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from django.conf import settings

from planner.channels import base
from planner.channels.registry import adapter_for
from planner.connection.credentials import channel_base_session, channel_store_credentials
from planner.models import Channel, Publication, Variant
from planner.posts.checks import chosen_media, media_file
from planner.publishing.media_links import media_url

__all__ = [
    "channel_session",
    "channel_store_credentials",
    "content_digest",
    "outgoing_post",
    "publication_reference",
    "session_for",
]


def session_for(channel: Channel, http, publication_id: int | None = None) -> base.Session:
    session = channel_base_session(channel, http)

    def save_key(key: str) -> None:
        if publication_id is not None:
            Publication.objects.filter(pk=publication_id).update(platform_key=key)

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
    # The channel's own selection and order of the media when it has one; a signed
    # address for each file when the network downloads media by URL.
    by_url = adapter_for(publication.channel.kind).media_by_url
    media = tuple(
        replace(media_file(m, url=media_url(m, publication) if by_url else ""), path=m.file.path)
        for m in chosen_media(list(post.media.all()), variant.media if variant else None)
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


def content_digest(message: base.Outgoing) -> str:
    """What a delivery says (text, title, each medium's file, type, size and description),
    as a digest: equal for a retry of the same content, different for a new version.
    Keys and signed addresses are left out: they change without the content changing."""
    described = {
        "text": message.text,
        "title": message.title,
        "media": [[m.path, m.mime_type, m.size, m.alt_text] for m in message.media],
    }
    encoded = json.dumps(described, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()


def publication_reference(publication: Publication) -> base.Outgoing:
    """A post already sent, as an adapter finds it again (metrics): its ids, without
    the text and media that ``outgoing_post`` reads from the database."""
    return base.Outgoing(
        text="",
        idempotency_key=str(publication.idempotency_key),
        platform_key=publication.platform_key,
        external_id=publication.external_id,
    )
