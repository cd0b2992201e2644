"""What the pages say about a channel's connection: the Channels page (disconnected with
a way to reconnect, or when the access ends and whether it renews), the post page and
the calendar (posts at risk because of a channel), in English and French."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from planner.models import ChannelKind
from tests.factories import ChannelFactory, PostFactory
from tests.planner.planning.test_calendar import events

pytestmark = pytest.mark.django_db


def disconnected(cast, name="Cairn on X"):
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.X,
        name=name,
        credentials={"access_token": "a", "refresh_token": "r"},
        disconnected_at=timezone.now(),
        disconnected_reason="The access could not be renewed (grant request is invalid).",
    )


def threads(cast, days, name="Cairn on Threads"):
    end = timezone.now() + dt.timedelta(days=days)
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.THREADS,
        name=name,
        credentials={"threads_user_id": "1", "access_token": "t", "expires_at": end.timestamp()},
        access_expires_at=end,
    )


def linkedin_without_refresh(cast, days):
    end = timezone.now() + dt.timedelta(days=days)
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.LINKEDIN,
        name="Cairn on LinkedIn",
        credentials={
            "author_urn": "urn:li:person:1",
            "access_token": "l",
            "expires_at": end.timestamp(),
        },
        access_expires_at=end,
    )


def page(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


# --- the Channels page --------------------------------------------------------------------


def test_the_channels_page_says_a_channel_is_disconnected_and_why(client, cast):
    channel = disconnected(cast)
    html = page(client, cast.admin, "/channels/")
    assert "Disconnected" in html
    assert "the network refuses Maillon's access" in html
    assert "grant request is invalid" in html
    # X has a sign-in: its Reconnect button runs it again.
    assert f'action="/channels/{channel.pk}/reconnect/"' in html


def test_only_admins_get_the_reconnect_link(client, cast):
    disconnected(cast)
    html = page(client, cast.viewer, "/channels/")
    assert "Disconnected" in html
    assert ">Reconnect<" not in html and "Reconnect<span" not in html


def test_the_channels_page_says_when_access_expires_and_that_it_renews(client, cast):
    channel = threads(cast, days=40)
    html = page(client, cast.viewer, "/channels/")
    assert "Access expires on" in html
    assert f"{channel.access_expires_at:%Y}" in html
    assert "renews automatically" in html


def test_an_access_nothing_renews_asks_for_a_reconnect_before_its_end(client, cast):
    linkedin_without_refresh(cast, days=20)
    html = page(client, cast.viewer, "/channels/")
    assert "Access expires on" in html
    assert "reconnect it before then" in html
    assert "renews automatically" not in html


def test_a_rotating_refresh_chain_says_it_renews_without_an_end(client, cast):
    ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.X,
        credentials={"access_token": "a", "refresh_token": "r", "expires_at": time.time() + 60},
    )
    html = page(client, cast.viewer, "/channels/")
    assert "Access renews automatically" in html
    assert "Access expires on" not in html


def test_the_channels_page_says_it_in_french(client, cast):
    disconnected(cast)
    threads(cast, days=40)
    cast.admin.language = "fr"
    cast.admin.save()
    html = page(client, cast.admin, "/channels/")
    assert "Déconnecté" in html
    assert "Reconnecter" in html
    assert "L'accès expire le" in html or "L&#x27;accès expire le" in html
    assert "se renouvelle automatiquement" in html


# --- the post page ------------------------------------------------------------------------


def test_the_post_page_says_its_channel_is_disconnected_with_a_reconnect_link(client, cast):
    channel = disconnected(cast)
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel])
    html = page(client, cast.admin, f"/posts/{post.pk}/")
    assert "Cairn on X is disconnected" in html
    assert f'href="/channels/#channel-{channel.pk}">Reconnect' in html
    assert "Reconnect<span" not in page(client, cast.content, f"/posts/{post.pk}/")


def test_a_post_due_after_its_channels_access_ends_is_flagged_at_risk(client, cast):
    channel = threads(cast, days=2)
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        channels=[channel],
        scheduled_at=timezone.now() + dt.timedelta(days=5),
    )
    html = page(client, cast.content, f"/posts/{post.pk}/")
    assert "At risk: Maillon's access to Cairn on Threads ends on" in html


def test_a_post_due_before_the_access_ends_is_not_flagged(client, cast):
    channel = threads(cast, days=9)
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        channels=[channel],
        scheduled_at=timezone.now() + dt.timedelta(days=5),
    )
    html = page(client, cast.content, f"/posts/{post.pk}/")
    assert 'data-testid="post-connection"' not in html


def test_the_post_page_says_it_in_french(client, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[disconnected(cast)])
    cast.content.language = "fr"
    cast.content.save()
    html = page(client, cast.content, f"/posts/{post.pk}/")
    assert "Cairn on X est déconnecté" in html


# --- the calendar -------------------------------------------------------------------------


def test_the_calendar_marks_posts_of_a_disconnected_channel_and_those_due_after_an_end(
    client, cast
):
    soon = timezone.now() + dt.timedelta(days=3)
    broken = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        channels=[disconnected(cast)],
        scheduled_at=soon,
    )
    late = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        channels=[threads(cast, 1)],
        scheduled_at=soon,
    )
    fine = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        channels=[threads(cast, 9, "Other")],
        scheduled_at=soon,
    )
    client.force_login(cast.viewer)
    risks = {e["id"]: e["extendedProps"].get("connectionRisk") for e in events(client)}
    assert risks == {str(broken.pk): "disconnected", str(late.pk): "expires", str(fine.pk): None}


def test_the_calendar_names_the_markers_in_the_readers_language(client, cast):
    html = page(client, cast.viewer, "/calendar/")
    assert 'data-disconnected="A channel of this post is disconnected: reconnect it"' in html
    cast.viewer.language = "fr"
    cast.viewer.save()
    html = page(client, cast.viewer, "/calendar/")
    assert 'data-disconnected="Un canal de cette publication est déconnecté' in html
