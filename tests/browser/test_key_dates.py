"""Key dates in a real browser: marketing imports a calendar file and an address (run by
a real worker, followed on the import's page), sees the refusal of a broken file, then
finds the dates on the calendar, named for screen readers."""

import datetime as dt
import re
import time
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from werkzeug import Response

from planner.models import KeyDate, KeyDateSource
from tests import processes
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.planner.calendar_feeds.ics import calendar, vevent

pytestmark = pytest.mark.django_db(transaction=True)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def local_day(days: int) -> dt.date:
    return (timezone.now().astimezone(PARIS) + dt.timedelta(days=days)).date()


def fairs() -> bytes:
    fair, call = local_day(3), local_day(1)
    return calendar(
        vevent(
            f"DTSTART;VALUE=DATE:{fair:%Y%m%d}",
            f"DTEND;VALUE=DATE:{fair + dt.timedelta(days=3):%Y%m%d}",
            uid="fair@acme.test",
            summary="Outdoor trade fair",
        ),
        vevent(
            f"DTSTART;TZID=America/New_York:{call:%Y%m%d}T100000",
            f"DTEND;TZID=America/New_York:{call:%Y%m%d}T110000",
            uid="call@acme.test",
            summary="US launch call",
        ),
    )


def holidays() -> bytes:
    return calendar(
        vevent("DTSTART;VALUE=DATE:20000714", "RRULE:FREQ=YEARLY", uid="b", summary="Bastille Day"),
        vevent("DTSTART;VALUE=DATE:20001225", "RRULE:FREQ=YEARLY", uid="c", summary="Christmas"),
    )


def ics_file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "text/calendar", "buffer": data}


@pytest.fixture
def worker(tmp_path):
    """A real Celery worker, which runs the imports the pages queue."""
    processes.purge_queue()
    process = processes.start_worker(tmp_path / "worker.log", concurrency=1)
    yield
    processes.stop(process)
    processes.purge_queue()


def test_marketing_imports_key_dates_and_finds_them_on_the_calendar(
    page, cast, settings, httpserver, worker
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True

    def slowly(request):
        time.sleep(3)  # long enough to see the import's page follow it
        return Response(holidays(), content_type="text/calendar")

    httpserver.expect_request("/holidays.ics").respond_with_handler(slowly)
    sign_in(page, cast.marketing)
    page.goto("/calendar/")
    page.get_by_test_id("key-dates-link").click()
    expect(page.get_by_role("heading", name="Key dates", exact=True)).to_be_visible()
    expect(page.get_by_test_id("key-dates-empty")).to_contain_text("No key dates yet.")
    assert serious_accessibility_violations(page) == []

    # A broken file: the worker refuses it whole, and its page lists each problem.
    page.get_by_label("Name").fill("Trade fairs")
    broken = calendar(vevent("DTSTART:2027-13-45", uid="x", summary="Summer sale"))
    page.get_by_label("An .ics file").set_input_files(ics_file("broken.ics", broken))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import of “Trade fairs”")).to_be_visible()
    expect(page.get_by_test_id("import-result")).to_contain_text(
        "Nothing was imported: the file has errors.", timeout=20_000
    )
    expect(page.get_by_test_id("import-problems")).to_contain_text(
        "Line 8 (event “Summer sale”): DTSTART cannot be read"
    )
    screenshot(page, "key-date-import-failed")
    assert serious_accessibility_violations(page) == []
    assert not KeyDateSource.objects.exists()
    page.get_by_role("link", name="Import again").click()

    page.get_by_label("Name").fill("Trade fairs")
    page.get_by_label("An .ics file").set_input_files(ics_file("fairs.ics", fairs()))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("import-result")).to_have_text(
        "“Trade fairs” is imported: 2 dates.", timeout=20_000
    )
    page.get_by_role("link", name="See the key dates").click()

    # An address, slow to answer: the import's page shows it under way, reloading itself
    # until the result.
    page.get_by_label("Name").fill("Public holidays")
    page.get_by_label("or its address").fill(httpserver.url_for("/holidays.ics"))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    expect(page.get_by_test_id("import-status")).to_have_text(
        re.compile(r"^(Waiting for a worker|Downloading)…$")
    )
    screenshot(page, "key-date-import-progress")
    assert serious_accessibility_violations(page) == []
    expect(page.get_by_test_id("import-result")).to_have_text(
        "“Public holidays” is imported: 6 dates.", timeout=20_000
    )
    page.get_by_role("link", name="See the key dates").click()

    sources = page.get_by_test_id("source-row")
    expect(sources).to_have_count(2)
    expect(sources.filter(has_text="Trade fairs")).to_contain_text("Uploaded file")
    expect(
        sources.filter(has_text="Public holidays").get_by_role("button", name="Refresh")
    ).to_be_visible()
    expect(page.get_by_test_id("upcoming")).to_contain_text("Outdoor trade fair")
    screenshot(page, "key-dates")
    assert serious_accessibility_violations(page) == []

    # Removing asks first.
    sources.filter(has_text="Public holidays").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("heading", name="Remove “Public holidays”?")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Yes, remove").click()
    expect(page.get_by_role("status")).to_contain_text("is removed, with its 6 dates")
    assert KeyDate.objects.count() == 2

    # On the calendar: a bar on the fair's days, named "Key date: …", not draggable.
    fair = local_day(3)
    page.goto(f"/calendar/?view=dayGridMonth&date={fair.replace(day=1).isoformat()}")
    bar = page.locator(".fc-event.key-date", has_text="Outdoor trade fair").first
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-label", "Key date: Outdoor trade fair")
    expect(bar.locator("i.bi-flag-fill")).to_have_attribute("aria-hidden", "true")
    assert serious_accessibility_violations(page) == []
    page.goto(f"/calendar/?view=listWeek&date={local_day(1).isoformat()}")
    # 10:00 in New York is 16:00 in Paris (or 15:00 in the weeks the two clocks differ).
    call = page.locator(".key-date", has_text="US launch call")
    expect(call).to_be_visible()
    expect(call).to_have_attribute("aria-label", re.compile(r"^Key date: 1[56]:00 US launch call$"))


def test_a_viewer_reads_the_key_dates_without_the_forms(page, cast):
    KeyDate.objects.create(
        workspace=cast.workspace,
        title="Press day",
        starts_on=local_day(2),
        ends_on=local_day(2),
    )
    sign_in(page, cast.viewer)
    page.goto("/key-dates/")
    expect(page.get_by_test_id("upcoming")).to_contain_text("Press day")
    expect(page.get_by_test_id("import-form")).to_have_count(0)
    expect(page.get_by_test_id("sources-empty")).to_be_visible()
    assert serious_accessibility_violations(page) == []
