"""Members in a real browser: an admin invites, the invitee joins from the emailed link."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership, Role
from tests.browser.conftest import enrol, screenshot, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-long-and-new-passphrase"


def invite(page, email: str, role_label: str) -> None:
    form = page.get_by_test_id("invite-form")
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Role").select_option(label=role_label)
    form.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {email}")


def test_an_admin_invites_someone_who_joins_from_the_emailed_link(
    page, browser, live_server, cast, settings
):
    settings.SITE_URL = live_server.url  # the public address the emailed links start with
    sign_in(page, cast.admin)
    page.goto("/accounts/members/")
    expect(page.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    expect(page.get_by_test_id("no-invitations")).to_be_visible()
    invite(page, "camille@example.test", "Content manager")
    expect(page.get_by_test_id("invitation-camille@example.test")).to_contain_text(
        "Content manager"
    )

    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/invitations/\S+/", message.body).group(0)
    assert link.startswith(live_server.url)

    newcomer = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        joining = newcomer.new_page()
        joining.set_default_timeout(10_000)
        joining.goto(link)
        expect(joining.get_by_test_id("invitation-details")).to_contain_text("Acme")
        expect(joining.get_by_test_id("invitation-details")).to_contain_text("Content manager")
        assert serious_accessibility_violations(joining) == []
        joining.get_by_label("Your full name").fill("Camille Durand")
        joining.get_by_label("Choose a password").fill(NEW_PASSWORD)
        joining.get_by_label("The same password again").fill(NEW_PASSWORD)
        joining.get_by_role("button", name="Create my account and join").click()
        # A content manager can publish: the first thing is to set up two-factor sign-in.
        joining.wait_for_url("**/accounts/two-factor/setup/**")
        expect(
            joining.get_by_text("Welcome to Acme: you joined as Content manager.")
        ).to_be_visible()
        enrol(joining)
        joining.wait_for_url(f"{live_server.url}/")
        expect(joining.get_by_test_id("whoami")).to_contain_text("Camille Durand · Content manager")
        # The same link does not work twice.
        joining.goto(link)
        expect(joining.get_by_test_id("invitation-problem")).to_contain_text("already been used")
    finally:
        newcomer.close()

    page.reload()
    expect(page.get_by_test_id("member-camille@example.test")).to_contain_text("Camille Durand")
    expect(page.get_by_test_id("no-invitations")).to_be_visible()


def test_an_admin_changes_a_role_and_it_is_kept(page, cast):
    sign_in(page, cast.admin)
    page.goto("/accounts/members/")
    row = page.get_by_test_id(f"member-{cast.viewer.email}")
    row.get_by_label("Role of Viewer").select_option("marketing")
    row.get_by_role("button", name="Save the role of Viewer").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Viewer is now Marketing.")
    page.reload()
    expect(
        page.get_by_test_id(f"member-{cast.viewer.email}").get_by_label("Role of Viewer")
    ).to_have_value("marketing")
    assert Membership.objects.get(user=cast.viewer, workspace=cast.workspace).role == Role.MARKETING


def test_removing_a_member_goes_through_a_confirmation(page, cast):
    sign_in(page, cast.admin)
    page.goto("/accounts/members/")
    page.get_by_test_id(f"member-{cast.contributor.email}").get_by_role(
        "link", name="Remove"
    ).click()
    expect(page.get_by_role("heading", name="Remove Contributor from Acme?")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Yes, remove").click()
    expect(page.get_by_role("status")).to_contain_text("Contributor was removed.")
    expect(page.get_by_test_id(f"member-{cast.contributor.email}")).to_have_count(0)


def test_the_members_page_is_accessible(page, cast):
    sign_in(page, cast.admin)
    page.goto("/accounts/members/")
    invite(page, "sam@example.test", "Viewer")
    screenshot(page, "members")
    assert serious_accessibility_violations(page) == []


def test_other_roles_see_the_list_only(page, cast):
    sign_in(page, cast.viewer)
    page.goto("/accounts/members/")
    expect(page.get_by_test_id(f"member-{cast.admin.email}")).to_contain_text("Admin")
    expect(page.get_by_test_id("invite-form")).to_have_count(0)
    expect(page.get_by_role("link", name="Remove")).to_have_count(0)
    assert serious_accessibility_violations(page) == []
