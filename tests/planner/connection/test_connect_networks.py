"""Connect with LinkedIn, Facebook & Instagram and Threads: each consent on the real
authorization server, each network's own answers on which accounts it reaches, and the
choice of several channels from one consent."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from planner.models import Channel, PendingConnection
from tests.planner.connection.networks import client_of
from tests.planner.connection.test_connect_x import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


def chosen(admin, back: str) -> tuple[str, str]:
    response = admin.get(back)
    assert response.status_code == 302, response.content[:500]
    choose = response["Location"]
    return choose, admin.get(choose).content.decode()


def test_linkedin_offers_the_member_and_the_pages_they_administer(admin, networks, cast):
    response = admin.post("/channels/connect/linkedin/")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert "code_challenge" not in query  # LinkedIn's web sign-in takes no PKCE
    assert "r_organization_admin" in query["scope"][0].split()
    back = networks.consent(
        response["Location"], back_to="http://maillon.test/channels/connect/linkedin/callback/"
    )
    choose, page = chosen(admin, back.removeprefix("http://maillon.test"))
    assert "Ann Martin" in page and "Acme Corp" in page
    response = admin.post(
        choose,
        {"pick": ["0", "1"], "name-0": "Ann on LinkedIn", "name-1": "Acme Corp on LinkedIn"},
    )
    assert response.status_code == 302
    member = Channel.objects.get(name="Ann on LinkedIn")
    page_channel = Channel.objects.get(name="Acme Corp on LinkedIn")
    assert member.credentials["author_urn"] == "urn:li:person:aNn-42" == member.account_id
    assert page_channel.credentials["author_urn"] == "urn:li:organization:2414183"
    assert page_channel.account_id == "urn:li:organization:2414183"
    # No refresh token granted here? The provider grants one, so the access lasts as long.
    assert member.access_expires_at is None or member.access_expires_at > member.created_at
    assert networks.active(member.credentials["access_token"], client_of("linkedin"))["active"]
    assert member.credentials["client_id"] == client_of("linkedin")[0]


def test_meta_offers_each_page_and_the_instagram_account_linked_to_it(admin, networks, cast):
    choose, page = chosen(admin, consent(admin, networks, "meta"))
    assert "Acme Bakery" in page and "Acme Jobs" in page and "acme.bakery" in page
    assert "linked to the Page Acme Bakery" in page
    response = admin.post(
        choose,
        {
            "pick": ["0", "1"],  # the Bakery Page and its Instagram account, not the Jobs Page
            "name-0": "Bakery on Facebook",
            "name-1": "Bakery on Instagram",
            "name-2": "Jobs",
        },
    )
    assert response.status_code == 302, response.content[:500]
    facebook = Channel.objects.get(name="Bakery on Facebook")
    instagram = Channel.objects.get(name="Bakery on Instagram")
    assert facebook.kind == "facebook" and facebook.account_id == "101010"
    assert facebook.credentials["page_id"] == "101010"
    assert facebook.credentials["page_access_token"].startswith("page-token-101010-")
    assert instagram.kind == "instagram" and instagram.handle == "@acme.bakery"
    assert instagram.credentials["ig_user_id"] == "17841400000000001" == instagram.account_id
    # Instagram publishes with the token of the Page it is linked to.
    assert instagram.credentials["access_token"] == facebook.credentials["page_access_token"]
    assert facebook.base_url.endswith("/v25.0")  # the test server's Graph address
    # Read with the long-lived user token (exchanged at once), the Page token lasts.
    assert facebook.credentials["page_access_token"].endswith("-from-a-long-lived-token")
    assert facebook.access_expires_at is None and instagram.access_expires_at is None
    assert Channel.objects.filter(workspace=cast.workspace).count() == 2


def test_threads_offers_the_profile(admin, networks):
    response = admin.post("/channels/connect/threads/")
    assert parse_qs(urlsplit(response["Location"]).query)["scope"] == [
        "threads_basic,threads_content_publish,threads_delete,threads_manage_insights"
    ]
    back = networks.consent(
        response["Location"], back_to="http://maillon.test/channels/connect/threads/callback/"
    )
    choose, page = chosen(admin, back.removeprefix("http://maillon.test"))
    assert "@acme" in page
    assert admin.post(choose, {"pick": "0", "name-0": "Acme on Threads"}).status_code == 302
    threads = Channel.objects.get(name="Acme on Threads")
    assert threads.credentials["threads_user_id"] == "26000000000000001"
    # The hour-long token was exchanged for a long-lived one: about 60 days.
    assert threads.credentials["access_token"].startswith("long-lived-threads-")
    left = threads.access_expires_at - timezone.now()
    assert timedelta(days=59) < left < timedelta(days=61)


def test_a_taken_name_refuses_the_whole_choice_and_keeps_it(admin, networks, cast):
    Channel.objects.create(workspace=cast.workspace, kind="mastodon", name="Bakery")
    choose, _page = chosen(admin, consent(admin, networks, "meta"))
    response = admin.post(choose, {"pick": ["0", "1"], "name-0": "Bakery", "name-1": "Insta"})
    assert response.status_code == 200
    assert "A channel with this name already exists." in response.content.decode()
    assert not Channel.objects.filter(name="Insta").exists()  # nothing half made
    assert PendingConnection.objects.exists()  # a second try needs no new consent
    response = admin.post(choose, {"pick": ["0", "1"], "name-0": "Bakery FB", "name-1": "Insta"})
    assert response.status_code == 302
    assert not PendingConnection.objects.exists()


def test_two_ticked_accounts_with_one_name_are_refused(admin, networks):
    choose, _page = chosen(admin, consent(admin, networks, "meta"))
    response = admin.post(choose, {"pick": ["0", "2"], "name-0": "Acme", "name-2": "Acme"})
    assert "Two channels cannot have the same name." in response.content.decode()
    assert not Channel.objects.exists()


def test_nothing_ticked_is_said(admin, networks):
    choose, _page = chosen(admin, consent(admin, networks, "meta"))
    response = admin.post(choose, {"name-0": "Acme"})
    assert "Tick at least one account to connect." in response.content.decode()


def test_an_account_already_connected_is_offered_as_reconnect(admin, networks, cast):
    Channel.objects.create(
        workspace=cast.workspace, kind="facebook", name="Our bakery", account_id="101010"
    )
    choose, page = chosen(admin, consent(admin, networks, "meta"))
    assert "Already connected as Our bakery" in page
    response = admin.post(choose, {"pick": "0", "name-0": "Again"})
    assert "Already connected as Our bakery" in response.content.decode()
    assert Channel.objects.count() == 1


def test_a_page_connected_with_a_pasted_token_is_recognised(admin, networks, cast):
    Channel.objects.create(
        workspace=cast.workspace,
        kind="instagram",
        name="Insta by hand",
        credentials={"ig_user_id": "17841400000000001", "access_token": "pasted"},
    )
    _choose, page = chosen(admin, consent(admin, networks, "meta"))
    assert "Already connected as Insta by hand" in page


def test_a_consent_that_reaches_nothing_says_so(admin, networks):
    page = admin.get(consent(admin, networks, "meta", login="bob"), follow=True)
    assert "reaches no account Maillon can publish to" in page.content.decode()
    assert not PendingConnection.objects.exists()


def test_the_choice_is_the_admins_own(admin, networks, cast, other):
    choose, _page = chosen(admin, consent(admin, networks, "meta"))
    from tests.two_factor import VerifiedClient

    for person in (cast.marketing, other.admin):
        browser = VerifiedClient()
        browser.force_login(person)
        answer = browser.post(choose, {"pick": "0", "name-0": "Stolen"})
        assert answer.status_code in (403, 404)
    assert not Channel.objects.exists()


def test_an_expired_sign_in_cannot_be_chosen(admin, networks):
    from datetime import timedelta

    from django.utils import timezone

    choose, _page = chosen(admin, consent(admin, networks, "meta"))
    PendingConnection.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert admin.post(choose, {"pick": "0", "name-0": "Late"}).status_code == 404
    assert not Channel.objects.exists()
