"""Signed, expiring media addresses for the networks that download media by URL: the
engine fills MediaFile.url for them only; the address opens its one file, with the safe
headers, without a login, while its publication is in flight and for 24 h at most; a bad,
expired, other-publication or not-carried signature is a plain 404."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signing import TimestampSigner, b62_encode
from django.test import Client
from django.utils import timezone

from planner.models import ChannelKind, Publication, PublicationState, Variant
from planner.posts import media as post_media
from planner.publishing import media_links
from planner.publishing.outgoing import outgoing_post
from tests.factories import ChannelFactory, PostFactory
from tests.media_samples import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://maillon.example"


@pytest.fixture
def instagram(cast):
    return ChannelFactory(workspace=cast.workspace, name="Insta", kind=ChannelKind.INSTAGRAM)


def with_photos(cast, channels, count=1):
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=channels)
    for n in range(count):
        post.refresh_from_db()
        post_media.media_add(
            actor=cast.content,
            post=post,
            file=SimpleUploadedFile(f"summit {n}.jpg", image_bytes("JPEG"), "image/jpeg"),
            expected_version=post.version,
            alt_text=f"Summit {n}",
        )
    post.refresh_from_db()
    return post


def sending(post, channel, state=PublicationState.SENDING):
    return Publication.objects.create(
        post=post, channel=channel, due_at=post.scheduled_at, state=state
    )


def local(url: str) -> str:
    assert url.startswith("https://maillon.example/public/media/"), url
    return url.removeprefix("https://maillon.example")


def test_the_engine_gives_signed_addresses_to_networks_that_fetch_by_url(cast, instagram):
    mastodon = ChannelFactory(workspace=cast.workspace, kind=ChannelKind.MASTODON)
    post = with_photos(cast, [instagram, mastodon])
    outgoing = outgoing_post(sending(post, instagram))
    (item,) = outgoing.media
    media = post.media.get()
    assert item.url.endswith(f"/{media.filename}")
    assert item.path == media.file.path
    assert (item.width, item.height, item.alt_text) == (40, 30, "Summit 0")
    assert outgoing_post(sending(post, mastodon)).media[0].url == ""


def test_the_address_serves_its_file_to_anyone_with_the_safe_headers(cast, instagram):
    post = with_photos(cast, [instagram])
    url = local(outgoing_post(sending(post, instagram)).media[0].url)
    response = Client().get(url)  # no session: the network's servers fetch it
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == post.media.get().file.read()
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert "inline" in response["Content-Disposition"]
    assert Client().post(url).status_code == 405


def test_a_tampered_or_renamed_address_is_not_found(cast, instagram):
    post = with_photos(cast, [instagram])
    url = local(outgoing_post(sending(post, instagram)).media[0].url)
    token, name = url.split("/")[-2:]
    client = Client()
    assert (
        client.get(url.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code
        == 404
    )
    assert client.get(url.replace(name, "other.jpg")).status_code == 404
    assert client.get("/public/media/not-a-token/x.jpg").status_code == 404


def test_an_address_dies_with_its_publication_in_flight(cast, instagram):
    post = with_photos(cast, [instagram])
    publication = sending(post, instagram)
    url = local(outgoing_post(publication).media[0].url)
    for state in (PublicationState.RETRY_WAIT, PublicationState.UNKNOWN):
        Publication.objects.filter(pk=publication.pk).update(state=state)
        assert Client().get(url).status_code == 200
    for state in (
        PublicationState.PUBLISHED,
        PublicationState.FAILED,
        PublicationState.CANCELLED,
        PublicationState.SCHEDULED,
    ):
        Publication.objects.filter(pk=publication.pk).update(
            state=state, published_at=timezone.now()
        )
        assert Client().get(url).status_code == 404, state


def test_an_address_expires_after_its_bound(cast, instagram, settings):
    post = with_photos(cast, [instagram])
    publication = sending(post, instagram)
    media = post.media.get()

    class Yesterday(TimestampSigner):
        def timestamp(self):
            return b62_encode(int(time.time()) - 25 * 3600)

    old = Yesterday(salt=media_links.SALT).sign(f"{media.pk}.{publication.pk}")
    assert Client().get(f"/public/media/{old}/{media.filename}").status_code == 404
    settings.MEDIA_LINK_MAX_AGE_SECONDS = 26 * 3600
    assert Client().get(f"/public/media/{old}/{media.filename}").status_code == 200


def test_an_address_opens_only_its_publications_files(cast, other, instagram):
    post = with_photos(cast, [instagram], count=2)
    first, second = post.media.all()
    publication = sending(post, instagram)
    # Another post's publication (here, another workspace's) cannot open this post's file.
    elsewhere_channel = ChannelFactory(workspace=other.workspace, kind=ChannelKind.INSTAGRAM)
    elsewhere = PostFactory(workspace=other.workspace, author=other.content)
    foreign = sending(elsewhere, elsewhere_channel)
    token = media_links.media_token(first.pk, foreign.pk)
    assert Client().get(f"/public/media/{token}/{first.filename}").status_code == 404
    # A file the channel does not carry (its own selection leaves it out) is not served.
    Variant.objects.filter(post=post, channel=instagram).update(media=[second.pk])
    token = media_links.media_token(first.pk, publication.pk)
    assert Client().get(f"/public/media/{token}/{first.filename}").status_code == 404
    token = media_links.media_token(second.pk, publication.pk)
    assert Client().get(f"/public/media/{token}/{second.filename}").status_code == 200
    # A token signed with another salt (another feature's signature) is not one.
    forged = TimestampSigner().sign(f"{second.pk}.{publication.pk}")
    assert Client().get(f"/public/media/{forged}/{second.filename}").status_code == 404
