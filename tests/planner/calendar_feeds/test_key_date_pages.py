"""The key dates page (import, refresh, remove, add by hand) and key dates on the
calendar: in its JSON for the window only, drawn apart, at a constant number of queries."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from planner import tasks
from planner.calendar_feeds import key_dates
from planner.models import AuditEvent, KeyDate, KeyDateImport, KeyDateSource
from tests.planner.calendar_feeds.ics import calendar, holidays, vevent
from tests.planner.planning.test_calendar_queries import QUERIES, QUERIES_KEPT, Month

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOW = dt.datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
WINDOW = {"start": "2027-03-01T00:00:00", "end": "2027-04-12T00:00:00"}


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=True)


def upload(data: bytes, name: str = "holidays.ics") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/calendar")


def import_page(client, **data):
    return client.post("/key-dates/import/", data)


def imported(cast, data: bytes = b"", name: str = "Holidays") -> KeyDateSource:
    return key_dates.key_dates_import_file(
        actor=cast.marketing, workspace=cast.workspace, name=name, data=data or holidays()
    ).source


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the page --------------------------------------------------------------------------------


def test_the_page_says_when_there_is_nothing_yet_and_offers_the_forms(client, cast):
    client.force_login(cast.marketing)
    page = client.get("/key-dates/")
    assert page.status_code == 200
    assert page.context["can_manage"]
    html = page.text
    assert "No key dates yet. Import your country" in html
    assert 'data-testid="import-form"' in html and 'data-testid="add-form"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'data-busy-label="Importing…"' in html  # static/js/channels.js disables it


def test_a_viewer_sees_the_dates_and_sources_but_no_form_nor_a_secret_address(client, cast):
    source = imported(cast)
    KeyDateSource.objects.filter(pk=source.pk).update(
        url="https://calendar.example.test/private-3f9a/basic.ics"
    )
    client.force_login(cast.viewer)
    html = client.get("/key-dates/").text
    assert "Bastille Day" in html and "Holidays" in html
    assert "import-form" not in html and "add-form" not in html
    assert "private-3f9a" not in html
    assert "https://calendar.example.test/…" in html
    assert client.get("/key-dates/").context["can_manage"] is False


def test_sources_show_their_address_last_import_and_count(client, cast, settings, httpserver):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    httpserver.expect_request("/fairs.ics").respond_with_data(
        calendar(vevent("DTSTART;VALUE=DATE:20270601", uid="f", summary="Outdoor fair"))
    )
    imported(cast)
    key_dates.key_dates_import_url(
        actor=cast.admin,
        workspace=cast.workspace,
        name="Trade fairs",
        url=httpserver.url_for("/fairs.ics"),
    )
    client.force_login(cast.marketing)
    page = client.get("/key-dates/")
    rows = {source.name: (source.dates, address) for source, address in page.context["sources"]}
    assert rows == {"Holidays": (7, ""), "Trade fairs": (1, httpserver.url_for("/fairs.ics"))}
    html = page.text
    assert "Uploaded file" in html
    assert html.count("Refresh<span") == 1  # an address can be refreshed, a file cannot


def test_upcoming_dates_are_the_ones_not_over_yet_soonest_first(client, cast):
    imported(cast)
    key_dates.key_date_add(
        actor=cast.marketing,
        workspace=cast.workspace,
        title="Winter sales",
        starts_on=dt.date(2027, 1, 13),
        ends_on=dt.date(2027, 2, 16),  # still on today
    )
    client.force_login(cast.viewer)
    upcoming = client.get("/key-dates/").context["upcoming"]
    assert [(k.title, k.starts_on) for k in upcoming] == [
        ("Winter sales", dt.date(2027, 1, 13)),
        ("Whit Monday", dt.date(2027, 5, 17)),
        ("Bastille Day", dt.date(2027, 7, 14)),
        ("Christmas", dt.date(2027, 12, 25)),
        ("Bastille Day", dt.date(2028, 7, 14)),
        ("Christmas", dt.date(2028, 12, 25)),
    ]


# --- importing -------------------------------------------------------------------------------


def run_imports() -> None:
    """What the worker does with the queued imports (the task itself, run here)."""
    for pk in KeyDateImport.objects.filter(status="queued").values_list("pk", flat=True):
        tasks.key_dates_import(pk)


def result_of(client, response) -> str:
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in page.text  # over: it stops reloading
    assert "data-poll" not in page.text
    (result,) = re.findall(r'data-testid="import-result">([^<]*)<', page.text)
    return html.unescape(result)


def test_uploading_a_file_queues_it_then_its_page_shows_progress_and_result(client, cast):
    client.force_login(cast.marketing)
    response = import_page(client, name="Holidays", file=upload(holidays()))
    job = KeyDateImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/key-dates/imports/{job.pk}/"
    waiting = client.get(response["Location"])
    assert 'data-poll="2"' in waiting.text  # static/js/import_progress.js follows it
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting.text
    assert "Waiting for a worker…" in waiting.text
    assert not KeyDate.objects.exists()  # nothing until the import has run
    run_imports()
    assert result_of(client, response) == "“Holidays” is imported: 7 dates."
    source = KeyDateSource.objects.get()
    assert f'href="/key-dates/#source-{source.pk}"' in client.get(response["Location"]).text
    assert KeyDate.objects.filter(source=source).count() == 7
    job.refresh_from_db()
    assert (job.status, job.source, job.upload) == ("done", source, b"")  # file not kept
    assert "Holidays" in client.get("/key-dates/").text.split('data-testid="recent-imports"')[1]


def test_uploading_again_under_the_same_name_updates_it(client, cast):
    imported(cast)
    client.force_login(cast.admin)
    response = import_page(
        client, name="Holidays", file=upload(holidays(christmas="Noël", whit_monday=False))
    )
    run_imports()
    assert result_of(client, response) == (
        "“Holidays” is up to date: 6 dates (0 new, 3 changed, 1 removed, 3 unchanged)."
    )
    assert KeyDateSource.objects.count() == 1


def test_a_broken_file_fails_with_each_problem_listed_and_nothing_written(client, cast):
    client.force_login(cast.marketing)
    data = holidays(
        vevent("DTSTART:2027-13-45", uid="x", summary="Sale"),
        *[vevent("DTSTART:20271301", uid=f"y{n}", summary=f"Fair {n}") for n in range(4)],
    )
    response = import_page(client, name="My holidays", file=upload(data))
    run_imports()
    assert result_of(client, response).startswith(
        "Nothing was imported: the file has errors. Line 29"
    )
    page = client.get(response["Location"]).text
    problems = re.findall(r"<li>([^<]*)</li>", page.split('data-testid="import-problems"')[1])
    assert len(problems) == 5  # every one, where the message names three
    assert "Sale" in html.unescape(problems[0]) and "Fair 3" in html.unescape(problems[4])
    assert "Nothing was written: correct the calendar and import it again." in page
    assert not KeyDateSource.objects.exists() and not KeyDate.objects.exists()


def test_an_address_that_fails_is_reported_on_the_imports_page(client, cast, settings, httpserver):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    httpserver.expect_request("/gone.ics").respond_with_data("", status=404)
    client.force_login(cast.marketing)
    response = import_page(client, name="Fairs", url=httpserver.url_for("/gone.ics"))
    run_imports()
    assert result_of(client, response) == "The address answered 404 NOT FOUND."
    assert not KeyDateSource.objects.exists()


def test_an_address_of_the_wrong_form_is_refused_at_once_with_the_typed_values_kept(client, cast):
    client.force_login(cast.marketing)
    response = import_page(client, name="Fairs", url="ftp://example.test/x.ics")
    assert response.status_code == 200
    assert response.context["import_form"].errors["url"]
    assert 'value="Fairs"' in response.text
    assert not KeyDateImport.objects.exists()


def test_an_address_is_imported_from_the_form(client, cast, settings, httpserver):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    httpserver.expect_request("/holidays.ics").respond_with_data(holidays())
    client.force_login(cast.marketing)
    response = import_page(client, name="Holidays", url=httpserver.url_for("/holidays.ics"))
    assert response.status_code == 302
    run_imports()
    assert KeyDateSource.objects.get().url == httpserver.url_for("/holidays.ics")


def test_a_second_import_of_the_same_name_waits_for_the_first(client, cast):
    client.force_login(cast.marketing)
    import_page(client, name="Holidays", file=upload(holidays()))
    again = import_page(client, name="Holidays", file=upload(holidays()))
    assert again.status_code == 200
    assert again.context["import_form"].non_field_errors() == [
        "An import of “Holidays” is already under way: wait for it to end."
    ]
    assert KeyDateImport.objects.count() == 1


def test_a_workspace_has_a_few_imports_under_way_at_most(client, cast, settings):
    settings.KEY_DATES_IMPORTS_AT_ONCE = 2
    client.force_login(cast.marketing)
    for name in ("One", "Two"):
        assert import_page(client, name=name, file=upload(holidays())).status_code == 302
    refused = import_page(client, name="Three", file=upload(holidays()))
    assert refused.context["import_form"].non_field_errors() == [
        "2 imports are already under way in this workspace: wait for one to end."
    ]
    run_imports()
    assert import_page(client, name="Three", file=upload(holidays())).status_code == 302


def test_the_imports_page_is_for_managers_of_its_workspace(client, cast, other):
    client.force_login(cast.marketing)
    response = import_page(client, name="Holidays", file=upload(holidays()))
    for person, status in ((cast.viewer, 403), (cast.content, 403), (other.admin, 404)):
        client.force_login(person)
        assert client.get(response["Location"]).status_code == status


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "Holidays"}, "Choose an .ics file or give its address."),
        (
            {"name": "Holidays", "url": "https://example.test/h.ics", "file": "FILE"},
            "Choose a file or give an address, not both.",
        ),
    ],
    ids=["neither", "both"],
)
def test_the_form_wants_a_file_or_an_address(client, cast, data, error):
    if data.get("file") == "FILE":
        data["file"] = upload(holidays())
    client.force_login(cast.marketing)
    response = import_page(client, **data)
    assert response.context["import_form"].non_field_errors() == [error]
    assert not KeyDateSource.objects.exists()


def test_an_oversized_upload_is_refused(client, cast, settings):
    settings.KEY_DATES_MAX_BYTES = 1024
    client.force_login(cast.marketing)
    response = import_page(client, name="Big", file=upload(holidays() + b" " * 5000))
    assert response.context["import_form"].errors["file"] == [
        "The file is larger than 1 KB: nothing was imported."
    ]


# --- refresh and remove ----------------------------------------------------------------------


def test_refresh_imports_the_address_again(client, cast, settings, httpserver):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    httpserver.expect_request("/h.ics").respond_with_data(holidays())
    source = key_dates.key_dates_import_url(
        actor=cast.marketing,
        workspace=cast.workspace,
        name="Holidays",
        url=httpserver.url_for("/h.ics"),
    ).source
    client.force_login(cast.marketing)
    response = client.post(f"/key-dates/sources/{source.pk}/refresh/")
    assert response["Location"] == f"/key-dates/imports/{KeyDateImport.objects.get().pk}/"
    run_imports()
    assert result_of(client, response) == (
        "“Holidays” is up to date: 7 dates (0 new, 0 changed, 0 removed, 7 unchanged)."
    )
    assert AuditEvent.objects.filter(action="key_dates.refresh").count() == 1


def test_a_refresh_that_fails_keeps_the_dates_and_says_so(client, cast, settings, httpserver):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    httpserver.expect_request("/h.ics").respond_with_data(holidays())
    url = httpserver.url_for("/h.ics")
    source = key_dates.key_dates_import_url(
        actor=cast.marketing, workspace=cast.workspace, name="Holidays", url=url
    ).source
    httpserver.clear()
    httpserver.expect_request("/h.ics").respond_with_data("nonsense")
    client.force_login(cast.marketing)
    response = client.post(f"/key-dates/sources/{source.pk}/refresh/")
    run_imports()
    assert "not an iCalendar file" in result_of(client, response)
    page = client.get(response["Location"]).text
    assert "The dates already imported are kept as they were." in page
    assert KeyDate.objects.filter(source=source).count() == 7


def test_a_failed_refresh_says_the_dates_are_kept(client, cast):
    source = imported(cast)
    client.force_login(cast.marketing)
    response = client.post(f"/key-dates/sources/{source.pk}/refresh/", follow=True)
    assert texts(response) == [
        "“Holidays” could not be refreshed; its dates are kept as they were. “Holidays” was "
        "uploaded as a file: import the new file under the same name."
    ]
    assert KeyDate.objects.count() == 7


def test_removing_a_source_asks_first_then_removes_its_dates(client, cast):
    source = imported(cast)
    client.force_login(cast.admin)
    asked = client.post(f"/key-dates/sources/{source.pk}/remove/")
    assert asked.status_code == 200
    assert "Remove “Holidays”?" in asked.text
    assert "Its 7 key dates leave the calendar and the iCal feeds." in asked.text
    assert KeyDate.objects.count() == 7
    done = client.post(f"/key-dates/sources/{source.pk}/remove/", {"confirmed": "yes"}, follow=True)
    assert texts(done) == ["“Holidays” is removed, with its 7 dates."]
    assert not KeyDateSource.objects.exists() and not KeyDate.objects.exists()


def test_a_date_is_added_and_removed_by_hand(client, cast):
    client.force_login(cast.marketing)
    added = client.post(
        "/key-dates/add/",
        {"title": "Summer sales", "starts_on": "2027-06-23", "ends_on": "2027-07-20"},
        follow=True,
    )
    assert texts(added) == ["“Summer sales” is added."]
    key_date = KeyDate.objects.get()
    assert (key_date.starts_on, key_date.ends_on) == (dt.date(2027, 6, 23), dt.date(2027, 7, 20))
    asked = client.post(f"/key-dates/{key_date.pk}/remove/")
    assert "Remove “Summer sales”?" in asked.text
    client.post(f"/key-dates/{key_date.pk}/remove/", {"confirmed": "yes"})
    assert not KeyDate.objects.exists()


def test_a_date_ending_before_it_starts_keeps_what_was_typed(client, cast):
    client.force_login(cast.marketing)
    response = client.post(
        "/key-dates/add/", {"title": "Oops", "starts_on": "2027-06-23", "ends_on": "2027-06-01"}
    )
    assert response.context["add_form"].errors["ends_on"] == [
        "The last day cannot be before the first."
    ]
    assert 'value="Oops"' in response.text
    assert not KeyDate.objects.exists()


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER])
def test_only_admins_and_marketing_may_change_key_dates(client, cast, role):
    source = imported(cast)
    key_date = key_dates.key_date_add(
        actor=cast.admin, workspace=cast.workspace, title="Hand", starts_on=dt.date(2027, 6, 1)
    )
    client.force_login(cast.as_role(role))
    for url, data in (
        ("/key-dates/import/", {"name": "Mine", "file": upload(holidays())}),
        ("/key-dates/add/", {"title": "Mine", "starts_on": "2027-06-01"}),
        (f"/key-dates/sources/{source.pk}/refresh/", {}),
        (f"/key-dates/sources/{source.pk}/remove/", {"confirmed": "yes"}),
        (f"/key-dates/{key_date.pk}/remove/", {"confirmed": "yes"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert client.get("/key-dates/").status_code == 200
    assert KeyDateSource.objects.count() == 1 and KeyDate.objects.count() == 8


def test_another_workspaces_sources_and_dates_are_not_found(client, cast, other):
    source = imported(cast)
    key_date = KeyDate.objects.filter(source=source).first()
    client.force_login(other.admin)
    assert client.post(f"/key-dates/sources/{source.pk}/refresh/").status_code == 404
    assert (
        client.post(f"/key-dates/sources/{source.pk}/remove/", {"confirmed": "yes"}).status_code
        == 404
    )
    assert client.post(f"/key-dates/{key_date.pk}/remove/", {"confirmed": "yes"}).status_code == 404
    assert "Bastille Day" not in client.get("/key-dates/").text
    assert KeyDate.objects.count() == 7


# --- on the calendar -------------------------------------------------------------------------


def events(client, **params):
    response = client.get("/calendar/events/", {**WINDOW, **params})
    assert response.status_code == 200
    return [e for e in response.json() if e["extendedProps"].get("kind") == "keydate"]


def test_the_calendar_shows_key_dates_of_its_window_only(client, cast, other):
    imported(cast)
    key_dates.key_date_add(
        actor=cast.admin,
        workspace=cast.workspace,
        title="Spring fair",
        starts_on=dt.date(2027, 2, 27),
        ends_on=dt.date(2027, 3, 2),  # begins before the window, ends in it
    )
    key_dates.key_dates_import_file(
        actor=cast.admin,
        workspace=cast.workspace,
        name="Launches",
        data=calendar(
            vevent(
                "DTSTART;TZID=America/New_York:20270330T100000",
                "DTEND;TZID=America/New_York:20270330T113000",
                uid="l",
                summary="US launch",
            )
        ),
    )
    key_dates.key_date_add(
        actor=other.admin, workspace=other.workspace, title="Theirs", starts_on=dt.date(2027, 3, 5)
    )
    client.force_login(cast.viewer)
    found = events(client)
    fair, launch = sorted(found, key=lambda e: e["start"])
    assert len(found) == 2  # Whit Monday, Bastille Day, Christmas: outside; Theirs: not ours
    assert fair == {
        "id": f"keydate-{KeyDate.objects.get(title='Spring fair').pk}",
        "title": "Spring fair",
        "display": "block",
        "editable": False,
        "classNames": ["key-date"],
        "url": "/key-dates/",
        "backgroundColor": "#ece4f7",
        "borderColor": "#59359a",
        "textColor": "#1e1136",
        "extendedProps": {"kind": "keydate"},
        "allDay": True,
        "start": "2027-02-27",
        "end": "2027-03-03",  # the day after the last, as the widget wants it
    }
    # 10:00 in New York (EDT) is 16:00 in Paris (CEST) on 30 March: in the viewer's clock.
    assert (launch["allDay"], launch["start"], launch["end"]) == (
        False,
        "2027-03-30T16:00",
        "2027-03-30T17:30",
    )
    assert launch["editable"] is False


def test_key_dates_show_whatever_the_filters(client, cast):
    Month(cast).add(5)
    imported(cast, calendar(vevent("DTSTART;VALUE=DATE:20270310", uid="f", summary="Fair")))
    client.force_login(cast.content)
    campaign = cast.workspace.campaigns.first()
    assert [e["title"] for e in events(client, campaign=campaign.pk)] == ["Fair"]
    assert [e["title"] for e in events(client, state="draft")] == ["Fair"]


def test_key_dates_cost_one_query_whatever_their_number(
    client, cast, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    Month(cast).add(20)
    client.force_login(cast.content)
    imported(cast, calendar(vevent("DTSTART;VALUE=DATE:20270310", uid="f", summary="Fair")))
    with django_assert_max_num_queries(QUERIES) as few:
        assert len(events(client)) == 1
    daily = vevent(
        "DTSTART:20270301T080000Z", "RRULE:FREQ=DAILY;COUNT=40", uid="d", summary="Daily"
    )
    with django_capture_on_commit_callbacks(execute=True):  # as a commit would: a new version
        imported(cast, calendar(daily), name="Daily")
    with django_assert_max_num_queries(QUERIES) as many:
        assert len(events(client)) == 41
    assert len(few) == len(many) == QUERIES
    with CaptureQueriesContext(connection) as kept:
        assert len(events(client)) == 41
    assert len(kept) == QUERIES_KEPT


@pytest.mark.django_db(transaction=True)
def test_an_import_shows_on_the_calendar_at_once(client, cast):
    client.force_login(cast.viewer)
    assert events(client) == []  # now kept for the viewer
    imported(cast, calendar(vevent("DTSTART;VALUE=DATE:20270310", uid="f", summary="Fair")))
    assert [e["title"] for e in events(client)] == ["Fair"]
    source = KeyDateSource.objects.get()
    key_dates.key_date_source_remove(actor=cast.admin, source=source)
    assert events(client) == []


def test_the_calendar_page_links_to_the_key_dates_and_names_them_for_screen_readers(client, cast):
    client.force_login(cast.viewer)
    html = client.get("/calendar/").text
    assert 'href="/key-dates/"' in html
    assert 'data-key-date="Key date"' in html
