"""Browser tests: Playwright driving Debian's Chromium against Django's live server."""

from __future__ import annotations

import json
import os
import shutil
from base64 import b32decode
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, sync_playwright

from accounts.two_factor import two_factor_state
from tests.factories import PASSWORD
from tests.two_factor import give_authenticator, unused_code

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "docs" / "screenshots"
AXE = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"

# Playwright's sync API keeps an event loop in the test's thread, where the tests also
# use the ORM; Django would refuse that outside this test process (never in deployment).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    assert executable, "The browser tests need Debian's chromium: `make test` installs it."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/Paris",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every page of every browser test runs under the site's Content-Security-Policy:
    # Chromium reports each thing it refused on the console, and none is allowed.
    refused: list[str] = []
    page.csp_refused = refused  # a test that provokes a refusal reads and clears it
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not refused, "The Content-Security-Policy refused:\n" + "\n".join(refused)


def sign_in(page: Page, user) -> None:
    """Sign in as a person does: the password, then (whoever has or needs one) a code
    from their authenticator app, typed on the real verify page."""
    has, needs = two_factor_state(user)
    device = give_authenticator(user) if has or needs else None
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if device is not None:
        page.wait_for_url("**/accounts/two-factor/verify/**")
        page.fill("input[name=token]", unused_code(device))
        page.click("[data-testid=verify-form] button[type=submit]")
    page.wait_for_url("**/")


def enrol(page: Page) -> None:
    """On the setup page: read the secret as a person types it into their app, confirm
    with the app's code, and say the recovery codes are saved."""
    secret = page.get_by_test_id("two-factor-secret").inner_text().replace(" ", "")
    page.fill("input[name=token]", f"{TOTP(b32decode(secret)).token():06d}")
    page.click("[data-testid=setup-form] button[type=submit]")
    page.get_by_test_id("codes-saved").click()


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot of the page for the README (docs/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def serious_accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the current page."""
    # Colours are judged as they settle, not halfway through a hover's transition.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    # Evaluated through the DevTools protocol: the page's CSP refuses inline scripts, so a
    # <script> tag of axe's source would be refused like any injected script.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    violations = json.loads(result)["violations"]
    if os.environ.get("AXE_DEBUG"):
        Path(os.environ["AXE_DEBUG"]).write_text(json.dumps(violations, indent=1))
    return [
        f"{v['impact']}: {v['id']} — {v['help']}: "
        + "; ".join(
            node["target"][0] + " " + node.get("failureSummary", "")[:160]
            for node in v["nodes"][:4]
        )
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
