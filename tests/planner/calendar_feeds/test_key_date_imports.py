"""Key-date imports run by a worker: queued by the pages, run once, bounded in time,
following their progress, and leaving the dates untouched when they fail."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from werkzeug import Response

from accounts.models import Role
from planner import tasks
from planner.calendar_feeds import key_dates
from planner.errors import Conflict, Invalid, NotAllowed
from planner.models import AuditEvent, KeyDate, KeyDateImport, KeyDateSource
from tests import processes
from tests.planner.calendar_feeds.ics import calendar, holidays, vevent

pytestmark = pytest.mark.django_db


def leap_days(count: int) -> bytes:
    """``count`` repeating events that match only on 29 February, each walking every day
    since 1800: close to the per-series budget, about 0.15 s of CPU each."""
    return calendar(
        *[
            vevent(
                "DTSTART;VALUE=DATE:18000101",
                "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29",
                uid=f"leap-{n}@test",
                summary=f"Leap day {n}",
            )
            for n in range(count)
        ]
    )


def queue(cast, data: bytes | None = None, name: str = "Holidays", **kwargs) -> KeyDateImport:
    return key_dates.key_dates_import_queue(
        actor=kwargs.pop("actor", cast.marketing),
        workspace=cast.workspace,
        name=name,
        data=data if data is not None or "url" in kwargs else holidays(),
        **kwargs,
    )


def fresh(job: KeyDateImport) -> KeyDateImport:
    job.refresh_from_db()
    return job


def test_queueing_writes_no_date_and_keeps_the_file_until_the_import_ends(cast):
    job = queue(cast)
    assert (job.status, bytes(job.upload), job.created_by) == ("queued", holidays(), cast.marketing)
    assert not KeyDate.objects.exists() and not KeyDateSource.objects.exists()
    assert tasks.key_dates_import(job.pk) == "done"
    job = fresh(job)
    assert job.status == "done" and bytes(job.upload) == b""
    assert job.result == {"created": True, "added": 7, "updated": 0, "removed": 0, "unchanged": 0}
    assert job.started_at <= job.finished_at
    assert KeyDate.objects.filter(source=job.source).count() == 7
    assert AuditEvent.objects.filter(action="key_dates.import", actor=cast.marketing).count() == 1


def test_a_message_delivered_twice_imports_once(cast):
    job = queue(cast)
    assert tasks.key_dates_import(job.pk) == "done"
    assert tasks.key_dates_import(job.pk) == "not queued"
    assert AuditEvent.objects.filter(action="key_dates.import").count() == 1


def test_the_progress_counts_every_repeating_event(cast):
    job = queue(cast, leap_days(3) + b"")
    tasks.key_dates_import(job.pk)
    job = fresh(job)
    assert (job.series_done, job.series_total) == (3, 3)
    assert job.dates == 3


def test_a_member_demoted_before_the_import_runs_is_refused_and_nothing_is_written(cast):
    job = queue(cast)
    cast.workspace.memberships.filter(user=cast.marketing).update(role=Role.VIEWER)
    assert tasks.key_dates_import(job.pk) == "failed"
    job = fresh(job)
    assert job.status == "failed" and job.error
    assert not KeyDate.objects.exists() and not KeyDateSource.objects.exists()


def test_a_source_removed_before_its_refresh_runs_fails_cleanly(cast, settings, httpserver):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    httpserver.expect_request("/h.ics").respond_with_data(holidays())
    source = key_dates.key_dates_import_url(
        actor=cast.marketing,
        workspace=cast.workspace,
        name="Holidays",
        url=httpserver.url_for("/h.ics"),
    ).source
    job = key_dates.key_dates_refresh_queue(actor=cast.marketing, source=source)
    key_dates.key_date_source_remove(actor=cast.marketing, source=source)
    assert tasks.key_dates_import(job.pk) == "failed"
    assert fresh(job).error == "The source was removed meanwhile: nothing was imported."
    assert not KeyDate.objects.exists()


def test_a_rule_that_takes_too_long_is_refused_with_the_reason_and_nothing_written(cast):
    job = queue(cast, leap_days(12))
    assert tasks.key_dates_import(job.pk) == "failed"
    assert "would take too long to expand" in fresh(job).error
    assert not KeyDate.objects.exists() and not KeyDateSource.objects.exists()


def test_what_can_be_checked_at_once_is_refused_before_queueing(cast, settings):
    settings.KEY_DATES_MAX_BYTES = 1024
    with pytest.raises(Invalid) as too_big:
        queue(cast, holidays() + b" " * 2000)
    assert too_big.value.fields == {"file": ["The file is larger than 1 KB: nothing was imported."]}
    with pytest.raises(Invalid) as bad_address:
        queue(cast, url="file:///etc/passwd")
    assert list(bad_address.value.fields) == ["url"]
    with pytest.raises(Invalid):
        queue(cast, name=" ")
    with pytest.raises(NotAllowed):
        queue(cast, actor=cast.content)
    assert not KeyDateImport.objects.exists()


def test_only_a_few_imports_run_at_once_per_workspace(cast, other, settings):
    settings.KEY_DATES_IMPORTS_AT_ONCE = 2
    queue(cast, name="One")
    queue(cast, name="Two")
    with pytest.raises(Conflict):
        queue(cast, name="Three")
    # Another workspace has its own allowance.
    key_dates.key_dates_import_queue(
        actor=other.admin, workspace=other.workspace, name="One", data=holidays()
    )


def test_imports_that_can_never_end_are_marked_failed(cast, settings, time_machine):
    settings.KEY_DATES_IMPORT_SECONDS = 60
    never_taken = queue(cast, name="Never taken")
    lost = queue(cast, name="Lost worker")
    running = queue(cast, name="Running")
    now = timezone.now()
    KeyDateImport.objects.filter(pk=lost.pk).update(
        status="reading", started_at=now - dt.timedelta(seconds=60 + 15 + 31)
    )
    KeyDateImport.objects.filter(pk=running.pk).update(status="reading", started_at=now)
    time_machine.move_to(now + dt.timedelta(minutes=61), tick=False)
    KeyDateImport.objects.filter(pk=running.pk).update(started_at=timezone.now())
    assert key_dates.key_date_imports_expire(workspace=cast.workspace) == 2
    assert fresh(never_taken).error.startswith("No worker started this import")
    assert fresh(lost).error.startswith("The import stopped before the end")
    assert fresh(running).status == "reading"
    # A worker that picks up an import marked failed leaves it so.
    assert tasks.key_dates_import(never_taken.pk) == "not queued"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_and_its_time_limit_stops_a_slow_one(
    cast, tmp_path, httpserver, settings
):
    # The limits travel in the message, from the sender's settings (this process, as a
    # web process); the worker words its message from its own (started with 1).

    def slow(request):
        time.sleep(6)  # within the download's own timeout (10 s), past the import's (1 s)
        return Response(holidays().decode(), content_type="text/calendar")

    httpserver.expect_request("/slow.ics").respond_with_handler(slow)
    processes.purge_queue()
    log = tmp_path / "worker.log"
    worker = processes.start_worker(log, KEY_DATES_IMPORT_SECONDS="1")
    try:
        # The quick import's limit is generous, so a slow machine cannot time it out.
        settings.KEY_DATES_IMPORT_SECONDS = 60
        quick = queue(cast, leap_days(3), name="Leap days")
        settings.KEY_DATES_IMPORT_SECONDS = 1
        stopped = queue(cast, name="Fairs", url=httpserver.url_for("/slow.ics"))
        assert processes.wait_for(
            lambda: (
                not KeyDateImport.objects.filter(
                    pk__in=[quick.pk, stopped.pk], status__in=KeyDateImport.UNDER_WAY
                ).exists()
            ),
            timeout=60,
        ), log.read_text()[-3000:]
    finally:
        processes.stop(worker)
        processes.purge_queue()
    quick = fresh(quick)
    assert (quick.status, quick.series_done, quick.series_total, quick.dates) == ("done", 3, 3, 3)
    stopped = fresh(stopped)
    assert stopped.status == "failed"
    assert stopped.error.startswith("The import took longer than 1 seconds and was stopped")
    assert stopped.finished_at - stopped.started_at < dt.timedelta(seconds=5)
    assert not KeyDateSource.objects.filter(name="Fairs").exists()
