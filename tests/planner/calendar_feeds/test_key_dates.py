"""Key dates imported from .ics files and addresses: expansion, time zones, re-import by
UID, refusals that import nothing, downloads within limits, and who may do it."""

from __future__ import annotations

import datetime as dt
import gzip
import time

import pytest
from werkzeug import Response

from planner import calendar_cache
from planner.calendar_feeds import ical_read, key_dates, safe_fetch
from planner.errors import Invalid, NotAllowed, NotFound
from planner.models import AuditEvent, KeyDate, KeyDateSource
from tests.planner.calendar_feeds.ics import NEW_YORK_VTIMEZONE, calendar, holidays, vevent

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# Paris: the import window runs from 15 February 2026 to 14 February 2029.
NOW = dt.datetime(2027, 2, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=True)


def import_file(cast, data: bytes, name: str = "Holidays", actor=None):
    return key_dates.key_dates_import_file(
        actor=actor or cast.marketing, workspace=cast.workspace, name=name, data=data
    )


def dates(source=None, **filters):
    rows = KeyDate.objects.filter(**filters)
    if source is not None:
        rows = rows.filter(source=source)
    return list(rows.order_by("starts_on", "starts_at", "title"))


def refused(cast, data: bytes, **kwargs) -> str:
    with pytest.raises(Invalid) as caught:
        import_file(cast, data, **kwargs)
    return caught.value.message


def nothing_imported():
    assert not KeyDateSource.objects.exists()
    assert not KeyDate.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="key_date").exists()


# --- recurrence ------------------------------------------------------------------------------


def test_a_weekly_event_skips_its_excluded_date_and_keeps_its_moved_occurrence(cast):
    data = calendar(
        vevent(
            "DTSTART;TZID=Europe/Paris:20270301T093000",
            "DTEND;TZID=Europe/Paris:20270301T100000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "EXDATE;TZID=Europe/Paris:20270308T093000",
            uid="review@acme.test",
            summary="Weekly review",
        ),
        vevent(
            "RECURRENCE-ID;TZID=Europe/Paris:20270315T093000",
            "DTSTART;TZID=Europe/Paris:20270316T140000",
            "DTEND;TZID=Europe/Paris:20270316T150000",
            uid="review@acme.test",
            summary="Weekly review (moved)",
        ),
    )
    result = import_file(cast, data)
    assert (result.created, result.added) == (True, 3)
    assert [(d.title, d.starts_at, d.ends_at, d.recurrence_id) for d in dates()] == [
        (
            "Weekly review",
            dt.datetime(2027, 3, 1, 8, 30, tzinfo=UTC),
            dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC),
            "2027-03-01T08:30:00Z",
        ),
        (
            "Weekly review (moved)",
            dt.datetime(2027, 3, 16, 13, 0, tzinfo=UTC),
            dt.datetime(2027, 3, 16, 14, 0, tzinfo=UTC),
            "2027-03-15T08:30:00Z",  # keyed by the start it replaces
        ),
        (
            "Weekly review",
            dt.datetime(2027, 3, 22, 8, 30, tzinfo=UTC),
            dt.datetime(2027, 3, 22, 9, 0, tzinfo=UTC),
            "2027-03-22T08:30:00Z",
        ),
    ]
    assert {d.external_uid for d in dates()} == {"review@acme.test"}
    assert not any(d.all_day for d in dates())


def test_a_yearly_all_day_event_is_expanded_over_the_window_only(cast):
    import_file(cast, holidays())
    bastille = dates(title="Bastille Day")
    # 14 July 2026, 2027 and 2028: 2025 is before the window, 2029 after it.
    assert [(d.starts_on, d.ends_on) for d in bastille] == [
        (dt.date(year, 7, 14), dt.date(year, 7, 14)) for year in (2026, 2027, 2028)
    ]
    assert [d.recurrence_id for d in bastille] == ["2026-07-14", "2027-07-14", "2028-07-14"]
    assert all(d.all_day and d.starts_at is None for d in bastille)
    one_off = dates(title="Whit Monday")[0]
    assert (one_off.starts_on, one_off.recurrence_id) == (dt.date(2027, 5, 17), "")
    assert len(dates()) == 7


def test_the_window_runs_from_a_year_back_to_two_years_ahead():
    window = ical_read.Window.around(dt.date(2027, 2, 15), ical_read.zoneinfo.ZoneInfo("UTC"))
    assert (window.first_day, window.last_day) == (dt.date(2026, 2, 15), dt.date(2029, 2, 14))


def test_a_cancelled_occurrence_is_not_a_key_date(cast):
    import_file(
        cast,
        calendar(
            vevent(
                "DTSTART;VALUE=DATE:20270601",
                "RRULE:FREQ=DAILY;COUNT=3",
                uid="fair@acme.test",
                summary="Trade fair",
            ),
            vevent(
                "RECURRENCE-ID;VALUE=DATE:20270602",
                "DTSTART;VALUE=DATE:20270602",
                "STATUS:CANCELLED",
                uid="fair@acme.test",
                summary="Trade fair",
            ),
        ),
    )
    assert [d.starts_on.day for d in dates()] == [1, 3]


# --- time zones and all-day events -----------------------------------------------------------


def test_ten_in_new_york_from_its_vtimezone_is_stored_in_utc_across_the_clock_change(cast):
    data = calendar(
        NEW_YORK_VTIMEZONE,
        vevent(
            "DTSTART;TZID=Eastern Time (US & Canada):20270308T100000",
            "DTEND;TZID=Eastern Time (US & Canada):20270308T110000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
            uid="ny@acme.test",
            summary="New York launch call",
        ),
    )
    import_file(cast, data)
    # 10:00 EST (UTC-5) on 8 March; 10:00 EDT (UTC-4) on 15 March, after 14 March.
    assert [d.starts_at for d in dates()] == [
        dt.datetime(2027, 3, 8, 15, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 15, 14, 0, tzinfo=UTC),
    ]


def test_nine_in_paris_by_its_iana_name_is_stored_in_utc_across_the_clock_change(cast):
    data = calendar(
        vevent(
            "DTSTART;TZID=Europe/Paris:20270322T090000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
            uid="paris@acme.test",
            summary="Paris press day",
        )
    )
    import_file(cast, data)
    # 09:00 CET (UTC+1) on 22 March; 09:00 CEST (UTC+2) on 29 March, after 28 March.
    assert [d.starts_at for d in dates()] == [
        dt.datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
    ]
    assert all(d.ends_at == d.starts_at for d in dates())  # no DTEND: no length


def test_a_utc_time_stays_as_it_is(cast):
    import_file(cast, calendar(vevent("DTSTART:20270601T120000Z", uid="u", summary="Noon UTC")))
    assert dates()[0].starts_at == dt.datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def test_a_floating_time_is_read_on_the_workspaces_clock(cast):
    cast.workspace.time_zone = "Asia/Tokyo"
    cast.workspace.save()
    import_file(cast, calendar(vevent("DTSTART:20270601T100000", uid="f", summary="Floating")))
    assert dates()[0].starts_at == dt.datetime(2027, 6, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


def test_x_wr_timezone_as_google_exports_it_is_honoured(cast):
    data = calendar(
        vevent("DTSTART:20270601T100000", uid="g", summary="Google floating"),
        header="X-WR-TIMEZONE:America/New_York",
    )
    import_file(cast, data)
    assert dates()[0].starts_at == dt.datetime(2027, 6, 1, 14, 0, tzinfo=UTC)


def test_an_all_day_event_stays_all_day_and_its_last_day_is_inclusive(cast):
    import_file(
        cast,
        calendar(
            vevent(
                "DTSTART;VALUE=DATE:20270601",
                "DTEND;VALUE=DATE:20270604",
                uid="fair",
                summary="Trade fair",
            ),
            vevent("DTSTART;VALUE=DATE:20270610", uid="launch", summary="Launch day"),
        ),
    )
    fair, launch = dates()
    assert (fair.all_day, fair.starts_on, fair.ends_on) == (
        True,
        dt.date(2027, 6, 1),
        dt.date(2027, 6, 3),  # DTEND 4 June is the day after
    )
    assert (launch.starts_on, launch.ends_on) == (dt.date(2027, 6, 10), dt.date(2027, 6, 10))
    assert fair.starts_at is None and fair.ends_at is None


# --- importing again ---------------------------------------------------------------------------


def test_importing_again_updates_by_uid_and_removes_what_left_the_file(cast):
    first = import_file(cast, holidays())
    rows = {(d.external_uid, d.recurrence_id): d for d in dates()}
    again = import_file(cast, holidays(christmas="Christmas Day", whit_monday=False))
    assert again.source == first.source and not again.created
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 3, 1, 3)
    after = {(d.external_uid, d.recurrence_id): d for d in dates()}
    assert len(after) == 6 == KeyDate.objects.count()  # no duplicate
    for key, row in after.items():
        before = rows[key]
        assert (row.pk, row.uid) == (before.pk, before.uid)  # the feeds' UID holds
        if key[0] == "christmas@holidays.test":
            assert (row.title, row.sequence) == ("Christmas Day", before.sequence + 1)
            assert row.updated_at > before.updated_at
        else:
            assert (row.title, row.sequence) == (before.title, before.sequence)
    assert ("whit-monday-2027@holidays.test", "") not in after


def test_importing_the_same_file_again_changes_nothing(cast):
    import_file(cast, holidays())
    before = [(d.pk, d.uid, d.sequence, d.updated_at) for d in dates()]
    result = import_file(cast, holidays())
    assert (result.added, result.updated, result.removed, result.unchanged) == (0, 0, 0, 7)
    assert [(d.pk, d.uid, d.sequence, d.updated_at) for d in dates()] == before


def test_a_moved_occurrence_keeps_its_row(cast):
    weekly = vevent(
        "DTSTART:20270301T090000Z",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        uid="standup",
        summary="Stand-up",
    )
    import_file(cast, calendar(weekly))
    second = dates()[1]
    moved = vevent(
        "RECURRENCE-ID:20270308T090000Z",
        "DTSTART:20270309T160000Z",
        uid="standup",
        summary="Stand-up",
    )
    import_file(cast, calendar(weekly, moved))
    again = KeyDate.objects.get(pk=second.pk)
    assert again.starts_at == dt.datetime(2027, 3, 9, 16, 0, tzinfo=UTC)
    assert (again.recurrence_id, again.sequence) == ("2027-03-08T09:00:00Z", 1)
    assert KeyDate.objects.count() == 3


def test_an_event_without_uid_gets_a_stable_one_from_its_summary_and_start(cast):
    data = calendar(vevent("DTSTART;VALUE=DATE:20270901", summary="Back to school"))
    import_file(cast, data)
    (first,) = dates()
    assert first.external_uid.startswith("derived-")
    result = import_file(cast, data)
    assert result.unchanged == 1
    assert [d.pk for d in dates()] == [first.pk]
    other = calendar(vevent("DTSTART;VALUE=DATE:20270901", summary="Open day"))
    import_file(cast, other, name="Other")
    assert len({d.external_uid for d in dates()}) == 2


def test_each_import_is_audited_and_moves_the_calendars_version_on(
    cast, django_capture_on_commit_callbacks
):
    before = calendar_cache.version(cast.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        result = import_file(cast, holidays())
    assert calendar_cache.version(cast.workspace.pk) != before
    event = AuditEvent.objects.get(action="key_dates.import")
    assert (event.actor, event.target) == (cast.marketing, "Holidays")
    assert event.data == {
        "source": result.source.pk,
        "address": "",
        "added": 7,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
    }


# --- refusals: nothing imported ----------------------------------------------------------------


def test_a_file_with_one_broken_event_is_refused_whole_with_its_line(cast):
    data = holidays(vevent("DTSTART:2027-13-45", uid="broken", summary="Summer sale"))
    message = refused(cast, data)
    assert message.startswith("Nothing was imported: the file has errors.")
    assert "Line 29 (event “Summer sale”): DTSTART cannot be read" in message
    assert data.decode().splitlines()[28] == "DTSTART:2027-13-45"  # line 29 indeed
    nothing_imported()


def test_a_broken_file_leaves_the_previous_import_as_it_was(cast):
    source = import_file(cast, holidays()).source
    before = [(d.pk, d.title, d.sequence) for d in dates()]
    broken = holidays(
        vevent("RRULE:FREQ=SOMETIMES", "DTSTART;VALUE=DATE:20270101", uid="x"),
        christmas="Noël",
    )
    assert "RRULE cannot be read" in refused(cast, broken)
    assert [(d.pk, d.title, d.sequence) for d in dates()] == before
    assert KeyDateSource.objects.get().imported_at == source.imported_at
    assert AuditEvent.objects.filter(action="key_dates.import").count() == 1


def test_an_event_left_open_is_refused_with_its_line(cast):
    data = calendar("BEGIN:VEVENT\nUID:open\nDTSTART;VALUE=DATE:20270601\nSUMMARY:Open")
    assert refused(cast, data) == (
        "Line 8: END:VCALENDAR where END:VEVENT was expected (BEGIN:VEVENT is on line 4). "
        "Nothing was imported."
    )
    nothing_imported()


def test_an_event_without_start_or_in_an_unknown_zone_is_refused(cast):
    message = refused(
        cast,
        calendar(
            vevent(uid="a", summary="No start"),
            vevent("DTSTART;TZID=Mars/Olympus:20270601T100000", uid="b", summary="On Mars"),
        ),
    )
    assert "(event “No start”): it has no start (DTSTART)" in message
    assert "(event “On Mars”): its time zone “Mars/Olympus” is not defined in the file" in message
    nothing_imported()


def test_an_event_ending_before_it_starts_is_refused(cast):
    data = calendar(
        vevent("DTSTART:20270601T100000Z", "DTEND:20270601T090000Z", uid="a", summary="Backwards")
    )
    assert "Line 9 (event “Backwards”): it ends before it starts" in refused(cast, data)
    assert data.decode().splitlines()[8] == "DTEND:20270601T090000Z"


def test_too_many_occurrences_are_refused(cast):
    data = calendar(
        vevent("DTSTART:20270101T000000Z", "RRULE:FREQ=HOURLY", uid="h", summary="Tick")
    )
    message = refused(cast, data)
    assert message.startswith(
        "The calendar has more than 5000 dates between 2026-02-15 and 2029-02-14"
    )
    nothing_imported()


def test_a_rule_repeating_every_minute_is_refused_before_expanding_it(cast):
    data = calendar(
        vevent("DTSTART:20270101T000000Z", "RRULE:FREQ=MINUTELY", uid="m", summary="Spin")
    )
    assert "it repeats more often than every hour" in refused(cast, data)


def test_a_rule_without_frequency_is_refused_with_its_line(cast):
    data = calendar(vevent("DTSTART:20270101T100000Z", "RRULE:BYDAY=MO", uid="r", summary="Rule"))
    assert "Line 9 (event “Rule”): its repeat rule (RRULE) has no FREQ" in refused(cast, data)
    assert data.decode().splitlines()[8] == "RRULE:BYDAY=MO"


def test_what_the_rules_library_trips_on_is_refused_too(cast):
    data = calendar(
        vevent(
            "DTSTART:20270101T100000Z",
            "RRULE:FREQ=DAILY;UNTIL=20270105;BYSETPOS=0",
            uid="r",
            summary="Odd rule",
        )
    )
    assert refused(cast, data).startswith("The recurring events could not be expanded: ")
    nothing_imported()


# --- bounded work: rules that cannot happen, or cost too much to expand -----------------------


def cpu_seconds(function):
    started = time.process_time()
    try:
        return function()
    finally:
        cpu_seconds.last = time.process_time() - started


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=31", "its repeat rule can never happen"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "its repeat rule can never happen"),
        ("FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=-31", "its repeat rule can never happen"),
        ("FREQ=DAILY;BYMONTH=1;BYYEARDAY=-1", "its repeat rule can never happen"),
        ("FREQ=DAILY;BYMONTHDAY=1;BYYEARDAY=2", "its repeat rule can never happen"),
        ("FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY=367 is out of range in its repeat rule"),
        ("FREQ=YEARLY;BYWEEKNO=54", "BYWEEKNO=54 is out of range in its repeat rule"),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR=24 is out of range in its repeat rule"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0 is out of range in its repeat rule"),
    ],
)
def test_a_rule_that_can_never_happen_is_refused_at_once_with_its_line(cast, rule, reason):
    data = calendar(vevent("DTSTART:20270101T090000Z", f"RRULE:{rule}", uid="r", summary="Never"))
    message = cpu_seconds(lambda: refused(cast, data))
    assert message.startswith("Nothing was imported: the file has errors. Line 9 (event “Never”): ")
    assert reason in message
    assert cpu_seconds.last < 0.5
    nothing_imported()


@pytest.mark.parametrize(
    ("rule", "first"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", dt.date(2028, 2, 29)),
        ("FREQ=YEARLY;BYYEARDAY=366", dt.date(2028, 12, 31)),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-1", dt.date(2027, 2, 28)),
        ("FREQ=DAILY;BYMONTH=12;BYYEARDAY=-1", dt.date(2027, 12, 31)),
    ],
)
def test_a_rule_that_happens_rarely_is_kept(cast, rule, first):
    data = calendar(vevent("DTSTART;VALUE=DATE:20270101", f"RRULE:{rule}", uid="r", summary="Rare"))
    import_file(cast, data)
    assert first in [d.starts_on for d in dates()]


def test_a_rule_that_would_take_too_long_is_refused_within_its_budget(cast):
    # No week 1 is in June: dateutil would look at each day until the year 9999 (2.9
    # million days, seconds of CPU) for a match; the budget stops it well before.
    data = calendar(
        vevent("DTSTART;VALUE=DATE:20270102", uid="one", summary="One-off"),
        vevent(
            "DTSTART:20270101T090000Z",
            "RRULE:FREQ=HOURLY;BYWEEKNO=1;BYMONTH=6",
            uid="r",
            summary="Week one of June",
        ),
    )
    message = cpu_seconds(lambda: refused(cast, data))
    assert message == (
        "Nothing was imported: Line 15 (event “Week one of June”): this repeating event "
        "would take too long to expand, its rule (FREQ=HOURLY;BYWEEKNO=1;BYMONTH=6) matches "
        "too few of the days it goes through. Correct or remove its RRULE."
    )
    assert cpu_seconds.last < 2
    nothing_imported()


def test_many_costly_rules_are_refused_within_the_files_budget(cast):
    # Each looks at 76,700 days (1820 to 2029), under the budget of a series; 12 of them
    # are under the file's, 14 over.
    events = [
        vevent(
            "DTSTART;VALUE=DATE:18200101",
            "RRULE:FREQ=DAILY;BYMONTH=1;BYMONTHDAY=1",
            uid=f"r{n}",
            summary=f"New year {n}",
        )
        for n in range(14)
    ]
    assert import_file(cast, calendar(*events[:12]), name="Twelve").dates == 12 * 3
    data = calendar(*events)
    message = cpu_seconds(lambda: refused(cast, data, name="All"))
    assert message == (
        "The repeating events of this file would take too long to expand: nothing was "
        "imported. Import a calendar with fewer or simpler ones."
    )
    assert cpu_seconds.last < 5
    assert not KeyDateSource.objects.filter(name="All").exists()


def test_the_budget_counts_only_inside_an_import():
    from dateutil.rrule import DAILY, rrule

    # Expanding elsewhere (icalendar's time zones, say) is not counted nor stopped.
    count = ical_read.SERIES_BUDGET + 1
    assert len(list(rrule(DAILY, dtstart=dt.datetime(1, 1, 1), count=count))) == count


def test_reading_tells_of_its_progress_series_by_series():
    told = []
    data = holidays()
    window = ical_read.Window.around(dt.date(2027, 2, 15), dt.UTC)
    ical_read.read(data, window, progress=lambda done, total: told.append((done, total)))
    assert told == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_an_oversized_file_is_refused_unread(cast, settings):
    settings.KEY_DATES_MAX_BYTES = 1024
    data = holidays(*(vevent(f"DTSTART;VALUE=DATE:2027060{n}", uid=f"d{n}") for n in range(1, 9)))
    assert len(data) > 1024
    assert refused(cast, data) == "The file is larger than 1 KB: nothing was imported."
    nothing_imported()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!doctype html><html><body>Holidays</body></html>", "This is a web page (HTML)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it looks like an image or another binary"),
        (b"Name,Date\nBastille Day,2027-07-14\n", "it should begin with BEGIN:VCALENDAR"),
        (b"", "The file is empty."),
        (calendar(), "This calendar holds no events: nothing was imported."),
        (calendar(header="BEGIN:VTODO\r\nSUMMARY:x\r\nEND:VTODO"), "holds no events"),
    ],
    ids=["html", "png", "csv", "empty", "no-events", "only-a-task"],
)
def test_what_is_not_a_calendar_of_events_is_refused(cast, data, message):
    assert message in refused(cast, data)
    nothing_imported()


def test_a_source_needs_a_name(cast):
    with pytest.raises(Invalid) as caught:
        import_file(cast, holidays(), name="  ")
    assert caught.value.fields == {"name": ["Give the source a name of 1 to 120 characters."]}


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "contributor", "content"])
def test_only_admins_and_marketing_import(cast, role):
    with pytest.raises(NotAllowed):
        import_file(cast, holidays(), actor=getattr(cast, role))
    nothing_imported()
    assert import_file(cast, holidays(), actor=cast.admin).added == 7


def test_another_workspaces_admin_cannot_import_refresh_or_remove(cast, other):
    source = import_file(cast, holidays()).source
    with pytest.raises(NotFound):
        import_file(cast, holidays(), name="Theirs", actor=other.admin)
    with pytest.raises(NotFound):
        key_dates.key_dates_refresh(actor=other.admin, source=source)
    with pytest.raises(NotFound):
        key_dates.key_date_source_remove(actor=other.admin, source=source)
    assert KeyDate.objects.filter(source=source).count() == 7


# --- removing, and dates added by hand ---------------------------------------------------------


def test_removing_a_source_removes_its_dates_only(cast):
    holidays_source = import_file(cast, holidays()).source
    fairs = import_file(
        cast, calendar(vevent("DTSTART;VALUE=DATE:20270601", uid="f", summary="Fair")), name="Fairs"
    ).source
    assert key_dates.key_date_source_remove(actor=cast.admin, source=holidays_source) == 7
    assert list(KeyDateSource.objects.all()) == [fairs]
    assert [d.title for d in dates()] == ["Fair"]
    event = AuditEvent.objects.get(action="key_dates.source_remove")
    assert (event.target, event.data["dates"]) == ("Holidays", 7)


def test_a_date_added_by_hand_is_all_day_and_can_be_removed(cast):
    key_date = key_dates.key_date_add(
        actor=cast.marketing,
        workspace=cast.workspace,
        title="  Summer sales  ",
        starts_on=dt.date(2027, 6, 23),
        ends_on=dt.date(2027, 7, 20),
    )
    assert (key_date.title, key_date.all_day, key_date.source) == ("Summer sales", True, None)
    one_day = key_dates.key_date_add(
        actor=cast.admin, workspace=cast.workspace, title="Press day", starts_on=dt.date(2027, 5, 4)
    )
    assert one_day.ends_on == one_day.starts_on
    key_dates.key_date_remove(actor=cast.marketing, key_date=key_date)
    assert [d.title for d in dates()] == ["Press day"]
    assert AuditEvent.objects.filter(action__in=["key_date.add", "key_date.remove"]).count() == 3


def test_a_date_added_by_hand_must_end_after_it_starts(cast):
    with pytest.raises(Invalid) as caught:
        key_dates.key_date_add(
            actor=cast.marketing,
            workspace=cast.workspace,
            title="Backwards",
            starts_on=dt.date(2027, 6, 23),
            ends_on=dt.date(2027, 6, 22),
        )
    assert caught.value.fields == {"ends_on": ["The last day cannot be before the first."]}
    with pytest.raises(NotAllowed):
        key_dates.key_date_add(
            actor=cast.content, workspace=cast.workspace, title="x", starts_on=dt.date(2027, 1, 1)
        )


def test_an_imported_date_is_not_removed_alone(cast):
    import_file(cast, holidays())
    with pytest.raises(Invalid, match="This date comes from “Holidays”"):
        key_dates.key_date_remove(actor=cast.marketing, key_date=dates()[0])
    assert len(dates()) == 7


# --- importing from an address -----------------------------------------------------------------


@pytest.fixture
def local(settings):
    """Addresses on this machine are allowed, as they are only for tests."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.KEY_DATES_TIMEOUT_SECONDS = 2
    return settings


def import_url(cast, url: str, name: str = "Holidays"):
    return key_dates.key_dates_import_url(
        actor=cast.marketing, workspace=cast.workspace, name=name, url=url
    )


def refused_url(cast, url: str) -> Invalid:
    with pytest.raises(Invalid) as caught:
        import_url(cast, url)
    return caught.value


def test_an_address_is_imported_then_refreshed_by_uid(cast, local, httpserver):
    httpserver.expect_ordered_request("/holidays.ics").respond_with_data(
        holidays(), content_type="text/calendar"
    )
    changed = holidays().replace(b"SUMMARY:Whit Monday", b"SUMMARY:Whit Monday (moved)")
    httpserver.expect_ordered_request("/holidays.ics").respond_with_data(
        changed, content_type="text/calendar"
    )
    url = httpserver.url_for("/holidays.ics")
    result = import_url(cast, url)
    assert (result.source.url, result.added) == (url, 7)
    whit = KeyDate.objects.get(title="Whit Monday")
    again = key_dates.key_dates_refresh(actor=cast.admin, source=result.source)
    assert (again.added, again.updated, again.unchanged) == (0, 1, 6)
    whit.refresh_from_db()
    assert (whit.title, whit.sequence) == ("Whit Monday (moved)", 1)
    assert AuditEvent.objects.get(action="key_dates.refresh").data["address"] == (
        "http://127.0.0.1/…"  # an address may be a secret: only its host is kept
    )


def test_a_redirect_is_followed_and_a_compressed_answer_inflated(cast, local, httpserver):
    httpserver.expect_request("/old.ics").respond_with_data(
        "", status=301, headers={"Location": "/new.ics"}
    )
    httpserver.expect_request("/new.ics").respond_with_data(
        gzip.compress(holidays()), headers={"Content-Encoding": "gzip"}
    )
    assert import_url(cast, httpserver.url_for("/old.ics")).added == 7


def test_an_address_answering_404_imports_nothing(cast, local, httpserver):
    httpserver.expect_request("/gone.ics").respond_with_data("Not here", status=404)
    error = refused_url(cast, httpserver.url_for("/gone.ics"))
    assert error.message == "The address answered 404 NOT FOUND."
    assert error.fields == {"url": [error.message]}
    nothing_imported()


def test_an_address_that_does_not_answer_in_time_imports_nothing(cast, local, httpserver):
    local.KEY_DATES_TIMEOUT_SECONDS = 0.3

    def slow(request):
        time.sleep(1)
        return Response(holidays())

    httpserver.expect_request("/slow.ics").respond_with_handler(slow)
    assert refused_url(cast, httpserver.url_for("/slow.ics")).message == (
        "The address did not answer within 0.3 seconds."
    )
    nothing_imported()


def test_an_address_announcing_too_much_is_not_read(cast, local, httpserver):
    local.KEY_DATES_MAX_BYTES = 1024
    httpserver.expect_request("/big.ics").respond_with_data(holidays() + b" " * 2000)
    assert refused_url(cast, httpserver.url_for("/big.ics")).message == (
        "The calendar at this address is larger than 1 KB: nothing was imported."
    )
    nothing_imported()


def test_an_endless_answer_is_cut_at_the_limit(cast, local, httpserver):
    local.KEY_DATES_MAX_BYTES = 64 * 1024

    def endless(request):
        def body():
            yield b"BEGIN:VCALENDAR\r\n"
            while True:
                yield b"X-FILLER:" + b"x" * 1000 + b"\r\n"

        return Response(body(), content_type="text/calendar")  # chunked: no length told

    httpserver.expect_request("/endless.ics").respond_with_handler(endless)
    assert "larger than 64 KB" in refused_url(cast, httpserver.url_for("/endless.ics")).message


def test_an_address_serving_a_web_page_imports_nothing(cast, local, httpserver):
    httpserver.expect_request("/login").respond_with_data(
        "<html><body>Sign in</body></html>", content_type="text/html"
    )
    assert "web page (HTML)" in refused_url(cast, httpserver.url_for("/login")).message


def test_addresses_of_this_machine_or_a_private_network_are_refused(cast, settings, httpserver):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    httpserver.expect_request("/holidays.ics").respond_with_data(holidays())
    for url in (
        httpserver.url_for("/holidays.ics"),
        f"http://localhost:{httpserver.port}/holidays.ics",
        "http://[::1]/x.ics",
        "http://10.0.0.1/x.ics",
        "http://169.254.169.254/latest/meta-data/",
    ):
        error = refused_url(cast, url)
        assert "points into a private network" in error.message, url
    assert httpserver.log == []  # nothing was even asked
    nothing_imported()


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.test/x.ics", "gopher://x", "javascript:alert(1)", "x"],
)
def test_other_schemes_are_refused(cast, url):
    assert refused_url(cast, url).message == "Enter an address starting with https:// or http://."


def test_a_redirect_to_another_scheme_is_refused(cast, local, httpserver):
    httpserver.expect_request("/sneaky.ics").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    message = refused_url(cast, httpserver.url_for("/sneaky.ics")).message
    assert message == "Enter an address starting with https:// or http://."


def test_webcal_addresses_are_read_as_https_and_credentials_refused():
    assert safe_fetch.normalise(" webcal://example.test/h.ics ") == "https://example.test/h.ics"
    with pytest.raises(Invalid, match="user name or password"):
        safe_fetch.normalise("https://me:secret@example.test/h.ics")


def test_a_file_source_cannot_be_refreshed(cast):
    source = import_file(cast, holidays()).source
    with pytest.raises(Invalid, match="was uploaded as a file"):
        key_dates.key_dates_refresh(actor=cast.marketing, source=source)


def test_a_failed_refresh_keeps_the_dates(cast, local, httpserver):
    httpserver.expect_ordered_request("/h.ics").respond_with_data(holidays())
    httpserver.expect_ordered_request("/h.ics").respond_with_data("Oops", status=500)
    source = import_url(cast, httpserver.url_for("/h.ics")).source
    imported_at = KeyDateSource.objects.get().imported_at
    with pytest.raises(Invalid, match="answered 500"):
        key_dates.key_dates_refresh(actor=cast.marketing, source=source)
    assert len(dates()) == 7
    assert KeyDateSource.objects.get().imported_at == imported_at
