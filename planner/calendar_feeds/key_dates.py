"""Key dates: holidays, launches and events shown on the calendar and in the iCal feeds.

Imported from an iCalendar file or an address into a ``KeyDateSource`` of the workspace
(``calendar_feeds.ical_read`` reads and expands; ``calendar_feeds.safe_fetch`` downloads),
or added one at a time. Admins and marketing manage them (``Capability.KEY_DATES_MANAGE``).

Pages queue an import (``key_dates_import_queue``, ``key_dates_refresh_queue``): a
``KeyDateImport`` row, run by a Celery worker on its own queue within a time limit
(``key_date_import_run``), whose page follows its progress and shows its result or every
problem the file has. The ``key_dates_import_*`` functions below import at once (the
demo data, the tests of the rules).

An import is all or nothing: the file is read and checked whole before the database is
touched, then the source's dates are written in one transaction. Importing again (the
same name, or Refresh for an address) updates by the event's UID and original start
(RECURRENCE-ID): a changed occurrence keeps its row and our UID, and its ``sequence``
grows; an occurrence gone from the file is deleted; nothing is duplicated. Every write is
audited, which moves the calendar's version on: the calendar shows the change at once.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from accounts.permissions import Capability
from planner import audit, jobs
from planner.access import require
from planner.calendar_feeds import ical_read, safe_fetch
from planner.errors import Conflict, Invalid, NotAllowed, ServiceError
from planner.models import ImportStatus, KeyDate, KeyDateImport, KeyDateSource
from planner.timezones import zone_of

# What makes an occurrence "changed" (its sequence then grows).
COMPARED = ("title", "description", "all_day", "starts_on", "ends_on", "starts_at", "ends_at")
BATCH = 500
# How often a running import writes its progress (seconds).
PROGRESS_EVERY = 0.5
# An import still queued after this long never found a worker; one running past its
# time limit by this margin lost its worker (killed at the hard limit, or the machine).
QUEUED_AT_MOST = dt.timedelta(hours=1)
LOST_MARGIN = dt.timedelta(seconds=30)
# Seconds between the soft time limit (the import stops, writes nothing) and the hard
# one (the worker process is killed).
HARD_LIMIT_GRACE = 15


def time_limits() -> tuple[int, int]:
    """An import's (soft, hard) time limits in seconds, from KEY_DATES_IMPORT_SECONDS."""
    soft = int(settings.KEY_DATES_IMPORT_SECONDS)
    return soft, soft + HARD_LIMIT_GRACE


@dataclass(frozen=True)
class ImportResult:
    source: KeyDateSource
    created: bool  # a new source, rather than an update of one of the same name
    added: int
    updated: int
    removed: int
    unchanged: int

    @property
    def dates(self) -> int:
        return self.added + self.updated + self.unchanged

    @property
    def counts(self) -> dict[str, int | bool]:
        """What an import's row keeps of it (``KeyDateImport.result``)."""
        return {
            "created": self.created,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }


def masked_url(url: str) -> str:
    """What the audit trail keeps of an address: a calendar's address may be its secret
    (Google's "secret address in iCal format"), so only the scheme and host."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def _window(workspace: Workspace) -> ical_read.Window:
    zone = zone_of(workspace)
    return ical_read.Window.around(timezone.now().astimezone(zone).date(), zone)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        message = _("Give the source a name of 1 to 120 characters.")
        raise Invalid(message, fields={"name": [message]})
    return name


def _on_field(field: str, exc: Invalid) -> Invalid:
    return Invalid(exc.message, fields={field: [exc.message]})


def _read(
    data: bytes, workspace: Workspace, field: str, progress: ical_read.Progress | None = None
) -> list[ical_read.Occurrence]:
    if field == "file":
        _size_checked(data)
    try:
        return ical_read.read(data, _window(workspace), progress)
    except ical_read.FileErrors:
        raise
    except Invalid as exc:
        raise _on_field(field, exc) from None


def _size_checked(data: bytes) -> bytes:
    limit = int(settings.KEY_DATES_MAX_BYTES)
    if len(data) > limit:
        raise _on_field(
            "file",
            Invalid(
                _("The file is larger than %(size)s: nothing was imported.")
                % {"size": safe_fetch.size_text(limit)}
            ),
        )
    return data


def _url_checked(url: str) -> str:
    try:
        url = safe_fetch.normalise(url)
        if len(url) > KeyDateSource._meta.get_field("url").max_length:
            raise Invalid(_("The address is too long."))
    except Invalid as exc:
        raise _on_field("url", exc) from None
    return url


# --- imports run by a worker ------------------------------------------------------------


def key_dates_import_queue(
    *, actor: User, workspace: Workspace, name: str, data: bytes | None = None, url: str = ""
) -> KeyDateImport:
    """Queue the import of an uploaded file (``data``) or of an address as the source
    ``name``. What can be checked at once is (the name, the size, the address's form);
    the worker downloads, reads and stores (``key_date_import_run``)."""
    require(actor, workspace, Capability.KEY_DATES_MANAGE)
    name = _name(name)
    if data is not None:
        return _queue(actor, workspace, name=name, upload=_size_checked(data))
    return _queue(actor, workspace, name=name, url=_url_checked(url))


def _refreshable(actor: User, source: KeyDateSource) -> None:
    require(actor, source.workspace, Capability.KEY_DATES_MANAGE)
    if not source.url:
        raise Invalid(
            _("“%(name)s” was uploaded as a file: import the new file under the same name.")
            % {"name": source.name}
        )


def key_dates_refresh_queue(*, actor: User, source: KeyDateSource) -> KeyDateImport:
    """Queue the import of the source's address again; a failure keeps its dates."""
    _refreshable(actor, source)
    return _queue(actor, source.workspace, name=source.name, url=source.url, source=source)


def _queue(
    actor: User,
    workspace: Workspace,
    *,
    name: str,
    url: str = "",
    upload: bytes = b"",
    source: KeyDateSource | None = None,
) -> KeyDateImport:
    key_date_imports_expire(workspace=workspace)
    with transaction.atomic():
        under_way = KeyDateImport.objects.filter(
            workspace=workspace, status__in=KeyDateImport.UNDER_WAY
        )
        if under_way.filter(name=name).exists():
            raise Conflict(
                _("An import of “%(name)s” is already under way: wait for it to end.")
                % {"name": name}
            )
        if under_way.count() >= settings.KEY_DATES_IMPORTS_AT_ONCE:
            raise Conflict(
                _("%(count)s imports are already under way in this workspace: wait for one to end.")
                % {"count": settings.KEY_DATES_IMPORTS_AT_ONCE}
            )
        job = KeyDateImport.objects.create(
            workspace=workspace,
            created_by=actor,
            name=name,
            url=url,
            upload=upload,
            source=source,
            refresh=source is not None,
        )
        # The limits travel in the message, read from the settings as it is sent (Celery
        # would otherwise send the task's own, fixed when the module was imported).
        soft, hard = time_limits()
        jobs.after_commit(jobs.KEY_DATES_IMPORT, job.pk, soft_time_limit=soft, time_limit=hard)
    return job


def key_date_imports_expire(*, workspace: Workspace | None = None) -> int:
    """Mark failed the imports that will never end: queued for longer than
    ``QUEUED_AT_MOST`` (no worker took them), or running past their time limit (their
    worker was killed, or is gone). Their dates were never touched."""
    now = timezone.now()
    lost_before = now - dt.timedelta(seconds=time_limits()[1]) - LOST_MARGIN
    jobs = KeyDateImport.objects.filter(status__in=KeyDateImport.UNDER_WAY)
    if workspace is not None:
        jobs = jobs.filter(workspace=workspace)
    never_started = jobs.filter(status=ImportStatus.QUEUED, created_at__lt=now - QUEUED_AT_MOST)
    lost = jobs.exclude(status=ImportStatus.QUEUED).filter(started_at__lt=lost_before)
    count = never_started.update(
        status=ImportStatus.FAILED,
        finished_at=now,
        upload=b"",
        error=_("No worker started this import: nothing was imported. Try again later."),
    )
    return count + lost.update(
        status=ImportStatus.FAILED,
        finished_at=now,
        upload=b"",
        error=_(
            "The import stopped before the end (it went past its time limit, or its worker "
            "stopped): nothing was imported."
        ),
    )


def _progress(job: KeyDateImport) -> ical_read.Progress:
    """Writes the reading's progress, at most every ``PROGRESS_EVERY`` seconds (and the
    first and last counts), outside any transaction so the page sees it at once."""
    last = [0.0]

    def told(done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            KeyDateImport.objects.filter(pk=job.pk).update(series_done=done, series_total=total)

    return told


def _phase(job: KeyDateImport, status: str) -> None:
    KeyDateImport.objects.filter(pk=job.pk).update(status=status)


def key_date_import_run(*, import_id: int) -> str:
    """Run a queued import (the worker's task): download, read with progress, store in
    one transaction. A message delivered twice runs it once (queued → started is a
    compare-and-set). The person who asked must still be allowed to import."""
    started = KeyDateImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.READING, started_at=timezone.now()
    )
    if not started:
        return "not queued"
    job = KeyDateImport.objects.select_related("workspace", "created_by", "source").get(
        pk=import_id
    )
    workspace = job.workspace
    try:
        actor = job.created_by
        if actor is None:
            raise NotAllowed(_("The person who asked for this import is no longer a member."))
        require(actor, workspace, Capability.KEY_DATES_MANAGE)
        if job.refresh and job.source is None:
            raise Invalid(_("The source was removed meanwhile: nothing was imported."))
        if job.url:
            _phase(job, ImportStatus.DOWNLOADING)
            data = safe_fetch.fetch(job.url)
            _phase(job, ImportStatus.READING)
        else:
            data = bytes(job.upload)
        occurrences = _read(data, workspace, "url" if job.url else "file", _progress(job))
        _phase(job, ImportStatus.SAVING)
        result = _store(
            actor,
            workspace,
            job.name,
            job.url,
            occurrences,
            "key_dates.refresh" if job.refresh else "key_dates.import",
        )
    except ServiceError as exc:
        _finish(job, ImportStatus.FAILED, error=exc.message, problems=_problems_of(exc))
        return "failed"
    _finish(job, ImportStatus.DONE, source=result.source, result=result.counts)
    return "done"


def key_date_import_timed_out(*, import_id: int) -> None:
    """The worker's time limit stopped the import (its transaction, if any, rolled back)."""
    job = KeyDateImport.objects.filter(pk=import_id).first()
    if job is not None and job.under_way:
        _finish(
            job,
            ImportStatus.FAILED,
            error=_(
                "The import took longer than %(seconds)s seconds and was stopped: nothing "
                "was imported. Import a smaller calendar, or one with fewer repeating events."
            )
            % {"seconds": settings.KEY_DATES_IMPORT_SECONDS},
        )


def _problems_of(exc: ServiceError) -> list[str]:
    return list(getattr(exc, "problems", []))


def _finish(job: KeyDateImport, status: str, **values) -> None:
    KeyDateImport.objects.filter(pk=job.pk).update(
        status=status, finished_at=timezone.now(), upload=b"", **values
    )


# --- imports at once --------------------------------------------------------------------


def key_dates_import_file(
    *, actor: User, workspace: Workspace, name: str, data: bytes
) -> ImportResult:
    """Import an uploaded .ics file as the source ``name`` (created, or updated when the
    workspace has one of that name; it then has no address to refresh from)."""
    require(actor, workspace, Capability.KEY_DATES_MANAGE)
    name = _name(name)
    occurrences = _read(data, workspace, "file")
    return _store(actor, workspace, name, "", occurrences, "key_dates.import")


def key_dates_import_url(*, actor: User, workspace: Workspace, name: str, url: str) -> ImportResult:
    """Download the calendar at ``url`` (see ``safe_fetch`` for the limits) and import it
    as the source ``name``. The download happens before any transaction is opened."""
    require(actor, workspace, Capability.KEY_DATES_MANAGE)
    name = _name(name)
    url = _url_checked(url)
    try:
        data = safe_fetch.fetch(url)
    except Invalid as exc:
        raise _on_field("url", exc) from None
    occurrences = _read(data, workspace, "url")
    return _store(actor, workspace, name, url, occurrences, "key_dates.import")


def key_dates_refresh(*, actor: User, source: KeyDateSource) -> ImportResult:
    """Import the source's address again. A failure leaves the dates as they were."""
    workspace = source.workspace
    _refreshable(actor, source)
    data = safe_fetch.fetch(source.url)
    occurrences = _read(data, workspace, "url")
    return _store(actor, workspace, source.name, source.url, occurrences, "key_dates.refresh")


def _store(
    actor: User,
    workspace: Workspace,
    name: str,
    url: str,
    occurrences: list[ical_read.Occurrence],
    action: str,
) -> ImportResult:
    now = timezone.now()
    with transaction.atomic():
        # Locked: two imports of one source at once run one after the other.
        source = (
            KeyDateSource.objects.select_for_update().filter(workspace=workspace, name=name).first()
        )
        created = source is None
        if created:
            source = KeyDateSource(workspace=workspace, name=name, created_by=actor)
        source.url, source.imported_at = url, now
        try:
            with transaction.atomic():
                source.save()
        except IntegrityError:
            raise Conflict(
                _("Another import of “%(name)s” is under way: try again in a moment.")
                % {"name": name}
            ) from None
        existing = {(k.external_uid, k.recurrence_id): k for k in source.key_dates.all()}
        added: list[KeyDate] = []
        changed: dict[tuple[str, ...], list[KeyDate]] = {}
        unchanged = 0
        for occurrence in occurrences:
            row = existing.pop(occurrence.key, None)
            values = {f: getattr(occurrence, f) for f in COMPARED}
            if row is None:
                added.append(
                    KeyDate(
                        workspace=workspace,
                        source=source,
                        external_uid=occurrence.external_uid,
                        recurrence_id=occurrence.recurrence_id,
                        **values,
                    )
                )
            elif differ := tuple(f for f, v in values.items() if getattr(row, f) != v):
                for field in differ:
                    setattr(row, field, values[field])
                row.sequence += 1
                row.updated_at = now
                changed.setdefault(differ, []).append(row)
            else:
                unchanged += 1
        KeyDate.objects.bulk_create(added, batch_size=BATCH)
        _update(changed)
        KeyDate.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
        updated = sum(len(rows) for rows in changed.values())
        result = ImportResult(source, created, len(added), updated, len(existing), unchanged)
        audit.record(
            workspace=workspace,
            actor=actor,
            action=action,
            target=source.name,
            data={
                "source": source.pk,
                "address": masked_url(url),
                "added": result.added,
                "updated": result.updated,
                "removed": result.removed,
                "unchanged": result.unchanged,
            },
        )
    return result


def _update(changed: dict[tuple[str, ...], list[KeyDate]]) -> None:
    """Write changed occurrences, grouped by the fields that changed, one UPDATE a row sent
    together (``executemany``). Django's ``bulk_update`` compiles a CASE per row and field:
    about 2 s of Python for 4,900 changed titles, against 0.4 s here (2 cores)."""
    table, quote = KeyDate._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        for names, rows in changed.items():
            fields = [KeyDate._meta.get_field(name) for name in (*names, "sequence", "updated_at")]
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {quote(table)} SET {assignments} WHERE {quote('id')} = %s",  # noqa: S608 - names from the model
                [
                    [
                        field.get_db_prep_save(getattr(row, field.attname), connection)
                        for field in fields
                    ]
                    + [row.pk]
                    for row in rows
                ],
            )


def key_date_source_remove(*, actor: User, source: KeyDateSource) -> int:
    """Remove a source and every date it brought; returns how many dates went with it."""
    workspace = source.workspace
    require(actor, workspace, Capability.KEY_DATES_MANAGE)
    with transaction.atomic():
        count = source.key_dates.count()
        audit.record(
            workspace=workspace,
            actor=actor,
            action="key_dates.source_remove",
            target=source.name,
            data={"source": source.pk, "address": masked_url(source.url), "dates": count},
        )
        source.delete()
    return count


def key_date_add(
    *,
    actor: User,
    workspace: Workspace,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    description: str = "",
) -> KeyDate:
    """Add one all-day key date by hand (it belongs to no source)."""
    require(actor, workspace, Capability.KEY_DATES_MANAGE)
    title = (title or "").strip()
    if not title or len(title) > ical_read.TITLE_MAX:
        message = _("Give the date a title of 1 to 300 characters.")
        raise Invalid(message, fields={"title": [message]})
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        message = _("The last day cannot be before the first.")
        raise Invalid(message, fields={"ends_on": [message]})
    with transaction.atomic():
        key_date = KeyDate.objects.create(
            workspace=workspace,
            title=title,
            description=(description or "").strip(),
            all_day=True,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        audit.record(
            workspace=workspace,
            actor=actor,
            action="key_date.add",
            target=title,
            data={"key_date": key_date.pk, "from": str(starts_on), "to": str(ends_on)},
        )
    return key_date


def key_date_remove(*, actor: User, key_date: KeyDate) -> None:
    """Remove a date added by hand. An imported one would come back with the next import:
    it is removed from its file, or with its source."""
    workspace = key_date.workspace
    require(actor, workspace, Capability.KEY_DATES_MANAGE)
    if key_date.source_id is not None:
        raise Invalid(
            _("This date comes from “%(source)s”: remove it from that calendar, or the source.")
            % {"source": key_date.source.name}
        )
    with transaction.atomic():
        audit.record(
            workspace=workspace,
            actor=actor,
            action="key_date.remove",
            target=key_date.title,
            data={"key_date": key_date.pk},
        )
        key_date.delete()
