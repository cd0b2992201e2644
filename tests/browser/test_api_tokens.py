"""API tokens in a real browser: make one from the profile, copy it (shown once), use it,
revoke it after the confirmation; and the interactive API page renders the schema."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_makes_a_token_sees_it_once_and_revokes_it(page, live_server, cast):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, cast.content)

    page.goto("/accounts/profile/")
    page.get_by_test_id("api-tokens-link").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_test_id("tokens-empty")).to_be_visible()
    page.get_by_label("Name").fill("Reporting script")
    page.get_by_role("button", name="Make the token").click()

    fresh = page.get_by_test_id("fresh-token")
    expect(fresh).to_contain_text("Copy the token now: it is shown only this once.")
    secret = page.get_by_test_id("token-secret").input_value()
    assert secret.startswith("mln_")
    page.get_by_role("button", name="Copy the token").click()
    expect(page.get_by_test_id("copy-status")).to_have_text("The token is copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret

    answer = page.request.get(
        live_server.url + "/api/v1/posts/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200

    screenshot(page, "api-tokens")
    assert serious_accessibility_violations(page) == []

    page.goto("/api/tokens/")
    expect(page.get_by_test_id("token-row")).to_contain_text("Reporting script")
    assert secret not in page.content()
    page.get_by_role("link", name="Revoke · Reporting script").click()
    expect(page.get_by_role("heading", name="Revoke “Reporting script”?")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Yes, revoke").click()
    expect(page.get_by_test_id("token-revoked")).to_be_visible()

    refused = page.request.get(
        live_server.url + "/api/v1/posts/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status == 401


def test_the_interactive_api_page_renders_the_schema(page, cast):
    sign_in(page, cast.viewer)
    page.goto("/api/docs/")
    expect(page.get_by_role("heading", name="Maillon API")).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="posts")).to_be_visible()
    screenshot(page, "api-docs")
