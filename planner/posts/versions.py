"""A post's versions, newest first: what each changed from the one before (title,
main text, each channel's text, media) and the decisions taken on it.

A fixed number of queries whatever the number of versions: the versions, their
decisions and the channels they name, each read once."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from planner.models import ApprovalDecision, Channel, Post, PostVersion
from planner.posts.diffs import TextDiff, side_by_side


@dataclass(frozen=True)
class FieldChange:
    label: str
    diff: TextDiff
    remarks: tuple[str, ...] = ()  # for a channel: added, removed, uses the main text

    @property
    def changed(self) -> bool:
        return self.diff.changed or bool(self.remarks)


@dataclass(frozen=True)
class VersionEntry:
    version: PostVersion
    previous: int | None  # the number compared with; None for the first version
    changes: tuple[FieldChange, ...]
    decisions: tuple[ApprovalDecision, ...]

    @property
    def unchanged(self) -> bool:
        return not any(c.changed for c in self.changes)


def _media_text(media: list) -> str:
    lines = []
    for item in media:
        name = str(item.get("name", "")).rsplit("/", 1)[-1]
        alt = item.get("alt") or ""
        lines.append(_("%(name)s — alternative text: %(alt)s") % {"name": name, "alt": alt})
    return "\n".join(lines)


def _selection_text(version: PostVersion | None, cid: str) -> str:
    """A channel's media in a version: its own selection, named, or all the post's."""
    if version is None:
        return ""
    chosen = (version.variant_media or {}).get(cid)
    if chosen is None:
        return _("All the post's images and videos, in the post's order.")
    by_id = {item.get("id"): item for item in version.media}
    return _media_text([by_id[i] for i in chosen if i in by_id]) or _("No image or video.")


def _channel_remarks(old: str | None, new: str | None, changed: bool) -> tuple[str, ...]:
    """What a diff of a channel's own text cannot say: the channel came or went, or a
    side is empty because the channel takes the main text."""
    if old is None and new == "":
        return (_("Channel added in this version, with the main text."),)
    if old is None:
        remarks = [_("Channel added in this version.")]
    elif new is None:
        remarks = [_("Channel removed in this version.")]
    else:
        remarks = []
    if not changed:
        return tuple(remarks)
    if old == "":
        remarks.append(_("Before: the main text."))
    if new == "":
        remarks.append(_("After: the main text."))
    return tuple(remarks)


def _changes(before: PostVersion | None, after: PostVersion, channels: dict[int, str]):
    old_variants = before.variants if before else {}
    changes = [
        FieldChange(_("Title"), side_by_side(before.title if before else "", after.title)),
        FieldChange(_("Main text"), side_by_side(before.body if before else "", after.body)),
    ]
    ids = sorted(
        set(old_variants) | set(after.variants),
        key=lambda cid: (channels.get(int(cid), "").lower(), int(cid)),
    )
    for cid in ids:
        name = channels.get(int(cid)) or _("Channel #%(id)s (removed)") % {"id": cid}
        old, new = old_variants.get(cid), after.variants.get(cid)
        diff = side_by_side(old or "", new or "")
        changes.append(
            FieldChange(
                _("Text for %(channel)s") % {"channel": name},
                diff,
                _channel_remarks(old, new, diff.changed),
            )
        )
    for cid in ids:
        old_choice = (before.variant_media or {}).get(cid) if before else None
        new_choice = (after.variant_media or {}).get(cid)
        if old_choice is None and new_choice is None:
            continue
        name = channels.get(int(cid)) or _("Channel #%(id)s (removed)") % {"id": cid}
        changes.append(
            FieldChange(
                _("Images and videos for %(channel)s") % {"channel": name},
                side_by_side(_selection_text(before, cid), _selection_text(after, cid)),
            )
        )
    changes.append(
        FieldChange(
            _("Images and videos"),
            side_by_side(_media_text(before.media if before else []), _media_text(after.media)),
        )
    )
    return tuple(changes)


def version_history(post: Post) -> list[VersionEntry]:
    versions = list(post.versions.select_related("author").order_by("number"))
    decisions: dict[int, list[ApprovalDecision]] = {}
    for decision in ApprovalDecision.objects.filter(post=post).select_related("decided_by"):
        decisions.setdefault(decision.version, []).append(decision)
    channel_ids = {int(cid) for v in versions for cid in v.variants}
    channels = dict(
        Channel.objects.filter(pk__in=channel_ids, workspace_id=post.workspace_id).values_list(
            "pk", "name"
        )
    )
    entries = []
    previous: PostVersion | None = None
    for version in versions:
        entries.append(
            VersionEntry(
                version=version,
                previous=previous.number if previous else None,
                changes=_changes(previous, version, channels),
                decisions=tuple(decisions.get(version.number, ())),
            )
        )
        previous = version
    entries.reverse()
    return entries
