"""Two-factor sign-in in a real browser: guided enrolment at a first sign-in, the code
at the next ones, and the lockout page."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.factories import PASSWORD
from tests.two_factor import unused_code

pytestmark = pytest.mark.django_db(transaction=True)


def type_password(page, user, password=PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_a_first_sign_in_as_marketing_is_guided_through_enrolment(page, browser, live_server, cast):
    type_password(page, cast.marketing)
    page.wait_for_url("**/accounts/two-factor/setup/**")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_test_id("why-two-factor")).to_contain_text("Your role can approve")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "two-factor-setup")

    secret = page.get_by_test_id("two-factor-secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("This code is not right")).to_be_visible()
    assert page.get_by_test_id("two-factor-secret").inner_text().replace(" ", "") == secret

    page.get_by_label("Code").fill(f"{TOTP(b32decode(secret)).token():06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    expect(page.get_by_test_id("download-codes")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="I have saved them").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("whoami")).to_contain_text("Marketing")

    # A later sign-in, elsewhere, asks for the code.
    later = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        again = later.new_page()
        again.set_default_timeout(10_000)
        type_password(again, cast.marketing)
        again.wait_for_url("**/accounts/two-factor/verify/**")
        expect(again.get_by_role("heading", name="Type your code")).to_be_visible()
        assert serious_accessibility_violations(again) == []
        screenshot(again, "two-factor-verify")
        device = TOTPDevice.objects.get(user=cast.marketing, confirmed=True)
        again.get_by_label("Code").fill(unused_code(device))
        again.get_by_role("button", name="Verify").click()
        again.wait_for_url(f"{live_server.url}/")
        expect(again.get_by_test_id("whoami")).to_contain_text("Marketing")
    finally:
        later.close()


def test_repeated_wrong_passwords_show_the_lockout_page(page, settings, cast):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 2
    for _n in range(2):
        type_password(page, cast.viewer, password="not-the-password")
    expect(page.get_by_test_id("locked-out")).to_contain_text("ask an admin of your workspace")
    assert serious_accessibility_violations(page) == []
