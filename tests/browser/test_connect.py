"""Connect a channel per network family in a real browser: the admin clicks Connect, signs
in and consents on the real authorization server's own pages (panva's oidc-provider),
chooses what to connect, and lands back with the channel connected; a channel whose
access ended is reconnected and keeps its scheduled post.

The networks' APIs are pytest-httpserver stand-ins (tests/planner/connection/networks.py)
that answer only tokens the provider issued."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from planner.models import Channel, OAuthApp, Publication
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import PostFactory
from tests.planner.connection.networks import client_of, install_apis, oauth_apps, provider

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def sign_in_server(live_server):
    with provider(live_server.url) as server:
        yield server


@pytest.fixture
def networks(settings, live_server, httpserver, sign_in_server):
    settings.SITE_URL = live_server.url
    settings.OAUTH_APPS = oauth_apps(sign_in_server, httpserver.url_for("/"))
    install_apis(httpserver, sign_in_server)
    return sign_in_server


def consent_on_the_network(page: Page, login: str = "ann") -> None:
    """The provider's own pages, as a person meets them: sign in, then allow."""
    expect(page.get_by_placeholder("Enter any login")).to_be_visible()
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def connect(page: Page, label: str) -> None:
    page.goto("/channels/new/")
    expect(page.get_by_test_id("sign-ins")).to_be_visible()
    page.get_by_role("button", name=f"Connect with {label}").click()


def test_x_is_connected_through_its_sign_in(page, cast, networks):
    sign_in(page, cast.admin)
    page.goto("/channels/new/")
    assert serious_accessibility_violations(page) == []
    connect(page, "X")
    consent_on_the_network(page)

    expect(page.get_by_role("heading", name="Choose what to connect")).to_be_visible()
    account = page.get_by_test_id("found-account")
    expect(account).to_contain_text("@acme")
    page.get_by_label("Channel name").fill("Acme on X")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "connect-choose")
    page.get_by_role("button", name="Connect the ticked accounts").click()

    expect(page.get_by_role("status")).to_contain_text("Acme on X is connected.")
    row = page.get_by_test_id("channel-row").filter(has_text="Acme on X")
    expect(row.get_by_role("button", name="Reconnect")).to_be_visible()
    channel = Channel.objects.get(name="Acme on X")
    assert channel.connected_with == "oauth" and channel.account_id == "1460000000000000001"
    assert networks.active(channel.credentials["access_token"], client_of("x"))["active"]
    assert channel.credentials["access_token"] not in page.content()


def test_linkedin_adds_the_member_and_a_company_page(page, cast, networks):
    sign_in(page, cast.admin)
    connect(page, "LinkedIn")
    consent_on_the_network(page)
    expect(page.get_by_test_id("found-account")).to_have_count(2)
    page.locator("#name-0").fill("Ann on LinkedIn")
    page.locator("#name-1").fill("Acme Corp")
    page.get_by_role("button", name="Connect the ticked accounts").click()
    expect(page.get_by_role("status")).to_contain_text("Ann on LinkedIn, Acme Corp are connected.")
    assert set(Channel.objects.values_list("account_id", flat=True)) == {
        "urn:li:person:aNn-42",
        "urn:li:organization:2414183",
    }


def test_meta_adds_a_page_and_its_instagram_account(page, cast, networks):
    sign_in(page, cast.admin)
    connect(page, "Facebook & Instagram")
    consent_on_the_network(page)
    accounts = page.get_by_test_id("found-account")
    expect(accounts).to_have_count(3)
    expect(accounts.nth(1)).to_contain_text("linked to the Page Acme Bakery")
    page.locator("#name-0").fill("Bakery on Facebook")
    page.locator("#name-1").fill("Bakery on Instagram")
    page.locator("#pick-2").uncheck()  # not the Jobs Page
    page.get_by_role("button", name="Connect the ticked accounts").click()
    expect(page.get_by_role("status")).to_contain_text("are connected.")
    kinds = dict(Channel.objects.values_list("name", "kind"))
    assert kinds == {"Bakery on Facebook": "facebook", "Bakery on Instagram": "instagram"}


def test_threads_adds_the_profile(page, cast, networks):
    sign_in(page, cast.admin)
    connect(page, "Threads")
    consent_on_the_network(page)
    expect(page.get_by_test_id("found-account")).to_contain_text("@acme")
    page.get_by_role("button", name="Connect the ticked accounts").click()
    expect(page.get_by_role("status")).to_contain_text("Acme is connected.")
    assert Channel.objects.get().credentials["threads_user_id"] == "26000000000000001"


def test_a_channel_whose_access_ended_is_reconnected_and_keeps_its_scheduled_post(
    page, cast, networks
):
    channel = Channel.objects.create(
        workspace=cast.workspace,
        kind="x",
        name="Acme on X",
        handle="@acme",
        connected_with="oauth",
        account_id="1460000000000000001",
        credentials={"access_token": "expired", "refresh_token": "revoked"},
        access_expires_at=timezone.now() - timedelta(hours=1),
        disconnected_at=timezone.now() - timedelta(minutes=30),
        disconnected_reason="The access could not be renewed: reconnect the channel.",
    )
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel])
    due = timezone.now() + timedelta(days=2)
    publication = Publication.objects.create(post=post, channel=channel, due_at=due)

    sign_in(page, cast.admin)
    page.goto("/channels/")
    row = page.get_by_test_id("channel-row").filter(has_text="Acme on X")
    row.get_by_role("button", name="Reconnect").click()
    consent_on_the_network(page)

    expect(page.get_by_role("status")).to_contain_text(
        "Acme on X is reconnected: its scheduled posts will go out with the new access."
    )
    channel.refresh_from_db()
    assert channel.disconnected_at is None and channel.disconnected_reason == ""
    assert channel.access_expires_at is None  # a refresh token keeps it alive now
    assert networks.active(channel.credentials["access_token"], client_of("x"))["active"]
    assert Channel.objects.count() == 1
    assert Publication.objects.get(pk=publication.pk).channel_id == channel.pk
    assert channel.publications.count() == 1


def test_reconnecting_as_another_account_changes_nothing(page, cast, networks):
    channel = Channel.objects.create(
        workspace=cast.workspace,
        kind="x",
        name="Acme on X",
        connected_with="oauth",
        account_id="1460000000000000001",
        credentials={"access_token": "old"},
    )
    sign_in(page, cast.admin)
    page.goto("/channels/")
    page.get_by_role("button", name="Reconnect").click()
    consent_on_the_network(page, login="bob")
    expect(page.get_by_role("status")).to_contain_text(
        "You signed in to X as another account than the one Acme on X publishes to."
    )
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "old"}


def test_mastodon_is_connected_on_the_server_the_person_types(
    page, cast, settings, live_server, mastodon_mock_session
):
    """Mastodon's family: no operator app; Maillon registers itself on the server typed
    (mastodon-mock, a real server on 127.0.0.1) and runs that server's own sign-in."""
    settings.SITE_URL = live_server.url
    server = mastodon_mock_session.base_url
    httpx.post(f"{server}/api/v1/_mock/reset").raise_for_status()
    sign_in(page, cast.admin)
    page.goto("/channels/new/")
    page.get_by_role("link", name="Connect with Mastodon").click()
    page.get_by_label("Your server").fill("mastodon social")
    page.get_by_role("button", name="Connect with Mastodon").click()
    expect(page.get_by_role("alert")).to_contain_text("is not a server address")
    expect(page.get_by_label("Your server")).to_have_value("mastodon social")
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Your server").fill(server)
    page.get_by_role("button", name="Connect with Mastodon").click()
    page.get_by_role("button", name="(@alice)").click()  # the server's own account picker

    expect(page.get_by_test_id("found-account")).to_contain_text("@alice@127.0.0.1")
    page.get_by_label("Channel name").fill("Alice on Mastodon")
    page.get_by_role("button", name="Connect the ticked accounts").click()
    expect(page.get_by_role("status")).to_contain_text("Alice on Mastodon is connected.")
    channel = Channel.objects.get(name="Alice on Mastodon")
    assert (channel.kind, channel.base_url, channel.connected_with) == (
        "mastodon",
        server,
        "oauth",
    )
    assert OAuthApp.objects.get(network="mastodon").server == server
